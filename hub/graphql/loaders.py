"""One DataLoader per relation, created per request, so a nested query costs a fixed number
of statements however long its lists are."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import SQLModel
from strawberry.dataloader import DataLoader

from hub.catalogue import batches
from hub.catalogue.batches import Rows
from hub.catalogue.pages import Page, count_of
from hub.graphql.identity.loaders import IdentityLoaders
from hub.graphql.page_loaders import PageKey, page_loader
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
        self._rows = ctx.rows

    # Each loader is made on first use: a request reads a few relations, and every loader
    # made is garbage (with its cache and futures) when the request ends.

    @cached_property
    def org_by_id(self) -> DataLoader[int, Org | None]:
        return _by_id(self._rows, Org)

    @cached_property
    def service_by_id(self) -> DataLoader[int, ServiceItem | None]:
        return _by_id(self._rows, ServiceItem)

    @cached_property
    def material_by_id(self) -> DataLoader[int, Material | None]:
        """Plain rows (:func:`hub.catalogue.batches.plain`): a page reads dozens."""
        return DataLoader(load_fn=lambda keys: batches.plain_by_ids(self._rows, Material, keys))

    @cached_property
    def file_by_id(self) -> DataLoader[int, StoredFile | None]:
        return _by_id(self._rows, StoredFile)

    @cached_property
    def dataset_by_id(self) -> DataLoader[int, Dataset | None]:
        return _by_id(self._rows, Dataset)

    @cached_property
    def theme_by_id(self) -> DataLoader[int, Theme | None]:
        return _by_id(self._rows, Theme)

    @cached_property
    def life_event_by_id(self) -> DataLoader[int, LifeEvent | None]:
        return _by_id(self._rows, LifeEvent)

    @cached_property
    def bundle_by_id(self) -> DataLoader[int, Bundle | None]:
        return _by_id(self._rows, Bundle)

    @cached_property
    def children_by_org(self) -> DataLoader[int, list[Org]]:
        return _batch(self._rows, batches.children_of_orgs)

    @cached_property
    def requirements_by_service(self) -> DataLoader[int, list[MaterialRequirement]]:
        """Plain rows (:func:`hub.catalogue.batches.plain`): a page reads about a hundred."""
        return _batch(self._rows, batches.requirements_of_services)

    @cached_property
    def fields_by_dataset(self) -> DataLoader[int, list[DatasetField]]:
        return _batch(self._rows, batches.fields_of_datasets)

    @cached_property
    def themes_by_service(self) -> DataLoader[int, list[Theme]]:
        return _batch(self._rows, batches.themes_of_services)

    @cached_property
    def life_events_by_service(self) -> DataLoader[int, list[LifeEvent]]:
        return _batch(self._rows, batches.life_events_of_services)

    @cached_property
    def related_by_service(self) -> DataLoader[int, list[ServiceItem]]:
        return _batch(self._rows, batches.related_of_services)

    @cached_property
    def bundles_by_service(self) -> DataLoader[int, list[Bundle]]:
        return _batch(self._rows, batches.bundles_of_services)

    @cached_property
    def bundles_by_life_event(self) -> DataLoader[int, list[Bundle]]:
        return _batch(self._rows, batches.bundles_of_life_events)

    @cached_property
    def pages(self) -> DataLoader[PageKey, Page]:
        return page_loader(self._ctx)

    @cached_property
    def items_by_bundle(self) -> DataLoader[int, list[ServiceItem]]:
        return _batch(self._rows, batches.services_of_bundles)

    @cached_property
    def grant_by_request(self) -> DataLoader[int, DatasetGrant | None]:
        return _batch(self._rows, grants_of_requests)

    @cached_property
    def figures_by_provider(self) -> DataLoader[int, ProviderFigures]:
        return _batch(self._rows, provider_figures)

    @cached_property
    def exemption_by_requirement(self) -> DataLoader[tuple[int, int], tuple[int | None, bool]]:
        """(service id, material id) → (dataset behind a 免提交 material, may its org look
        it up)."""
        return DataLoader(load_fn=self._exemptions)

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
        allowed = dict(zip(pairs, await lookups_allowed(self._rows, pairs), strict=True))
        return [(p[1], allowed[p]) if p is not None else (None, False) for p in backing]

    def release(self) -> None:
        """Forget what the request's loaders hold (its rows, futures and tasks), so that they
        are freed by reference counting when the request ends, not by the collector."""
        for made in list(vars(self).values()):
            if isinstance(made, DataLoader):
                made.clear_all()
        vars(self).clear()

    @cached_property
    def identity(self) -> IdentityLoaders:
        return IdentityLoaders(self._ctx.rows)


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
