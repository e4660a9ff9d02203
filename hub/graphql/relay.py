"""Relay conventions: global ids, the Node interface, cursor connections with a page limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import strawberry
from strawberry.dataloader import DataLoader

from hub.paging import encode_cursor

if TYPE_CHECKING:
    from hub.graphql.context import Context

from hub.ids import to_global_id

T = TypeVar("T")
C = TypeVar("C", bound=type)


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    @strawberry.field(description="Global id, stable across releases.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(type(self).__name__, self.pk))  # type: ignore[attr-defined]


NodeFetcher = Callable[["Context", Sequence[int]], Awaitable[Sequence[Any | None]]]
NODE_FETCHERS: dict[str, NodeFetcher] = {}


def node_type(type_name: str) -> Callable[[NodeFetcher], NodeFetcher]:
    """Register how a node type is fetched by primary keys, with its permission checks."""

    def register(fetch: NodeFetcher) -> NodeFetcher:
        NODE_FETCHERS[type_name] = fetch
        return fetch

    return register


RowConverter = Callable[[Any], Any]
ROW_TYPES: dict[type, RowConverter] = {}


def row_type(model: type) -> Callable[[C], C]:
    """Register a GraphQL type as what rows of ``model`` become (its ``from_model``).

    The types of one graph refer to each other (``ServiceItem.org`` and ``Org.services``);
    with the registry a field returns :func:`as_type` of a row, its annotation names the other
    type through ``strawberry.lazy``, and no type module imports another at run time.
    """

    def register(cls: C) -> C:
        ROW_TYPES[model] = cls.from_model  # type: ignore[attr-defined]
        return cls

    return register


def as_type(row: Any) -> Any:
    """The GraphQL object for a row, by the row's table (see :func:`row_type`)."""
    return ROW_TYPES[type(row)](row)


async def referenced(loader: DataLoader[int, Any], pk: int) -> Any:
    """The GraphQL object for the row a foreign key names (so it exists), through ``loader``."""
    row = await loader.load(pk)
    assert row is not None, "a foreign key names an existing row"
    return as_type(row)


def as_types(rows: Sequence[Any]) -> list[Any]:
    """:func:`as_type` of each row, in order."""
    return [as_type(r) for r in rows]


def as_types_of(model: type) -> Callable[[Sequence[Any]], list[Any]]:
    """:func:`as_types` for plain rows of ``model``'s table (not ORM objects, so their type
    does not name the table; see :func:`hub.catalogue.batches.plain`)."""

    def convert(rows: Sequence[Any]) -> list[Any]:
        made = ROW_TYPES[model]
        return [made(r) for r in rows]

    return convert


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
