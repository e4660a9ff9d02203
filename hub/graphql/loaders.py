"""One DataLoader per relation, created per request, so a nested query costs a fixed number
of statements however long its lists are."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import SQLModel
from strawberry.dataloader import DataLoader

from hub.catalogue import batches
from hub.catalogue.batches import Rows
from hub.catalogue.pages import count_of
from hub.graphql.identity.loaders import IdentityLoaders
from hub.graphql.page_loaders import page_loader
from hub.models import (
    Bundle,
    Dataset,
    DatasetField,
    DatasetGrant,
    LifeEvent,
    Material,
    MaterialRequirement,
    Org,
    ServiceItem,
    StoredFile,
    Theme,
)
from hub.sharing.figures import ProviderFigures, provider_figures
from hub.sharing.queries import grants_of_requests, lookups_allowed

if TYPE_CHECKING:
    from hub.graphql.context import Context

M = TypeVar("M", bound=SQLModel)
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def _batch(
    rows: Rows, load: Callable[[Rows, Sequence[int]], Awaitable[list[T]]]
) -> DataLoader[int, T]:
    """A DataLoader whose batches are ``load(rows, keys)``."""
    return DataLoader(load_fn=lambda keys: load(rows, keys))


def _by_id(rows: Rows, model: type[M]) -> DataLoader[int, M | None]:
    return DataLoader(load_fn=lambda keys: batches.by_ids(rows, model, keys))


class Loaders:
    """One request's DataLoaders: the catalogue's and sharing's here, identity's beside them
    (:attr:`identity`, made on first use: most requests never read staff). The batches are
    :mod:`hub.catalogue.batches`'s and :mod:`hub.catalogue.pages`'s."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._identity: IdentityLoaders | None = None
        rows = ctx.rows
        self.org_by_id = _by_id(rows, Org)
        self.service_by_id = _by_id(rows, ServiceItem)
        self.material_by_id = _by_id(rows, Material)
        self.file_by_id = _by_id(rows, StoredFile)
        self.dataset_by_id = _by_id(rows, Dataset)
        self.theme_by_id = _by_id(rows, Theme)
        self.life_event_by_id = _by_id(rows, LifeEvent)
        self.bundle_by_id = _by_id(rows, Bundle)
        self.children_by_org: DataLoader[int, list[Org]] = _batch(rows, batches.children_of_orgs)
        self.requirements_by_service: DataLoader[int, list[MaterialRequirement]] = _batch(
            rows, batches.requirements_of_services
        )
        self.fields_by_dataset: DataLoader[int, list[DatasetField]] = _batch(
            rows, batches.fields_of_datasets
        )
        self.themes_by_service: DataLoader[int, list[Theme]] = _batch(
            rows, batches.themes_of_services
        )
        self.life_events_by_service: DataLoader[int, list[LifeEvent]] = _batch(
            rows, batches.life_events_of_services
        )
        self.related_by_service: DataLoader[int, list[ServiceItem]] = _batch(
            rows, batches.related_of_services
        )
        self.bundles_by_service: DataLoader[int, list[Bundle]] = _batch(
            rows, batches.bundles_of_services
        )
        self.bundles_by_life_event: DataLoader[int, list[Bundle]] = _batch(
            rows, batches.bundles_of_life_events
        )
        self.pages = page_loader(ctx)
        self.items_by_bundle: DataLoader[int, list[ServiceItem]] = _batch(
            rows, batches.services_of_bundles
        )
        self.grant_by_request: DataLoader[int, DatasetGrant | None] = _batch(
            rows, grants_of_requests
        )
        self.figures_by_provider: DataLoader[int, ProviderFigures] = _batch(rows, provider_figures)
        #: (service id, material id) → (dataset behind a 免提交 material, may its org look it up)
        self.exemption_by_requirement: DataLoader[tuple[int, int], tuple[int | None, bool]] = (
            DataLoader(load_fn=self._exemptions)
        )

    async def _exemptions(self, keys: Sequence[tuple[int, int]]) -> list[tuple[int | None, bool]]:
        """For (service id, material id) of requirements marked 免提交: the dataset behind the
        material and whether the service's org may look it up. Services and materials come
        through their loaders (usually loaded already); the check is one batch."""
        services = await self.service_by_id.load_many([s for s, _ in keys])
        materials = await self.material_by_id.load_many([m for _, m in keys])
        backing = [
            (service.org_id, material.dataset_id)
            if service is not None and material is not None and material.dataset_id is not None
            else None
            for service, material in zip(services, materials, strict=True)
        ]
        pairs = sorted({pair for pair in backing if pair is not None})
        allowed = dict(zip(pairs, await lookups_allowed(self._ctx.rows, pairs), strict=True))
        return [(p[1], allowed[p]) if p is not None else (None, False) for p in backing]

    @property
    def identity(self) -> IdentityLoaders:
        if self._identity is None:
            self._identity = IdentityLoaders(self._ctx.rows)
        return self._identity


R = TypeVar("R")
V = TypeVar("V")


def load_now(loader: DataLoader[K, V], key: K, convert: Callable[[V], R]) -> R | Awaitable[R]:
    """The converted value at once when the loader already holds it, else an awaitable.

    A field that returns a plain value costs graphql-core no task; see ``hub.graphql.prefetch``.
    """
    future = loader.cache_map.get(key)
    if future is not None and future.done() and future.exception() is None:
        return convert(future.result())

    async def later() -> R:
        return convert(await loader.load(key))

    return later()


async def count_rows(ctx: Context, statement: Any) -> int:
    return int(await ctx.scalar(count_of(statement)))
