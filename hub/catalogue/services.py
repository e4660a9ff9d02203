"""Published services: the filters and orders a list of them may ask for, as one statement."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import col

from hub.models import (
    MaterialRequirement,
    Org,
    ServiceItem,
    ServiceLifeEvent,
    ServiceTheme,
)
from hub.models.enums import Audience, ServiceStatus


class ServiceOrderBy(Enum):
    DEFAULT = "default"
    NAME = "name"
    UPDATED_AT = "updated_at"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class ServiceFilterArgs:
    """A service filter with ids already decoded."""

    theme_ids: tuple[int, ...] = ()
    audience: str | None = None
    org_id: int | None = None
    org_subtree: bool = True
    item_types: tuple[str, ...] = ()
    online_depth_min: int | None = None
    max_visits: int | None = None
    life_event_id: int | None = None
    material_id: int | None = None


def service_statement(
    filters: ServiceFilterArgs, order: ServiceOrderBy = ServiceOrderBy.DEFAULT
) -> Select[Any]:
    statement = select(ServiceItem).where(col(ServiceItem.status) == ServiceStatus.PUBLISHED)
    if filters.theme_ids:
        statement = statement.where(
            col(ServiceItem.id).in_(
                select(col(ServiceTheme.service_id)).where(
                    col(ServiceTheme.theme_id).in_(filters.theme_ids)
                )
            )
        )
    if filters.audience is not None:
        statement = statement.where(
            col(ServiceItem.audience).in_((filters.audience, Audience.BOTH))
        )
    if filters.org_id is not None:
        if filters.org_subtree:
            root_path = select(col(Org.path)).where(col(Org.id) == filters.org_id).scalar_subquery()
            subtree = select(col(Org.id)).where(col(Org.path).startswith(root_path))
            statement = statement.where(col(ServiceItem.org_id).in_(subtree))
        else:
            statement = statement.where(col(ServiceItem.org_id) == filters.org_id)
    if filters.item_types:
        statement = statement.where(col(ServiceItem.item_type).in_(filters.item_types))
    if filters.online_depth_min is not None:
        statement = statement.where(col(ServiceItem.online_depth) >= filters.online_depth_min)
    if filters.max_visits is not None:
        statement = statement.where(col(ServiceItem.visits) <= filters.max_visits)
    if filters.life_event_id is not None:
        statement = statement.where(
            col(ServiceItem.id).in_(
                select(col(ServiceLifeEvent.service_id)).where(
                    col(ServiceLifeEvent.life_event_id) == filters.life_event_id
                )
            )
        )
    if filters.material_id is not None:
        statement = statement.where(
            col(ServiceItem.id).in_(
                select(col(MaterialRequirement.service_id)).where(
                    col(MaterialRequirement.material_id) == filters.material_id
                )
            )
        )
    ordering = {
        ServiceOrderBy.DEFAULT: (col(ServiceItem.sort_order), col(ServiceItem.id)),
        ServiceOrderBy.NAME: (col(ServiceItem.name), col(ServiceItem.id)),
        ServiceOrderBy.UPDATED_AT: (col(ServiceItem.updated_at).desc(), col(ServiceItem.id)),
        ServiceOrderBy.CODE: (col(ServiceItem.code),),
    }[order]
    return statement.order_by(*ordering)
