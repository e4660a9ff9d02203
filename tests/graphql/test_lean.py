"""The direct call for argument-less resolvers (:mod:`hub.graphql.lean`): which fields get it,
and that they answer as strawberry's own path did, errors included."""

from __future__ import annotations

import asyncio
import datetime
from enum import Enum
from typing import Any

import strawberry
from graphql import execute, parse
from strawberry.permission import BasePermission
from strawberry.types import Info

from hub.graphql.lean import LeanExecutor, lean_resolvers
from hub.graphql.schema import build_schema


class Nobody(BasePermission):
    message = "nobody"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Thing:
    name: str

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def asked(self, info: Info) -> str:
        return f"{info.field_name} of {self.name} for {info.context['who']}"

    @strawberry.field
    async def later(self, info: Info) -> str:
        await asyncio.sleep(0)
        return f"{self.name} later ({info.path.key})"

    @strawberry.field
    def times(self, n: int) -> str:
        return self.name * n

    @strawberry.field(permission_classes=[Nobody])
    def secret(self) -> str | None:
        return "never"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("broken on purpose")


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [Thing(name="a"), Thing(name="b")]


QUERY = "{ things { name shout asked later times(n: 2) secret broken } }"


def run(schema: strawberry.Schema) -> Any:
    return asyncio.run(schema.execute(QUERY, context_value={"who": "me"}))


def test_only_argument_less_resolvers_without_extensions_are_called_directly() -> None:
    schema = strawberry.Schema(query=Query)
    before = run(schema)
    assert lean_resolvers(schema) == 6  # Query.things, and Thing's but `times` and `secret`
    fields = schema._schema.type_map["Thing"].fields  # type: ignore[attr-defined]
    direct = {name for name, f in fields.items() if f.resolve.__module__ == "hub.graphql.lean"}
    # not `times` (arguments), nor `secret` (a permission is a field extension)
    assert direct == {"name", "shout", "asked", "later", "broken"}
    after = run(schema)
    assert (
        after.data
        == before.data
        == {
            "things": [
                {
                    "name": n,
                    "shout": n.upper(),
                    "asked": f"asked of {n} for me",
                    "later": f"{n} later (later)",
                    "times": n * 2,
                    "secret": None,
                    "broken": None,
                }
                for n in "ab"
            ]
        }
    )

    def described(result: Any) -> list[tuple[str, list[Any]]]:
        return sorted((e.message, e.path) for e in result.errors)

    assert described(after) == described(before)
    assert ("broken on purpose", ["things", 0, "broken"]) in described(after)
    assert ("nobody", ["things", 1, "secret"]) in described(after)


def test_hub_schema_relations_are_direct_and_lists_with_arguments_are_not() -> None:
    schema = build_schema()
    types = schema._schema.type_map  # type: ignore[attr-defined]
    assert types["ServiceItem"].fields["materials"].resolve.__module__ == "hub.graphql.lean"
    assert types["MaterialRequirement"].fields["exempt"].resolve.__module__ == "hub.graphql.lean"
    assert types["ServiceItem"].fields["name"].resolve.__module__ == "hub.graphql.lean"
    assert types["Query"].fields["services"].resolve.__module__ != "hub.graphql.lean"


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Leaf:
    label: str
    count: int
    colour: Colour
    when: datetime.date
    maybe: str | None


@strawberry.type
class LeafQuery:
    @strawberry.field
    def leaves(self) -> list[Leaf | None]:
        good = Leaf(
            label="a", count=1, colour=Colour.RED, when=datetime.date(2026, 12, 6), maybe=None
        )
        null = Leaf(label=None, count=2, colour=Colour.BLUE, when=good.when, maybe="m")  # type: ignore[arg-type]
        wrong = Leaf(label="c", count="three", colour="green", when=good.when, maybe=None)  # type: ignore[arg-type]
        return [good, null, wrong]


def test_the_executor_answers_leaves_as_graphql_core_does() -> None:
    """Nulls the type forbids, values that do not coerce, enums, custom scalars: the same
    data and the same errors, at the same paths, as graphql-core's executor."""
    schema = strawberry.Schema(query=LeafQuery)
    lean_resolvers(schema)
    document = parse("{ leaves { label count colour when maybe } }")

    def run(executor: Any) -> Any:
        return execute(schema._schema, document, executor_class=executor)  # type: ignore[attr-defined]

    theirs, ours = run(None), run(LeanExecutor)
    assert ours.data == theirs.data
    assert ours.data["leaves"][0] == {
        "label": "a",
        "count": 1,
        "colour": "RED",
        "when": "2026-12-06",
        "maybe": None,
    }
    assert ours.data["leaves"][1:] == [None, None]  # a forbidden null, a bad Int and enum
    described = sorted((e.message, e.path) for e in ours.errors)
    assert described == sorted((e.message, e.path) for e in theirs.errors)
    # the first error of a non-null field nulls its object, and the rest is not read
    assert [path for _, path in described] == [["leaves", 1, "label"], ["leaves", 2, "count"]]

    class Counting(LeanExecutor):
        def build_resolve_info(self, field_def: Any, *args: Any) -> Any:
            built.append(field_def)
            return super().build_resolve_info(field_def, *args)

    built: list[Any] = []
    assert run(Counting).data == ours.data
    # graphql-core's path only for `leaves` itself and the two fields in error
    assert len(built) == 3
