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

:class:`LeanExecutor` goes one step further for a scalar or enum attribute: it reads and
coerces the value without graphql-core's per-field machinery, and leaves anything unusual
to graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.incremental.incremental_executor import IncrementalExecutor
from graphql.pyutils import Path
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Resolve = Callable[..., Any]


def _attribute(name: str) -> Resolve:
    def resolve(source: Any, info: GraphQLResolveInfo) -> Any:
        return getattr(source, name)

    return resolve


def _leaf(graphql_type: Any) -> tuple[GraphQLLeafType, bool] | None:
    """A scalar or enum field's type and whether it may be null; None for anything else."""
    nullable = not isinstance(graphql_type, GraphQLNonNull)
    named = graphql_type if nullable else graphql_type.of_type
    return (named, nullable) if isinstance(named, GraphQLScalarType | GraphQLEnumType) else None


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
            if direct is None:
                continue
            graphql_field.resolve = direct
            changed += 1
            leaf = _leaf(graphql_field.type)
            if field.base_resolver is None and leaf is not None:
                # a plain scalar attribute: what LeanExecutor needs to answer it at once
                direct.hub_leaf = (field.python_name, *leaf)  # type: ignore[attr-defined]
    return changed


class LeanExecutor(IncrementalExecutor):
    """graphql-core's executor, with a short path for a scalar or enum read from an
    attribute (``hub_leaf``, set by :func:`lean_resolvers`; a page of 20 services has about
    1,000 of them). graphql-core builds a ``GraphQLResolveInfo`` for every field, asks twice
    whether the value is awaitable and dispatches on the type before it coerces the value;
    such a field needs only ``getattr`` and the coercion. A null that the type forbids, a
    value that does not coerce, or anything raised goes on to graphql-core's own path, which
    makes the same read and reports the error at the field, as before."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        field_def = parent_type.fields.get(field_details_list[0].node.name.value)
        leaf = getattr(field_def.resolve, "hub_leaf", None) if field_def is not None else None
        if leaf is not None and self.middleware_manager is None:
            name, leaf_type, nullable = leaf
            try:
                value = getattr(source, name)
                if value is None:
                    if nullable:
                        return None
                else:
                    coerced = leaf_type.coerce_output_value(value)
                    if coerced is not None and coerced is not Undefined:
                        return coerced
            except Exception:  # graphql-core's path below reports it at the field
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
