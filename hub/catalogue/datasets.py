"""Datasets of the public data resource catalogue: their filters, as one statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import col

from hub.models import Dataset, Org


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
