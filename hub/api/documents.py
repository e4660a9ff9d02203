"""Parse, limit-check and validate a query text once; later requests reuse the outcome."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from hub.api.limits import check_limits
from hub.errors import BadUserInput, HubError, QueryTooComplex
from hub.settings import Settings


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    document: DocumentNode | None
    errors: tuple[HubError, ...] = ()

    def operation_type(self, operation_name: str | None) -> OperationType | None:
        if self.document is None:
            return None
        operations = [
            d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        for operation in operations:
            if operation_name is None or (
                operation.name is not None and operation.name.value == operation_name
            ):
                return operation.operation
        return None


def _validation_error(error: GraphQLError) -> HubError:
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or []]
    return BadUserInput(error.message, locations=locations)


class DocumentCache:
    """An LRU of prepared documents keyed by query text.

    The validation rules, depth and alias limits are fixed when the cache is built, so a
    cached verdict stays right for the life of the process.
    """

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self._schema = schema
        self._size = settings.document_cache_size
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()
        self._max_tokens = settings.max_tokens
        self._max_depth = settings.max_depth
        self._max_aliases = settings.max_aliases
        rules = list(specified_rules)
        if not settings.introspection_enabled:
            rules.append(NoSchemaIntrospectionCustomRule)
        self._rules = tuple(rules)
        self.hits = 0
        self.misses = 0

    def get(self, query: str) -> PreparedDocument:
        entry = self._entries.get(query)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(query)
            return entry
        self.misses += 1
        entry = self._prepare(query)
        if self._size:
            self._entries[query] = entry
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry

    def _prepare(self, query: str) -> PreparedDocument:
        try:
            document = parse(query, max_tokens=self._max_tokens)
        except GraphQLSyntaxError as exc:
            if "tokens" in exc.message and str(self._max_tokens) in exc.message:
                return PreparedDocument(
                    None,
                    (QueryTooComplex(f"Query has more than {self._max_tokens} tokens."),),
                )
            return PreparedDocument(None, (_validation_error(exc),))
        try:
            check_limits(document, max_depth=self._max_depth, max_aliases=self._max_aliases)
        except QueryTooComplex as exc:
            return PreparedDocument(None, (exc,))
        errors = validate(self._schema, document, self._rules)
        if errors:
            return PreparedDocument(None, tuple(_validation_error(e) for e in errors))
        return PreparedDocument(document)
