"""Depth, alias and cost limits, checked before a query runs, in time linear in the document.

The walk visits every selection once: a fragment's figures are worked out the first time it
is spread and remembered (relative to where it is spread), so ``...F1 ...F1`` in each of 30
nested fragments costs 30 steps, not 2**30.

**Cost** estimates how many fields the query resolves: every field costs one for each object
it is resolved on. Below a connection (a field with ``first``/``last``) that is multiplied by
the page size asked for (20 when none is given); below ``nodes(ids:)`` by the number of ids;
below any other list by :data:`LIST_ESTIMATE`. A search counts as :data:`FIELD_WEIGHTS` fields
(about a dozen searches fit the default budget). Introspection lists are multiplied by the
schema's own figures (its number of types, the average fields of a type …), so the standard
introspection query fits the budget while a hostile ``fields { type { fields { … } } }``
chain does not. Fields below ``__schema``/``__type`` do not count towards depth (the standard
introspection query is 15 levels deep) and are held to a budget of their own
(:data:`INTROSPECTION_BUDGET`): the estimate counts every level of its ``ofType`` chains,
which mostly answer null, so it overstates introspection several times.

**Duplicates**: graphql-core's validation compares every pair of fields selected under the
same response name, recursively, so ``{ rootOrg { name } rootOrg { name } …}`` costs little
to run but seconds to validate. Selecting a name again counts as a duplicate, and a
document may have at most :data:`MAX_DUPLICATES`.

Page sizes given as variables make the cost depend on the request; such documents are
costed again for each request's variables (still one linear walk).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef

from hub.errors import QueryTooComplex
from hub.paging import DEFAULT_PAGE_SIZE as DEFAULT_PAGE

LIST_ESTIMATE = 10
#: Fields whose own work is far more than resolving one value: a search runs the engine (query,
#: page and facets), a suggestion a prefix query, a synonym preview up to 55 searches (one per
#: request). They count as this many fields each.
FIELD_WEIGHTS = {"searchServices": 2_000, "suggestServices": 200, "synonymPreview": 20_000}
MAX_DUPLICATES = 100  # validation compares same-named fields pairwise: keep that small
INTROSPECTION_BUDGET = 150_000  # the standard introspection query is estimated at ~92,000
_PAGE_ARGS = ("first", "last")
_INTROSPECTION_ROOTS = ("__schema", "__type")


@dataclass(frozen=True, slots=True)
class Figures:
    """Of one selection set, per object it is resolved on."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0
    variable_sizes: bool = False  # a page size came from a variable
    introspection_cost: int = 0  # the part below __schema/__type, held to its own budget
    duplicates: int = 0  # fields selected again under a response name already selected


class _Introspection:
    """Average list lengths of the schema's introspection answers."""

    def __init__(self, schema: GraphQLSchema) -> None:
        composite = [
            t
            for t in schema.type_map.values()
            if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        ]
        fields = [f for t in composite for f in t.fields.values()]
        self.sizes = {
            "types": len(schema.type_map),
            "directives": len(schema.directives),
            "fields": _ceil_avg(len(fields), len(composite)),
            "args": _ceil_avg(sum(len(f.args) for f in fields), len(fields)),
            "interfaces": 2,
            "possibleTypes": 4,
            "enumValues": 8,
            "inputFields": 6,
        }


