"""Listing datasets: filters and pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select
from sqlmodel import col

from hub.graphql.paging import paginate
from hub.graphql.relay import Connection
from hub.models import Dataset, Org
from hub.paging import PageArgs

if TYPE_CHECKING:
    from hub.graphql.catalogue.datasets import Dataset as DatasetType
    from hub.graphql.context import Context


@dataclass(frozen=True, slots=True)
class DatasetFilterArgs:
    categories: tuple[str, ...] = ()
    share_types: tuple[str, ...] = ()
    open_types: tuple[str, ...] = ()
    update_cycles: tuple[str, ...] = ()
    provider_id: int | None = None
    provider_subtree: bool = True


def dataset_statement(filters: DatasetFilterArgs) -> Select[Any]:
    statement = select(Dataset)
    for column, values in (
        (Dataset.category, filters.categories),
        (Dataset.share_type, filters.share_types),
        (Dataset.open_type, filters.open_types),
        (Dataset.update_cycle, filters.update_cycles),
    ):
        if values:
            statement = statement.where(col(column).in_(values))
    if filters.provider_id is not None:
        if filters.provider_subtree:
            root_path = (
                select(col(Org.path)).where(col(Org.id) == filters.provider_id).scalar_subquery()
            )
            subtree = select(col(Org.id)).where(col(Org.path).startswith(root_path))
            statement = statement.where(col(Dataset.provider_org_id).in_(subtree))
        else:
            statement = statement.where(col(Dataset.provider_org_id) == filters.provider_id)
    return statement.order_by(col(Dataset.code))


async def list_datasets(
    ctx: Context, filters: DatasetFilterArgs, page: PageArgs
) -> Connection[DatasetType]:
    from hub.graphql.catalogue.datasets import Dataset as DatasetType

    return await paginate(ctx, dataset_statement(filters), page, DatasetType.from_model)
