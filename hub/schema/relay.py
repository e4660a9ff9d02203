"""Relay conventions: global ids, the Node interface, cursor connections with a page limit."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from hub.context import Context
from hub.errors import BadUserInput
from hub.ids import to_global_id

T = TypeVar("T")
_ROW_ID = re.compile(r"[0-9]{1,18}")  # a cursor's offset

DEFAULT_PAGE_SIZE = 20


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    @strawberry.field(description="Global id, stable across releases.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(type(self).__name__, self.pk))  # type: ignore[attr-defined]


NodeFetcher = Callable[[Context, Sequence[int]], Awaitable[Sequence[Any | None]]]
NODE_FETCHERS: dict[str, NodeFetcher] = {}


def node_type(type_name: str) -> Callable[[NodeFetcher], NodeFetcher]:
    """Register how a node type is fetched by primary keys, with its permission checks."""

    def register(fetch: NodeFetcher) -> NodeFetcher:
        NODE_FETCHERS[type_name] = fetch
        return fetch

    return register


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items after this page.")
    has_previous_page: bool = strawberry.field(description="More items before this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge.")


@strawberry.type(description="One item of a page, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after`/`before` to page from here.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a longer list.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="Items in the whole list.")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        offset = int(value) if _ROW_ID.fullmatch(value) else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"{cursor!r:.80} is not a valid cursor.") from None
    if kind != "o" or offset < 0 or offset > 2**31:
        raise BadUserInput(f"{cursor!r:.80} is not a valid cursor.")
    return offset


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """Rows ``offset .. offset+limit`` of the list, before the total is known."""

    offset: int
    limit: int
    from_end: bool = False
    before: int | None = None


def page_window(args: PageArgs, max_page_size: int) -> Window:
    for name, value in (("first", args.first), ("last", args.last)):
        if value is not None and value < 0:
            raise BadUserInput(f"'{name}' must not be negative.")
        if value is not None and value > max_page_size:
            raise BadUserInput(
                f"'{name}' is {value}; pages hold at most {max_page_size} items.",
                maxPageSize=max_page_size,
            )
    if args.first is not None and args.last is not None:
        raise BadUserInput("Pass 'first' or 'last', not both.")
    start = decode_cursor(args.after) + 1 if args.after else 0
    before = decode_cursor(args.before) if args.before else None
    if args.last is not None:
        return Window(offset=start, limit=args.last, from_end=True, before=before)
    limit = args.first if args.first is not None else DEFAULT_PAGE_SIZE
    if before is not None:
        limit = max(0, min(limit, before - start))
    return Window(offset=start, limit=limit, before=before)


def resolve_window(window: Window, total: int) -> tuple[int, int]:
    """The concrete (offset, limit) once the total is known."""
    end = min(total, window.before) if window.before is not None else total
    if window.from_end:
        start = max(window.offset, end - window.limit)
        return start, max(0, end - start)
    start = min(window.offset, total)
    return start, max(0, min(window.limit, end - start))


def build_connection(nodes: Sequence[T], *, offset: int, total: int) -> Connection[T]:
    edges = [Edge(cursor=encode_cursor(offset + i), node=n) for i, n in enumerate(nodes)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(nodes) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
