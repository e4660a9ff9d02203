"""Parse, limit-check and validate a query text once; later requests reuse the outcome.

Only documents that passed every check are kept, and the cache is bounded in entries and in
memory (estimated from the text: a parsed document takes about a hundred times its text),
so an anonymous caller sending endless distinct or invalid texts cannot grow it past its
bound, and no verdict on a text is kept that was not earned by validating it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from hub.errors import BadUserInput, HubError, QueryTooComplex
from hub.http.cacheable import CacheKind, cache_kind
from hub.http.limits import Figures, Limits, QueryLimiter
from hub.http.persisted import query_hash
from hub.http.text import bad_text_reason
from hub.settings import Settings

AST_BYTES_PER_CHAR = 100  # measured: a parsed document takes ~93 bytes per character


class DocumentError(Exception):
    """A document refused before it runs; ``kind`` says at which step."""

    def __init__(self, kind: str, errors: tuple[HubError, ...]) -> None:
        super().__init__(errors[0].message)
        self.kind = kind  # "parse", "limits" or "validation"
        self.errors = errors


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    document: DocumentNode
    figures: Figures
    #: sha256 of the query text (the persisted-query hash)
    digest: str = ""
    #: what its answers depend on; None: never answered from the response cache
    cache_kind: CacheKind | None = None

    def operation(self, operation_name: str | None) -> OperationDefinitionNode | None:
        """The operation to run: the named one, or the only one; None when there is none."""
        return get_operation_ast(self.document, operation_name)


def _validation_error(error: GraphQLError) -> HubError:
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or []]
    return BadUserInput(error.message, locations=locations)


class _StringCheck(Visitor):
    """Refuses NUL and lone surrogates in string literals (``"\\u0000"`` parses to NUL)."""

    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> Any:
        reason = bad_text_reason(node.value)
        if reason is not None:
            self.problem = reason
            return self.BREAK
        return None


class DocumentCache:
    """An LRU of prepared documents keyed by query text.

    The validation rules and limits are fixed when the cache is built, so a cached verdict
    stays right for the life of the process.
    """

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self._schema = schema
        self._size = settings.document_cache_size
        self._max_bytes = settings.document_cache_bytes
        self._bytes = 0
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()
        self._max_tokens = settings.max_tokens
        self.limiter = QueryLimiter(
            schema,
            Limits(
                max_depth=settings.max_depth,
                max_aliases=settings.max_aliases,
                max_cost=settings.max_cost,
                max_page=settings.max_page_size,
            ),
        )
        rules = list(specified_rules)
        if not settings.introspection_enabled:
            rules.append(NoSchemaIntrospectionCustomRule)
        self._rules = tuple(rules)
        self.hits = 0
        self.misses = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> PreparedDocument:
        """The prepared document; :class:`DocumentError` when it must not run."""
        entry = self._entries.get(query)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(query)
            return entry
        self.misses += 1
        entry = self._prepare(query)
        self._keep(query, entry)
        return entry

    def check_cost(
        self,
        prepared: PreparedDocument,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        """Cost with this request's page sizes, for documents whose sizes are variables."""
        if prepared.figures.variable_sizes:
            figures = self.limiter.measure(prepared.document, variables or {}, operation_name)
            self.limiter.check(figures)

    def _keep(self, query: str, entry: PreparedDocument) -> None:
        cost = _estimate(query)
        if not self._size or cost > self._max_bytes:
            return
        self._entries[query] = entry
        self._bytes += cost
        while len(self._entries) > self._size or self._bytes > self._max_bytes:
            old, _ = self._entries.popitem(last=False)
            self._bytes -= _estimate(old)

    def _prepare(self, query: str) -> PreparedDocument:
        try:
            document = parse(query, max_tokens=self._max_tokens)
        except GraphQLSyntaxError as exc:
            if "tokens" in exc.message and str(self._max_tokens) in exc.message:
                raise DocumentError(
                    "limits",
                    (QueryTooComplex(f"Query has more than {self._max_tokens} tokens."),),
                ) from None
            raise DocumentError("parse", (_validation_error(exc),)) from None
        strings = _StringCheck()
        visit(document, strings)
        if strings.problem is not None:
            raise DocumentError(
                "parse", (BadUserInput(f"A string in the query {strings.problem}."),)
            )
        figures = self.limiter.measure(document)
        try:
            self.limiter.check(figures, check_cost=not figures.variable_sizes)
        except QueryTooComplex as exc:
            raise DocumentError("limits", (exc,)) from None
        errors = validate(self._schema, document, self._rules)
        if errors:
            raise DocumentError("validation", tuple(_validation_error(e) for e in errors))
        return PreparedDocument(
            document, figures, query_hash(query), cache_kind(self._schema, document)
        )


def _estimate(query: str) -> int:
    return len(query) * (AST_BYTES_PER_CHAR + 1)