def _ceil_avg(total: int, count: int) -> int:
    return max(1, -(-total // max(1, count)))


def _unwrap(type_: GraphQLType) -> tuple[GraphQLType, bool]:
    """The named type, and whether a list lies on the way."""
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        max_page: int,
        introspection: _Introspection,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.max_page = max_page
        self.introspection = introspection
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.defaults: dict[str, Any] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                for var in definition.variable_definitions or ():
                    if isinstance(var.default_value, IntValueNode):
                        self.defaults[var.variable.name.value] = int(var.default_value.value)
        self.memo: dict[tuple[str, bool], Figures] = {}
        self.visiting: set[tuple[str, bool]] = set()
        self.names_memo: dict[str, Counter[str]] = {}
        self.naming: set[str] = set()

    def _size(self, node: Any, default: int) -> tuple[int, bool]:
        if isinstance(node, IntValueNode):
            return min(max(int(node.value), 0), self.max_page), False
        if isinstance(node, VariableNode):
            if self.variables is None:
                return self.max_page, True
            value = self.variables.get(node.name.value, self.defaults.get(node.name.value))
            if isinstance(value, int) and not isinstance(value, bool):
                return min(max(value, 0), self.max_page), True
            return default, True
        return default, False

    def _multiplier(self, field: FieldNode, parent: GraphQLNamedType | None) -> tuple[int, bool]:
        """How many objects the field's selection is resolved on, per parent object."""
        args = {a.name.value: a.value for a in field.arguments or ()}
        name = field.name.value
        for page_arg in _PAGE_ARGS:
            if page_arg in args:
                return self._size(args[page_arg], DEFAULT_PAGE)
        if name == "nodes" and "ids" in args:
            ids = args["ids"]
            if isinstance(ids, ListValueNode):
                return len(ids.values), False
            if isinstance(ids, VariableNode):
                value = (self.variables or {}).get(ids.name.value)
                if isinstance(value, list):
                    return len(value), True
                return (self.max_page if self.variables is None else 1), True
        return 0, False  # not a page: decided by the field's type

    def field_type(
        self, parent: GraphQLNamedType | None, name: str
    ) -> tuple[GraphQLNamedType | None, bool]:
        if name in _INTROSPECTION_ROOTS:
            meta = SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
            return cast(GraphQLNamedType, _unwrap(meta.type)[0]), False
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return None, False
        definition = parent.fields.get(name)
        if definition is None:
            return None, False
        named, is_list = _unwrap(definition.type)
        return named, is_list  # type: ignore[return-value]

    def selection(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        introspecting: bool,
    ) -> Figures:
        if selection_set is None:
            return Figures()
        depth = aliases = cost = introspection_cost = duplicates = 0
        variable_sizes = False
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                sub = self.field(node, parent, introspecting)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                sub = self.selection(node.selection_set, target, introspecting)
            elif isinstance(node, FragmentSpreadNode):
                sub = self.spread(node.name.value, introspecting)
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            depth = max(depth, sub.depth)
            aliases += sub.aliases
            cost += sub.cost
            introspection_cost += sub.introspection_cost
            duplicates += sub.duplicates
            variable_sizes = variable_sizes or sub.variable_sizes
        names = self.top_names(selection_set)
        duplicates += sum(count - 1 for count in names.values())
        return Figures(depth, aliases, cost, variable_sizes, introspection_cost, duplicates)

    def top_names(self, selection_set: SelectionSetNode) -> Counter[str]:
        """Response names selected at this level, through inline fragments and (each distinct
        fragment once, as graphql-core compares them) fragment spreads."""
        names: Counter[str] = Counter()
        spreads: set[str] = set()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                names[(node.alias or node.name).value] += 1
            elif isinstance(node, InlineFragmentNode):
                names.update(self.top_names(node.selection_set))
            elif isinstance(node, FragmentSpreadNode):
                spreads.add(node.name.value)
        for name in spreads:
            names.update(self.fragment_names(name))
        return names

    def fragment_names(self, name: str) -> Counter[str]:
        known = self.names_memo.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.naming:
            return Counter()
        self.naming.add(name)
        found = self.top_names(fragment.selection_set)
        self.naming.discard(name)
        self.names_memo[name] = found
        return found

    def field(
        self, node: FieldNode, parent: GraphQLNamedType | None, introspecting: bool
    ) -> Figures:
        name = node.name.value
        inside = introspecting or name in _INTROSPECTION_ROOTS
        named, is_list = self.field_type(parent, name)
        per_parent, variable_sizes = self._multiplier(node, parent)
        if not per_parent:
            if is_list and inside:
                per_parent = self.introspection.sizes.get(name, LIST_ESTIMATE)
            elif is_list and named is not None and _is_edge_list(parent, name):
                per_parent = 1  # the connection already counted its page
            elif is_list:
                per_parent = LIST_ESTIMATE
            else:
                per_parent = 1
        below = self.selection(node.selection_set, named, inside)
        cost = FIELD_WEIGHTS.get(name, 1) + per_parent * (below.cost + below.introspection_cost)
        return Figures(
            depth=below.depth + (0 if inside else 1),
            aliases=below.aliases + (1 if node.alias is not None else 0),
            cost=0 if inside else cost,
            variable_sizes=variable_sizes or below.variable_sizes,
            introspection_cost=cost if inside else per_parent * below.introspection_cost,
            duplicates=below.duplicates,
        )

    def spread(self, name: str, introspecting: bool) -> Figures:
        key = (name, introspecting)
        known = self.memo.get(key)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or key in self.visiting:
            return Figures()  # validation reports unknown and cyclic fragments
        self.visiting.add(key)
        target = self.schema.get_type(fragment.type_condition.name.value)
        figures = self.selection(fragment.selection_set, target, introspecting)
        self.visiting.discard(key)
        self.memo[key] = figures
        return figures


def _is_edge_list(parent: GraphQLNamedType | None, name: str) -> bool:
    return parent is not None and parent.name.endswith("Connection") and name in ("edges", "nodes")


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_page: int


class QueryLimiter:
    """Checks documents against the limits; built once per schema."""

    def __init__(self, schema: GraphQLSchema, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        self._introspection = _Introspection(schema)

    def measure(
        self,
        document: DocumentNode,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Figures:
        """The largest figures over the document's operations (the named one, if given).

        With ``variables`` None, page sizes from variables count as the largest page.
        """
        walk = _Walk(self.schema, document, variables, self.limits.max_page, self._introspection)
        depth = aliases = cost = introspection_cost = duplicates = 0
        variable_sizes = False
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if operation_name is not None and (
                definition.name is None or definition.name.value != operation_name
            ):
                continue
            root = self.schema.get_root_type(definition.operation)
            figures = walk.selection(definition.selection_set, root, False)
            depth = max(depth, figures.depth)
            aliases = max(aliases, figures.aliases)
            cost = max(cost, figures.cost)
            introspection_cost = max(introspection_cost, figures.introspection_cost)
            duplicates += figures.duplicates
            variable_sizes = variable_sizes or figures.variable_sizes
        return Figures(depth, aliases, cost, variable_sizes, introspection_cost, duplicates)

    def check(self, figures: Figures, *, check_cost: bool = True) -> None:
        limits = self.limits
        if figures.depth > limits.max_depth:
            raise QueryTooComplex(
                f"Query is {figures.depth} levels deep; the limit is {limits.max_depth}.",
                depth=figures.depth,
                limit=limits.max_depth,
            )
        if figures.aliases > limits.max_aliases:
            raise QueryTooComplex(
                f"Query uses {figures.aliases} aliases; the limit is {limits.max_aliases}.",
                aliases=figures.aliases,
                limit=limits.max_aliases,
            )
        if figures.duplicates > MAX_DUPLICATES:
            raise QueryTooComplex(
                f"Query selects the same fields again {figures.duplicates} times; the limit is "
                f"{MAX_DUPLICATES}. Select each field once per selection.",
                duplicates=figures.duplicates,
                limit=MAX_DUPLICATES,
            )
        if check_cost and figures.cost > limits.max_cost:
            raise QueryTooComplex(
                f"Query would resolve about {figures.cost} fields; the limit is "
                f"{limits.max_cost}. Ask for smaller pages or fewer nested lists.",
                cost=figures.cost,
                limit=limits.max_cost,
            )
        if figures.introspection_cost > INTROSPECTION_BUDGET:
            raise QueryTooComplex(
                f"Introspection would resolve about {figures.introspection_cost} fields; the "
                f"limit is {INTROSPECTION_BUDGET} (the standard introspection query fits).",
                cost=figures.introspection_cost,
                limit=INTROSPECTION_BUDGET,
            )
