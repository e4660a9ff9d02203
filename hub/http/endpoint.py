"""``/graphql``: GET and POST, persisted queries, cached documents, typed errors.

Every request is bounded before it runs: the body and query sizes, the document's depth,
aliases and estimated cost (:mod:`hub.http.limits`), then the operations a process runs at
once (``HUB_MAX_OPERATIONS_IN_FLIGHT``: past it, 503 ``SERVICE_UNAVAILABLE`` with reason
``BUSY`` and ``Retry-After`` at once, rather than a queue that times everyone out), then a
deadline on the operation itself.
Errors carry ``extensions.code`` and ``extensions.requestId``. Anything that is not a
:class:`hub.errors.HubError` is logged with the request id and answered as
``INTERNAL_SERVER_ERROR``, never with its message; a database that cannot answer is
``SERVICE_UNAVAILABLE`` (HTTP 503, ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from graphql import (
    ExecutionResult,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
)
from graphql.execution.values import get_variable_values
from starlette.requests import Request
from starlette.responses import Response

from hub.auth.viewer import Viewer
from hub.errors import (
    BadUserInput,
    HubError,
    MethodNotAllowed,
    NotAcceptable,
    OperationTimeout,
    PersistedQueryNotFound,
    QueryTooComplex,
)
from hub.graphql.awaitable import is_awaitable
from hub.graphql.context import Context
from hub.graphql.gate import require_allowed_operation
from hub.graphql.lean import LeanExecutor
from hub.http.answers import Answers, Lookup
from hub.http.documents import DocumentCache, DocumentError, PreparedDocument
from hub.http.graphiql import graphiql_page
from hub.http.params import RequestRefused, checked, read_params
from hub.http.persisted import PersistedQueryStore, query_hash
from hub.http.response_cache import Entry, etag_matches
from hub.http.responses import (
    GRAPHQL_RESPONSE,
    JSON,
    RETRY_AFTER_SECONDS,
    busy,
    encode,
    error_response,
    format_error,
    is_unavailable,
    unavailable,
    wants_graphql_response,
)
from hub.logs import request_id_var
from hub.metrics import Metrics
from hub.search.service import recording_offers
from hub.settings import Settings

log = logging.getLogger("hub.graphql")

ContextFactory = Callable[[Request, Viewer, str], Context]
ViewerResolver = Callable[[Request], Awaitable[Viewer]]

_MAX_OPERATION_LABELS = 200


class GraphQLEndpoint:
    def __init__(
        self,
        *,
        schema: GraphQLSchema,
        settings: Settings,
        documents: DocumentCache,
        persisted: PersistedQueryStore,
        metrics: Metrics,
        make_context: ContextFactory,
        resolve_viewer: ViewerResolver,
        answers: Answers | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.documents = documents
        self.persisted = persisted
        self.metrics = metrics
        self.make_context = make_context
        self.resolve_viewer = resolve_viewer
        self.answers = answers
        self._operation_labels: set[str] = set()
        self.in_flight = 0  # operations running now
        self.refused_busy = 0  # operations refused because as many were running

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = request_id_var.get()
        operation_label = "-"
        media_type = wants_graphql_response(request.headers.get("accept", ""))
        if request.method == "GET" and not request.query_params and self._wants_html(request):
            if self.settings.graphiql_enabled:
                return graphiql_page()
            return error_response([BadUserInput("Send a query.")], request_id, 400)
        try:
            if media_type is None:
                raise RequestRefused(NotAcceptable(f"Accept {JSON} or {GRAPHQL_RESPONSE}."), 406)
            variables, operation_name, prepared = await self._prepare(request)
            operation_label = self._label(operation_name)
            viewer = await self.resolve_viewer(request)
            operation = prepared.operation(operation_name)
            assert operation is not None, "_prepare refuses a document without the operation"
            require_allowed_operation(viewer, prepared.document, operation)
            response, outcome = await self._answer(
                request, prepared, variables, operation_name, viewer, media_type
            )
        except RequestRefused as exc:
            response = error_response([exc.error], request_id, exc.status, media_type or JSON)
            outcome = exc.error.code
        except DocumentError as exc:
            status = 400 if media_type == GRAPHQL_RESPONSE else 200
            response = error_response(exc.errors, request_id, status, media_type or JSON)
            outcome = exc.errors[0].code
        except HubError as exc:  # the viewer's token or forced password change, a persisted
            # query, the deadline
            response = error_response([exc], request_id, 200, media_type or JSON)
            outcome = exc.code
        except Exception as exc:
            if not is_unavailable(exc):
                raise  # the error middleware logs it and answers INTERNAL_SERVER_ERROR
            log.warning("database unavailable: %s", type(exc).__name__)
            response = error_response([unavailable()], request_id, 503, media_type or JSON)
            outcome = "SERVICE_UNAVAILABLE"
        response.headers["Vary"] = "Accept, Authorization"
        elapsed = time.perf_counter() - started
        self.metrics.observe(operation_label, outcome, elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "graphql request",
                extra={
                    "fields": {
                        "operation": operation_label,
                        "outcome": outcome,
                        "ms": round(elapsed * 1000, 2),
                        "status": response.status_code,
                    }
                },
            )
        return response

    async def _answer(
        self,
        request: Request,
        prepared: PreparedDocument,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        viewer: Viewer,
        media_type: str,
    ) -> tuple[Response, str]:
        """Run the operation, or answer it from the response cache when the caller is
        anonymous and the document's answers are kept (:mod:`hub.http.answers`)."""
        answers, lookup = await self._look_up(request, prepared, variables, operation_name, viewer)
        if lookup is not None and lookup.entry is not None:
            return _cached(lookup.entry, request, media_type, lookup.found), "ok"
        with recording_offers() as offers:
            result = await self._execute(request, prepared, variables, operation_name, viewer)
        response = self._respond(result, request_id_var.get(), request.method, viewer, media_type)
        if result.errors:
            return response, "error"
        if answers is not None and lookup is not None and response.status_code == 200:
            entry = Entry.of(response.body, offers)
            await answers.keep(lookup, entry)
            response = _cached(entry, request, media_type, "miss")
        return response, "ok"

    async def _look_up(
        self,
        request: Request,
        prepared: PreparedDocument,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        viewer: Viewer,
    ) -> tuple[Answers | None, Lookup | None]:
        """The response cache's entry for an anonymous caller's request, counted; a hit's
        search log offers are replayed for this caller. (None, None) for a signed-in caller."""
        answers = self.answers if viewer.is_anonymous else None
        if answers is None:
            return None, None
        lookup = await answers.lookup(request, prepared, variables, operation_name)
        self.metrics.cache_lookup("none" if lookup is None else lookup.found)
        if lookup is not None and lookup.entry is not None:
            answers.replay(lookup.entry, _address(request))
        return answers, lookup

    async def _prepare(
        self, request: Request
    ) -> tuple[dict[str, Any] | None, str | None, PreparedDocument]:
        """Everything that can refuse the request before it runs."""
        params = await read_params(request, self.settings)
        query, variables, operation_name = checked(params, self.settings)
        extensions = params.extensions or {}
        persisted = extensions.get("persistedQuery")
        learn: str | None = None
        if persisted is not None:
            query, learn = await self._persisted_query(persisted, query)
        elif self.settings.persisted_queries_only:
            raise PersistedQueryNotFound("Only registered persisted queries are accepted.")
        if not isinstance(query, str) or not query.strip():
            raise RequestRefused(BadUserInput("Send a 'query' string."), 400)
        prepared = self.documents.get(query)
        operation = prepared.operation(operation_name)
        if operation is None:
            message = (
                "No operation with that name in the query."
                if operation_name is not None
                else "The query has several operations; name one with 'operationName'."
            )
            raise RequestRefused(BadUserInput(message), 400)
        if request.method == "GET" and operation.operation is not OperationType.QUERY:
            raise RequestRefused(MethodNotAllowed("Only queries may be sent with GET."), 405)
        self._check_variables(prepared, operation, variables, operation_name)
        if learn is not None:
            await self.persisted.put(learn, query)  # only once the query proved valid
        return variables, operation_name, prepared

    def _check_variables(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        """The variables coerce to the operation's types, and the cost with their page sizes
        is within the limit."""
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise DocumentError("variables", tuple(BadUserInput(e.message) for e in coerced))
        try:
            self.documents.check_cost(prepared, variables, operation_name)
        except QueryTooComplex as exc:
            raise DocumentError("limits", (exc,)) from None

    async def run(
        self,
        request: Request,
        query: str,
        variables: dict[str, Any] | None,
        viewer: Viewer,
    ) -> ExecutionResult:
        """Run one of hub's own documents for a page rendered on the server, as a client's
        request would run: the same prepared-document cache and limits, the same cost check
        with the variables' page sizes, the same context and deadline. Raises
        ``DocumentError`` or ``HubError`` as the endpoint would answer them. An anonymous
        page's data comes from the response cache as a client's would, under the same key
        (the document and its operation's name), so a page and an app share answers."""
        prepared = self.documents.get(query)
        operation = prepared.operation(None)
        if operation is None:
            raise RequestRefused(BadUserInput("A page's document has one operation."), 400)
        self._check_variables(prepared, operation, variables, None)
        require_allowed_operation(viewer, prepared.document, operation)
        name = operation.name.value if operation.name else None
        answers, lookup = await self._look_up(request, prepared, variables, name, viewer)
        if lookup is not None and lookup.entry is not None:
            return ExecutionResult(data=orjson.loads(lookup.entry.body)["data"])
        with recording_offers() as offers:
            result = await self._execute(request, prepared, variables, name, viewer)
        if answers is not None and lookup is not None and not result.errors:
            await answers.keep(lookup, Entry.of(encode({"data": result.data}), offers))
        return result

    async def _execute(
        self,
        request: Request,
        prepared: PreparedDocument,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        viewer: Viewer,
    ) -> ExecutionResult:
        limit = self.settings.max_operations_in_flight
        if limit and self.in_flight >= limit:
            self.refused_busy += 1
            raise RequestRefused(busy(), 503)
        context = self.make_context(request, viewer, request_id_var.get())
        self.in_flight += 1
        try:
            result = execute(
                self.schema,
                prepared.document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                is_awaitable=is_awaitable,
                executor_class=LeanExecutor,
            )
            if not isinstance(result, ExecutionResult):
                timeout = self.settings.operation_timeout_seconds
                try:
                    async with asyncio.timeout(timeout):
                        result = await result
                except TimeoutError:
                    raise OperationTimeout(
                        f"The operation ran longer than {timeout:g} s and was stopped.",
                        limit=timeout,
                    ) from None
            return result
        finally:
            self.in_flight -= 1
            await context.close()

    @staticmethod
    def _wants_html(request: Request) -> bool:
        return "text/html" in request.headers.get("accept", "")

    def _label(self, operation_name: str | None) -> str:
        name = operation_name or "anonymous"
        if name in self._operation_labels:
            return name
        if len(self._operation_labels) < _MAX_OPERATION_LABELS:
            self._operation_labels.add(name)
            return name
        return "other"

    async def _persisted_query(self, persisted: Any, query: Any) -> tuple[str, str | None]:
        """The query text, and the hash to learn it under once it proves valid (or None)."""
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise RequestRefused(BadUserInput("Unsupported persistedQuery version."), 400)
        sha = persisted.get("sha256Hash")
        if not isinstance(sha, str) or len(sha) != 64:
            raise RequestRefused(BadUserInput("persistedQuery.sha256Hash must be 64 hex."), 400)
        if query is None:
            stored = await self.persisted.get(sha)
            if stored is None:
                raise PersistedQueryNotFound("PersistedQueryNotFound")
            return stored, None
        if query_hash(query) != sha:
            raise RequestRefused(BadUserInput("The query does not match its sha256Hash."), 400)
        if self.settings.persisted_queries_only:
            if await self.persisted.get(sha) is None:
                raise PersistedQueryNotFound("Only registered persisted queries are accepted.")
            return query, None
        return query, sha

    def _respond(
        self,
        result: ExecutionResult,
        request_id: str,
        method: str,
        viewer: Viewer,
        media_type: str,
    ) -> Response:
        payload: dict[str, Any] = {}
        status = 200
        if result.errors:
            payload["errors"] = [format_error(e, request_id) for e in result.errors]
            if any(e["extensions"]["code"] == "SERVICE_UNAVAILABLE" for e in payload["errors"]):
                status = 503
        payload["data"] = result.data
        cacheable = method == "GET" and viewer.is_anonymous and not result.errors
        headers = {"Cache-Control": "public, max-age=60" if cacheable else "private, no-store"}
        if status == 503:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Response(encode(payload), status_code=status, headers=headers, media_type=media_type)


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


def _cached(entry: Entry, request: Request, media_type: str, found: str) -> Response:
    """A cacheable answer: its ETag; on GET, 304 when the client holds it already. HTTP caches
    may keep it but ask again each time (``no-cache``): hub's answer stays exact."""
    headers = {"ETag": entry.etag, "X-Hub-Cache": found}
    if request.method != "GET":
        headers["Cache-Control"] = "private, no-store"
        return Response(entry.body, headers=headers, media_type=media_type)
    headers["Cache-Control"] = "public, no-cache"
    if etag_matches(request.headers.get("if-none-match", ""), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, headers=headers, media_type=media_type)
