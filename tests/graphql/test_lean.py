"""The direct call for argument-less resolvers (:mod:`hub.graphql.lean`): which fields get it,
and that they answer as strawberry's own path did, errors included."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from hub.graphql.lean import lean_resolvers
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
