"""Connections nested under lists (each org's services, each theme's services …) loaded for
all parents at once, one batch per :class:`~hub.catalogue.pages.Scope`: the statements are
:func:`hub.catalogue.pages.pages_of`'s; this only makes the request's DataLoader."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from hub.catalogue.pages import Page, Scope, pages_of
from hub.paging import Window

if TYPE_CHECKING:
    from hub.graphql.context import Context

PageKey = tuple[Scope, int, Window]


def page_loader(ctx: Context) -> DataLoader[PageKey, Page]:
    async def load(keys: Sequence[PageKey]) -> list[Page]:
        by_scope: dict[Scope, list[PageKey]] = defaultdict(list)
        for key in keys:
            by_scope[key[0]].append(key)
        found: dict[PageKey, Page] = {}
        for scope, scope_keys in by_scope.items():
            wanted = [(parent_id, window) for _, parent_id, window in scope_keys]
            pages = await pages_of(ctx.rows, scope, wanted)
            for key, page in zip(scope_keys, pages, strict=True):
                found[key] = page
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
