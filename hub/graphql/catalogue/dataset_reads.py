"""Listing datasets: filters and pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.catalogue.datasets import DatasetFilterArgs, dataset_statement
from hub.graphql.paging import paginate
from hub.graphql.relay import Connection
from hub.paging import PageArgs

if TYPE_CHECKING:
    from hub.graphql.catalogue.datasets import Dataset as DatasetType
    from hub.graphql.context import Context


async def list_datasets(
    ctx: Context, filters: DatasetFilterArgs, page: PageArgs
) -> Connection[DatasetType]:
    from hub.graphql.catalogue.datasets import Dataset as DatasetType

    return await paginate(ctx, dataset_statement(filters), page, DatasetType.from_model)
