"""Run a filtered SELECT as one page of a connection: a COUNT and one page of rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from hub.graphql.loaders import count_rows
from hub.graphql.relay import Connection, build_connection
from hub.paging import PageArgs, page_window, resolve_window

if TYPE_CHECKING:
    from hub.graphql.context import Context

T = TypeVar("T")


async def paginate(
    ctx: Context,
    statement: Any,
    args: PageArgs,
    convert: Callable[[Any], T],
    prefetch: Callable[[list[Any]], Awaitable[None]] | None = None,
) -> Connection[T]:
    window = page_window(args, ctx.settings.max_page_size)
    total = await count_rows(ctx, statement)
    offset, limit = resolve_window(window, total)
    if limit == 0:
        return build_connection([], offset=offset, total=total)
    rows = await ctx.rows(statement.offset(offset).limit(limit))
    if prefetch is not None:
        await prefetch(rows)
    return build_connection([convert(row) for row in rows], offset=offset, total=total)
