"""Listing datasets: filters and pages; the orgs that provide them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from hub.catalogue.datasets import DatasetFilterArgs, dataset_statement, providers_statement
from hub.graphql.catalogue.datasets import Dataset
from hub.graphql.catalogue.orgs import Org
from hub.graphql.paging import paginate
from hub.graphql.relay import Connection
from hub.paging import PageArgs

if TYPE_CHECKING:
    from hub.graphql.context import Context


async def list_datasets(
    ctx: Context, filters: DatasetFilterArgs, page: PageArgs
) -> Connection[Dataset]:
    return await paginate(ctx, dataset_statement(filters), page, Dataset.from_model)


@strawberry.type(description="An org that provides datasets, with how many (the portal's filter).")
class DatasetProvider:
    org: Org = strawberry.field(description="The providing org.")
    dataset_count: int = strawberry.field(
        description="Datasets it provides, with those of the orgs below it: what the datasets "
        "filter `provider` finds."
    )


async def list_providers(ctx: Context) -> list[DatasetProvider]:
    rows = await ctx.rows(providers_statement())
    return [DatasetProvider(org=Org.from_model(org), dataset_count=n) for org, n in rows]
