"""Fetching catalogue nodes by primary key, for ``node``/``nodes``.

Whatever has a status (service items, 一件事 bundles) is visible only when published: a draft
or retired one answers as an id that names nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hub.graphql.catalogue.datasets import Dataset
from hub.graphql.catalogue.materials import Material
from hub.graphql.catalogue.orgs import Org
from hub.graphql.catalogue.services import ServiceItem
from hub.graphql.catalogue.themes import Bundle, LifeEvent, Theme
from hub.graphql.relay import NODE_FETCHERS, NodeFetcher
from hub.models.enums import ServiceStatus

if TYPE_CHECKING:
    from hub.graphql.context import Context


def _fetcher(
    loader_name: str, convert: Callable[[Any], Any], visible: Callable[[Any], bool] = bool
) -> NodeFetcher:
    async def fetch(ctx: Context, pks: Sequence[int]) -> list[Any | None]:
        rows = await getattr(ctx.loaders, loader_name).load_many(list(pks))
        return [convert(r) if r is not None and visible(r) else None for r in rows]

    return fetch


def _published(row: Any) -> bool:
    return bool(row.status == ServiceStatus.PUBLISHED)


def register_catalogue_nodes() -> None:
    NODE_FETCHERS.update(
        {
            "Org": _fetcher("org_by_id", Org.from_model),
            "ServiceItem": _fetcher("service_by_id", ServiceItem.from_model, _published),
            "Material": _fetcher("material_by_id", Material.from_model),
            "Dataset": _fetcher("dataset_by_id", Dataset.from_model),
            "Theme": _fetcher("theme_by_id", Theme.from_model),
            "LifeEvent": _fetcher("life_event_by_id", LifeEvent.from_model),
            "Bundle": _fetcher("bundle_by_id", Bundle.from_model, _published),
        }
    )
