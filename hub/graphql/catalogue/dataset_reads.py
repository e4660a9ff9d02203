"""Listing datasets: filters and pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.catalogue.datasets import DatasetFilterArgs, dataset_statement
from hub.graphql.catalogue.datasets import Dataset
from hub.graphql.paging import paginate
from hub.graphql.relay import Connection
from hub.paging import PageArgs

if TYPE_CHECKING:
    from hub.graphql.context import Context


async def list_datasets(
    ctx: Context, filters: DatasetFilterArgs, page: PageArgs
) -> Connection[Dataset]:
    return await paginate(ctx, dataset_statement(filters), page, Dataset.from_model)
