"""The catalogue's single lookups and short fixed lists, as statements: a published service
by code, an org or dataset by code, the org tree's root, themes, life events, published
一件事 bundles and materials by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlmodel import col

from hub.models import Bundle, Dataset, LifeEvent, Material, Org, ServiceItem, Theme
from hub.models.enums import ServiceStatus


def published_service(code: str) -> Select[Any]:
    """The published service item with ``code`` (drafts and retired items are not found)."""
    return select(ServiceItem).where(
        col(ServiceItem.code) == code, col(ServiceItem.status) == ServiceStatus.PUBLISHED
    )


def dataset_by_code(code: str) -> Select[Any]:
    return select(Dataset).where(col(Dataset.code) == code)


def root_org() -> Select[Any]:
    """The org without a parent (the 管委会); the first one should there ever be two."""
    return select(Org).where(col(Org.parent_id).is_(None)).order_by(col(Org.id))


def org_by_code(code: str) -> Select[Any]:
    return select(Org).where(col(Org.code) == code)


def themes(audience: str | None = None, local: bool = False) -> Select[Any]:
    """National themes (or the city's local ones) by audience and display order, or one
    audience's."""
    statement = (
        select(Theme)
        .where(col(Theme.local).is_(local))
        .order_by(col(Theme.audience), col(Theme.sort_order), col(Theme.id))
    )
    if audience is not None:
        statement = statement.where(col(Theme.audience) == audience)
    return statement


def life_events() -> Select[Any]:
    return select(LifeEvent).order_by(col(LifeEvent.sort_order), col(LifeEvent.id))


def published_bundles() -> Select[Any]:
    return (
        select(Bundle).where(col(Bundle.status) == ServiceStatus.PUBLISHED).order_by(col(Bundle.id))
    )


def published_bundle(code: str) -> Select[Any]:
    return published_bundles().where(col(Bundle.code) == code)


def materials_by_name() -> Select[Any]:
    return select(Material).order_by(col(Material.name))
