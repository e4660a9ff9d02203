"""Connections nested under lists (each org's services, each theme's services …) loaded for
all parents at once: one GROUP BY for the totals and one windowed SELECT for the pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from strawberry.dataloader import DataLoader

from hub.models import (
    Dataset,
    MaterialRequirement,
    ServiceItem,
    ServiceLifeEvent,
    ServiceTheme,
)
from hub.models.enums import ServiceStatus
from hub.paging import Window, resolve_window

if TYPE_CHECKING:
    from hub.graphql.context import Context


@dataclass(frozen=True, eq=False)
class Scope:
    """A one-to-many list: the rows of ``model`` under each parent id, in a fixed order."""

    model: type[Any]
    parent: Any
    join: tuple[Any, Any] | None
    order: tuple[Any, ...]
    published_only: bool


SERVICES_OF_ORG = Scope(
    ServiceItem,
    ServiceItem.org_id,
    None,
    (ServiceItem.sort_order, ServiceItem.id),
    True,
)
SERVICES_OF_THEME = Scope(
    ServiceItem,
    ServiceTheme.theme_id,
    (ServiceTheme, col(ServiceTheme.service_id) == col(ServiceItem.id)),
    (ServiceItem.sort_order, ServiceItem.id),
    True,
)
SERVICES_OF_LIFE_EVENT = Scope(
    ServiceItem,
    ServiceLifeEvent.life_event_id,
    (ServiceLifeEvent, col(ServiceLifeEvent.service_id) == col(ServiceItem.id)),
    (ServiceItem.sort_order, ServiceItem.id),
    True,
)
SERVICES_NEEDING_MATERIAL = Scope(
    ServiceItem,
    MaterialRequirement.material_id,
    (MaterialRequirement, col(MaterialRequirement.service_id) == col(ServiceItem.id)),
    (ServiceItem.sort_order, ServiceItem.id),
    True,
)
DATASETS_OF_ORG = Scope(Dataset, Dataset.provider_org_id, None, (Dataset.code,), False)

PageKey = tuple[Scope, int, Window]
T = TypeVar("T")


def _base(scope: Scope, parent_ids: Sequence[int]) -> Any:
    parent = col(scope.parent)
    statement = select(scope.model, parent.label("parent_id"))
    if scope.join is not None:
        statement = statement.join(*scope.join)
    statement = statement.where(parent.in_(parent_ids))
    if scope.published_only:
        statement = statement.where(col(scope.model.status) == ServiceStatus.PUBLISHED)
    return statement


async def _load_scope(ctx: Context, scope: Scope, keys: Sequence[PageKey]) -> list[Any]:
    parent_ids = sorted({parent_id for _, parent_id, _ in keys})
    counted = _base(scope, parent_ids).subquery()
    totals = dict(
        await ctx.rows(select(counted.c.parent_id, func.count()).group_by(counted.c.parent_id))
    )
    bounds = {}
    for key in keys:
        _, parent_id, window = key
        bounds[key] = resolve_window(window, int(totals.get(parent_id, 0)))
    wanted = [(key[1], offset, limit) for key, (offset, limit) in bounds.items() if limit > 0]
    pages: dict[tuple[int, int, int], list[Any]] = defaultdict(list)
    if wanted:
        numbered = (
            _base(scope, parent_ids)
            .add_columns(
                func.row_number()
                .over(partition_by=col(scope.parent), order_by=[col(c) for c in scope.order])
                .label("rn")
            )
            .subquery()
        )
        entity = aliased(scope.model, numbered)
        statement = (
            select(entity, numbered.c.parent_id, numbered.c.rn)
            .where(
                or_(
                    *(
                        and_(
                            numbered.c.parent_id == parent_id,
                            numbered.c.rn > offset,
                            numbered.c.rn <= offset + limit,
                        )
                        for parent_id, offset, limit in set(wanted)
                    )
                )
            )
            .order_by(numbered.c.parent_id, numbered.c.rn)
        )
        for row, parent_id, rn in await ctx.rows(statement):
            for wanted_parent, offset, limit in set(wanted):
                if wanted_parent == parent_id and offset < rn <= offset + limit:
                    pages[(parent_id, offset, limit)].append(row)
    results = []
    for key in keys:
        offset, limit = bounds[key]
        total = int(totals.get(key[1], 0))
        results.append((pages.get((key[1], offset, limit), []), offset, total))
    return results


def page_loader(ctx: Context) -> DataLoader[PageKey, tuple[list[Any], int, int]]:
    async def load(keys: Sequence[PageKey]) -> list[tuple[list[Any], int, int]]:
        by_scope: dict[Scope, list[PageKey]] = defaultdict(list)
        for key in keys:
            by_scope[key[0]].append(key)
        found: dict[PageKey, tuple[list[Any], int, int]] = {}
        for scope, scope_keys in by_scope.items():
            for key, value in zip(
                scope_keys, await _load_scope(ctx, scope, scope_keys), strict=True
            ):
                found[key] = value
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
