"""One DataLoader per relation, created per request, so a nested query costs a fixed number
of statements however long its lists are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import SQLModel, col
from strawberry.dataloader import DataLoader

from hub.graphql.identity.loaders import IdentityLoaders
from hub.graphql.page_loaders import page_loader
from hub.models import (
    Bundle,
    BundleItem,
    Dataset,
    DatasetField,
    LifeEvent,
    Material,
    MaterialRequirement,
    Org,
    ServiceItem,
    ServiceLifeEvent,
    ServiceRelation,
    ServiceTheme,
    StoredFile,
    Theme,
)
from hub.models.enums import ServiceStatus

if TYPE_CHECKING:
    from hub.graphql.context import Context

M = TypeVar("M", bound=SQLModel)
K = TypeVar("K", bound=Hashable)


class Loaders:
    """One request's DataLoaders: the catalogue's here, identity's beside them
    (:attr:`identity`, made on first use: most requests never read staff)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._identity: IdentityLoaders | None = None
        self.org_by_id = self._by_id(Org)
        self.service_by_id = self._by_id(ServiceItem)
        self.material_by_id = self._by_id(Material)
        self.file_by_id = self._by_id(StoredFile)
        self.dataset_by_id = self._by_id(Dataset)
        self.theme_by_id = self._by_id(Theme)
        self.life_event_by_id = self._by_id(LifeEvent)
        self.bundle_by_id = self._by_id(Bundle)
        self.children_by_org = self._many(
            select(Org).order_by(col(Org.sort_order), col(Org.id)),
            Org.parent_id,
            lambda o: o.parent_id,
        )
        self.requirements_by_service = self._many(
            select(MaterialRequirement).order_by(
                col(MaterialRequirement.position), col(MaterialRequirement.id)
            ),
            MaterialRequirement.service_id,
            lambda r: r.service_id,
        )
        self.fields_by_dataset = self._many(
            select(DatasetField).order_by(col(DatasetField.position)),
            DatasetField.dataset_id,
            lambda f: f.dataset_id,
        )
        self.themes_by_service = self._linked(
            Theme, ServiceTheme, ServiceTheme.theme_id, ServiceTheme.service_id, Theme.sort_order
        )
        self.life_events_by_service = self._linked(
            LifeEvent,
            ServiceLifeEvent,
            ServiceLifeEvent.life_event_id,
            ServiceLifeEvent.service_id,
            LifeEvent.sort_order,
        )
        self.related_by_service = self._linked(
            ServiceItem,
            ServiceRelation,
            ServiceRelation.related_id,
            ServiceRelation.service_id,
            ServiceItem.sort_order,
            published_only=True,
        )
        self.bundles_by_service = self._linked(
            Bundle,
            BundleItem,
            BundleItem.bundle_id,
            BundleItem.service_id,
            Bundle.id,
            published_only=True,
        )
        self.pages = page_loader(ctx)
        self.items_by_bundle = self._linked(
            ServiceItem,
            BundleItem,
            BundleItem.service_id,
            BundleItem.bundle_id,
            BundleItem.position,
            published_only=True,
        )

    @property
    def identity(self) -> IdentityLoaders:
        if self._identity is None:
            self._identity = IdentityLoaders(self._ctx.rows)
        return self._identity

    def _by_id(self, model: type[M]) -> DataLoader[int, M | None]:
        ctx = self._ctx
        pk = model.id  # type: ignore[attr-defined]

        async def load(keys: Sequence[int]) -> list[M | None]:
            rows = await ctx.rows(select(model).where(col(pk).in_(keys)))
            found = {row.id: row for row in rows}
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    def _many(
        self, base: Any, key_column: Any, key_of: Callable[[Any], int | None]
    ) -> DataLoader[int, list[Any]]:
        ctx = self._ctx

        async def load(keys: Sequence[int]) -> list[list[Any]]:
            rows = await ctx.rows(base.where(col(key_column).in_(keys)))
            grouped: dict[int | None, list[Any]] = defaultdict(list)
            for row in rows:
                grouped[key_of(row)].append(row)
            return [grouped.get(key, []) for key in keys]

        return DataLoader(load_fn=load)

    def _linked(
        self,
        target: type[M],
        link: type[SQLModel],
        link_target: Any,
        link_owner: Any,
        order: Any,
        *,
        published_only: bool = False,
    ) -> DataLoader[int, list[M]]:
        """Rows of ``target`` reached through the association table ``link``."""
        ctx = self._ctx
        target_pk = target.id  # type: ignore[attr-defined]

        async def load(keys: Sequence[int]) -> list[list[M]]:
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
            rows = await ctx.rows(statement)
            grouped: dict[int, list[M]] = defaultdict(list)
            for owner, item in rows:
                grouped[owner].append(item)
            return [grouped.get(key, []) for key in keys]

        return DataLoader(load_fn=load)


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
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int(await ctx.scalar(counted))
