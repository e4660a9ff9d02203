"""Connection fields nested in a type (an org's services, a theme's services …), declared
once: each is a page of one :class:`hub.page_loaders.Scope`, batched across parents."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from hub.context import Context
from hub.page_loaders import Scope, nested_page
from hub.schema.relay import Connection, PageArgs

if TYPE_CHECKING:
    from hub.schema.datasets import Dataset
    from hub.schema.services import ServiceItem

ServiceItemRef = Annotated["ServiceItem", strawberry.lazy("hub.schema.services")]
DatasetRef = Annotated["Dataset", strawberry.lazy("hub.schema.datasets")]


def _converter(kind: str) -> Callable[[Any], Any]:
    if kind == "services":
        from hub.schema.services import ServiceItem

        return ServiceItem.from_model
    from hub.schema.datasets import Dataset

    return Dataset.from_model


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
        return await nested_page(info.context, scope, root.pk, page, _converter("services"))

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
        return await nested_page(info.context, scope, root.pk, page, _converter("datasets"))

    return strawberry.field(resolver=resolve, description=description)
