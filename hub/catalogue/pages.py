"""Pages of lists nested under many parents at once (each org's services, each theme's
services …): the lists as :class:`Scope` s, and the two statements that page one scope for
a batch of parents, one GROUP BY for the totals and one windowed SELECT for the rows. Also
the COUNT of any statement, for a page of a single list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from hub.catalogue.batches import Rows
from hub.models import (
    Dataset,
    MaterialRequirement,
    ServiceItem,
    ServiceLifeEvent,
    ServiceTheme,
)
from hub.models.enums import ServiceStatus
from hub.paging import Window, resolve_window

Page = tuple[list[Any], int, int]
"""One parent's page: its rows, the offset of the first, and the list's total."""


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


def count_of(statement: Any) -> Select[Any]:
    """The number of rows ``statement`` returns, as one statement (its order dropped)."""
    return select(func.count()).select_from(statement.order_by(None).subquery())


def _base(scope: Scope, parent_ids: Sequence[int]) -> Any:
    parent = col(scope.parent)
    statement = select(scope.model, parent.label("parent_id"))
    if scope.join is not None:
        statement = statement.join(*scope.join)
    statement = statement.where(parent.in_(parent_ids))
    if scope.published_only:
        statement = statement.where(col(scope.model.status) == ServiceStatus.PUBLISHED)
    return statement


async def pages_of(rows: Rows, scope: Scope, keys: Sequence[tuple[int, Window]]) -> list[Page]:
    """The page each ``(parent id, window)`` asks of ``scope``, in the order of ``keys``:
    a GROUP BY for the totals, then (when any page holds rows) one windowed SELECT."""
    parent_ids = sorted({parent_id for parent_id, _ in keys})
    counted = _base(scope, parent_ids).subquery()
    totals = dict(
        await rows(select(counted.c.parent_id, func.count()).group_by(counted.c.parent_id))
    )
    bounds = [resolve_window(window, int(totals.get(parent_id, 0))) for parent_id, window in keys]
    wanted = {
        (parent_id, offset, limit)
        for (parent_id, _), (offset, limit) in zip(keys, bounds, strict=True)
        if limit > 0
    }
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
                        for parent_id, offset, limit in wanted
                    )
                )
            )
            .order_by(numbered.c.parent_id, numbered.c.rn)
        )
        for row, parent_id, rn in await rows(statement):
            for wanted_parent, offset, limit in wanted:
                if wanted_parent == parent_id and offset < rn <= offset + limit:
                    pages[(parent_id, offset, limit)].append(row)
    return [
        (pages.get((parent_id, offset, limit), []), offset, int(totals.get(parent_id, 0)))
        for (parent_id, _), (offset, limit) in zip(keys, bounds, strict=True)
    ]
