"""Connection fields nested in a type (an org's services, a theme's services …), declared
once: each is a page of one :class:`hub.graphql.page_loaders.Scope`, batched across parents."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from hub.catalogue.pages import Scope
from hub.graphql.context import Context
from hub.graphql.relay import Connection, as_type, build_connection
from hub.paging import PageArgs, page_window

if TYPE_CHECKING:
    from hub.graphql.catalogue.datasets import Dataset
    from hub.graphql.catalogue.services import ServiceItem

T = TypeVar("T")
ServiceItemRef = Annotated["ServiceItem", strawberry.lazy("hub.graphql.catalogue.services")]
DatasetRef = Annotated["Dataset", strawberry.lazy("hub.graphql.catalogue.datasets")]


def service_page(scope: Scope, description: str) -> Any:
    """A ``services(first, after, last, before)`` field over ``scope``."""

    async def resolve(
        root: Any,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ServiceItemRef]:
        page = PageArgs(first, after, last, before)
        return await nested_page(info.context, scope, root.pk, page, as_type)

    return strawberry.field(resolver=resolve, description=description)


def dataset_page(scope: Scope, description: str) -> Any:
    """A ``datasets(first, after, last, before)`` field over ``scope``."""

    async def resolve(
        root: Any,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DatasetRef]:
        page = PageArgs(first, after, last, before)
        return await nested_page(info.context, scope, root.pk, page, as_type)

    return strawberry.field(resolver=resolve, description=description)


async def nested_page(
    ctx: Context, scope: Scope, parent_id: int, args: PageArgs, convert: Callable[[Any], T]
) -> Connection[T]:
    window = page_window(args, ctx.settings.max_page_size)
    rows, offset, total = await ctx.loaders.pages.load((scope, parent_id, window))
    return build_connection([convert(r) for r in rows], offset=offset, total=total)
