"""A direct call for the resolvers that take no GraphQL arguments.

strawberry calls every field resolver through one general path: it makes an ``Info``,
converts the GraphQL arguments, asks each field extension to reshape them, finds where
``self``, ``root`` and ``info`` go, chains the extensions with ``functools.reduce`` and, for
an ``async`` resolver, adds a coroutine of its own around the resolver's. A page of 20
services with their materials calls such resolvers about 400 times (a requirement's
``material`` and ``exempt``, a service's ``materials`` …), at several microseconds each.
A plain attribute (no resolver) goes through three calls and two new containers to reach
``getattr``, about 1,000 times for that page.

For a resolver with no GraphQL arguments, no field extensions (permissions are extensions)
and no ``root``/``parent`` parameter, that path comes down to ``resolver(source, info=Info
(…))``, and for a plain attribute to ``getattr(source, name)`` (strawberry's default
resolver). :func:`lean_resolvers` gives such fields exactly that call. What the resolver
returns goes to graphql-core unchanged (a coroutine is awaited by graphql-core instead of
by strawberry's wrapper), and an exception propagates as before. Fields outside those
conditions, and every field with arguments, keep strawberry's path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Resolve = Callable[..., Any]


def _attribute(name: str) -> Resolve:
    def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
        return getattr(source, name)

    return resolve


def _direct(field: StrawberryField, info_class: type[Any]) -> Resolve | None:
    """``field``'s direct call, or None when it needs strawberry's path."""
    resolver = field.base_resolver
    if field.extensions or field.arguments:
        return None
    if resolver is None:  # a plain attribute
        return _attribute(field.python_name) if field.default_resolver is getattr else None
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    call = resolver.wrapped_func
    if not callable(call):
        return None
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    if takes_self and info_name == "info":

        def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
            return call(source, info=info_class(_raw_info=info, _field=field))

    elif takes_self and info_name is None:

        def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
            return call(source)

    else:
        return None  # (a static resolver, an info parameter by another name: rare, left)
    return resolve


def lean_resolvers(schema: strawberry.Schema) -> int:
    """Give every eligible field of ``schema`` its direct call; the number of fields."""
    info_class = schema.config.info_class
    changed = 0
    for named in schema._schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for graphql_field in named.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            direct = _direct(field, info_class)
            if direct is not None:
                graphql_field.resolve = direct
                changed += 1
    return changed
