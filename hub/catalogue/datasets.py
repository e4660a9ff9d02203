"""Datasets of the public data resource catalogue: their filters, as one statement, and the
orgs that provide them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased
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


def providers_statement() -> Select[Org, int]:
    """(org, datasets) for every org that provides a dataset itself, most datasets first. The
    count is the ``provider`` filter's: the org's own datasets and those of the orgs below it."""
    provider, owner = aliased(Org), aliased(Org)
    providing = select(col(Dataset.provider_org_id)).distinct().subquery()
    count = func.count(col(Dataset.id)).label("datasets")
    return (
        select(provider, count)
        .join(providing, providing.c.provider_org_id == col(provider.id))
        .join(owner, col(owner.path).startswith(col(provider.path)))
        .join(Dataset, col(Dataset.provider_org_id) == col(owner.id))
        .group_by(col(provider.id))
        .order_by(count.desc(), col(provider.code))
    )
