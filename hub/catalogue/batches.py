"""Batch reads of the catalogue, the ones the GraphQL layer's per-request loaders call: rows
by id, each org's children, each service's material requirements, each dataset's fields, and
rows linked through an association table (a service's themes, life events, related services
and bundles; a bundle's services), where services and bundles count only once published.

Each takes ``rows`` (runs a SELECT and returns its rows) and the keys of one batch, runs one
statement, and returns the results in the order of the keys: ``None`` or ``[]`` for a key
nothing was found for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlmodel import SQLModel, col

from hub.models import (
    Bundle,
    BundleItem,
    DatasetField,
    LifeEvent,
    MaterialRequirement,
    Org,
    ServiceItem,
    ServiceLifeEvent,
    ServiceRelation,
    ServiceTheme,
    Theme,
)
from hub.models.enums import ServiceStatus

Rows = Callable[[Any], Awaitable[list[Any]]]
"""Runs a SELECT and returns its rows (the GraphQL context's ``rows``, or a session's)."""

M = TypeVar("M", bound=SQLModel)


async def by_ids(rows: Rows, model: type[M], keys: Sequence[int]) -> list[M | None]:
    """Rows of ``model`` by primary key (any table with an ``id``)."""
    pk = model.id  # type: ignore[attr-defined]
    found = {row.id: row for row in await rows(select(model).where(col(pk).in_(keys)))}
    return [found.get(key) for key in keys]


async def _grouped(
    rows: Rows, ordered: Any, key_column: Any, key_of: Callable[[Any], int | None], keys: Any
) -> list[list[Any]]:
    """The rows of ``ordered`` whose ``key_column`` is one of ``keys``, grouped by key."""
    grouped: dict[int | None, list[Any]] = defaultdict(list)
    for row in await rows(ordered.where(col(key_column).in_(keys))):
        grouped[key_of(row)].append(row)
    return [grouped.get(key, []) for key in keys]


async def children_of_orgs(rows: Rows, keys: Sequence[int]) -> list[list[Org]]:
    """Each org's child orgs, in display order."""
    ordered = select(Org).order_by(col(Org.sort_order), col(Org.id))
    return await _grouped(rows, ordered, Org.parent_id, lambda o: o.parent_id, keys)


def plain(model: type[SQLModel]) -> Any:
    """A SELECT of ``model``'s table whose rows come back as plain rows, not ORM objects:
    every column is an attribute named as on the model, read-only. For rows that are only
    read, it skips the ORM's identity map, instance state and instrumented attributes,
    which cost several times what the row itself does (a page of 20 services reads about
    130 requirement and material rows)."""
    return select(model.__table__)  # type: ignore[attr-defined]


async def plain_by_ids(rows: Rows, model: type[M], keys: Sequence[int]) -> list[M | None]:
    """:func:`by_ids` as plain rows (see :func:`plain`): they read like ``model``'s."""
    table = model.__table__  # type: ignore[attr-defined]
    found = {row.id: row for row in await rows(plain(model).where(table.c.id.in_(keys)))}
    return [found.get(key) for key in keys]


async def requirements_of_services(
    rows: Rows, keys: Sequence[int]
) -> list[list[MaterialRequirement]]:
    """Each service's material requirements, in their listed order, as plain rows (see
    :func:`plain`)."""
    ordered = plain(MaterialRequirement).order_by(
        col(MaterialRequirement.position), col(MaterialRequirement.id)
    )
    return await _grouped(
        rows, ordered, MaterialRequirement.service_id, lambda r: r.service_id, keys
    )


async def fields_of_datasets(rows: Rows, keys: Sequence[int]) -> list[list[DatasetField]]:
    """Each dataset's fields, in their listed order."""
    ordered = select(DatasetField).order_by(col(DatasetField.position))
    return await _grouped(rows, ordered, DatasetField.dataset_id, lambda f: f.dataset_id, keys)


async def _linked(
    rows: Rows,
    keys: Sequence[int],
    target: type[M],
    link: type[SQLModel],
    link_target: Any,
    link_owner: Any,
    order: Any,
    *,
    published_only: bool = False,
) -> list[list[M]]:
    """Rows of ``target`` reached through the association table ``link`` from each owner in
    ``keys``, by ``order`` (then id); with ``published_only``, published ones alone."""
    target_pk = target.id  # type: ignore[attr-defined]
    statement = (
        select(link_owner, target)
        .join(link, col(link_target) == col(target_pk))
        .where(col(link_owner).in_(keys))
        .order_by(order, col(target_pk))
    )
    if published_only:
        statement = statement.where(
            col(target.status) == ServiceStatus.PUBLISHED  # type: ignore[attr-defined]
        )
    grouped: dict[int, list[M]] = defaultdict(list)
    for owner, item in await rows(statement):
        grouped[owner].append(item)
    return [grouped.get(key, []) for key in keys]


async def themes_of_services(rows: Rows, keys: Sequence[int]) -> list[list[Theme]]:
    return await _linked(
        rows,
        keys,
        Theme,
        ServiceTheme,
        ServiceTheme.theme_id,
        ServiceTheme.service_id,
        Theme.sort_order,
    )


async def life_events_of_services(rows: Rows, keys: Sequence[int]) -> list[list[LifeEvent]]:
    return await _linked(
        rows,
        keys,
        LifeEvent,
        ServiceLifeEvent,
        ServiceLifeEvent.life_event_id,
        ServiceLifeEvent.service_id,
        LifeEvent.sort_order,
    )


async def related_of_services(rows: Rows, keys: Sequence[int]) -> list[list[ServiceItem]]:
    """Each service's related services that are published."""
    return await _linked(
        rows,
        keys,
        ServiceItem,
        ServiceRelation,
        ServiceRelation.related_id,
        ServiceRelation.service_id,
        ServiceItem.sort_order,
        published_only=True,
    )


async def bundles_of_services(rows: Rows, keys: Sequence[int]) -> list[list[Bundle]]:
    """The published 一件事 bundles each service is part of."""
    return await _linked(
        rows,
        keys,
        Bundle,
        BundleItem,
        BundleItem.bundle_id,
        BundleItem.service_id,
        Bundle.id,
        published_only=True,
    )


async def services_of_bundles(rows: Rows, keys: Sequence[int]) -> list[list[ServiceItem]]:
    """Each bundle's published services, in the bundle's order."""
    return await _linked(
        rows,
        keys,
        ServiceItem,
        BundleItem,
        BundleItem.service_id,
        BundleItem.bundle_id,
        BundleItem.position,
        published_only=True,
    )


async def bundles_of_life_events(rows: Rows, keys: Sequence[int]) -> list[list[Bundle]]:
    """The published 一件事 bundles of each life event, in catalogue order."""
    ordered = (
        select(Bundle).where(col(Bundle.status) == ServiceStatus.PUBLISHED).order_by(col(Bundle.id))
    )
    return await _grouped(rows, ordered, Bundle.life_event_id, lambda b: b.life_event_id, keys)
