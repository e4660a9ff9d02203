"""``/graphql``: GET and POST, persisted queries, cached documents, typed errors.

Errors carry ``extensions.code``. Anything that is not a :class:`hub.errors.HubError` is
logged with the request id and answered as ``INTERNAL_SERVER_ERROR`` with that id, never
with its message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import ExecutionResult, GraphQLError, GraphQLSchema, OperationType, execute
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from hub.api.documents import DocumentCache
from hub.api.graphiql import GRAPHIQL_HTML
from hub.api.persisted import PersistedQueryStore, query_hash
from hub.auth.viewer import Viewer
from hub.context import Context
from hub.errors import BadUserInput, HubError, PersistedQueryNotFound
from hub.logs import request_id_var
from hub.metrics import Metrics
from hub.settings import Settings

log = logging.getLogger("hub.graphql")

ContextFactory = Callable[[Request, Viewer, str], Context]
ViewerResolver = Callable[[Request], Awaitable[Viewer]]

_MAX_OPERATION_LABELS = 200


class _RequestError(Exception):
    def __init__(self, error: HubError, status: int = 200) -> None:
        self.error = error
        self.status = status


def _error_json(error: HubError) -> dict[str, Any]:
    extensions = dict(error.extensions)
    locations = extensions.pop("locations", None)
    formatted: dict[str, Any] = {
        "message": error.message,
        "extensions": {"code": error.code, **extensions},
    }
    if locations:
        formatted["locations"] = locations
    return formatted


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, HubError):
        formatted = _error_json(original)
    elif original is None or isinstance(original, GraphQLError):
        formatted = {"message": error.message, "extensions": {"code": "BAD_USER_INPUT"}}
    else:
        log.error(
            "unhandled error in resolver at %s",
            ".".join(str(p) for p in error.path or []),
            exc_info=original,
        )
        formatted = {
            "message": "Internal server error.",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    if error.path is not None:
        formatted["path"] = error.path
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    return formatted


def _json_param(raw: str | None, name: str) -> Any:
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise _RequestError(BadUserInput(f"'{name}' is not valid JSON."), 400) from None


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
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.documents = documents
        self.persisted = persisted
        self.metrics = metrics
        self.make_context = make_context
        self.resolve_viewer = resolve_viewer
        self._operation_labels: set[str] = set()

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = request_id_var.get()
        operation_label = "-"
        if request.method == "GET" and not request.query_params and self._wants_html(request):
            if self.settings.graphiql_enabled:
                return HTMLResponse(GRAPHIQL_HTML)
            return JSONResponse({"errors": [_error_json(BadUserInput("Send a query."))]}, 400)
        try:
            params = await self._params(request)
            query, variables, operation_name = await self._resolve_query(params)
            prepared = self.documents.get(query)
            if prepared.errors:
                raise _RequestError(prepared.errors[0], 200)
            operation = prepared.operation_type(operation_name)
            if operation is None:
                raise _RequestError(BadUserInput("No operation with that name in the query."))
            if request.method == "GET" and operation is not OperationType.QUERY:
                raise _RequestError(BadUserInput("Only queries may be sent with GET."), 405)
            operation_label = self._label(operation_name)
            viewer = await self.resolve_viewer(request)
            context = self.make_context(request, viewer, request_id)
            try:
                result = execute(
                    self.schema,
                    prepared.document,  # type: ignore[arg-type]
                    context_value=context,
                    variable_values=variables,
                    operation_name=operation_name,
                )
                if not isinstance(result, ExecutionResult):
                    result = await result
            finally:
                await context.close()
            response = self._respond(result, request_id, request.method, viewer, operation)
            outcome = "error" if result.errors else "ok"
        except _RequestError as exc:
            response = JSONResponse(
                {"errors": [_error_json(exc.error)]},
                status_code=exc.status,
                headers={"Cache-Control": "no-store"},
            )
            outcome = exc.error.code
        except HubError as exc:
            response = JSONResponse(
                {"errors": [_error_json(exc)]}, headers={"Cache-Control": "no-store"}
            )
            outcome = exc.code
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

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            q = request.query_params
            return {
                "query": q.get("query"),
                "variables": _json_param(q.get("variables"), "variables"),
                "operationName": q.get("operationName"),
                "extensions": _json_param(q.get("extensions"), "extensions"),
            }
        content_type = request.headers.get("content-type", "")
        if "application/json" not in content_type:
            raise _RequestError(BadUserInput("POST a JSON body (application/json)."), 415)
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _RequestError(BadUserInput("The body is not valid JSON."), 400) from None
        if not isinstance(body, dict):
            raise _RequestError(BadUserInput("The body must be a JSON object."), 400)
        return body

    async def _resolve_query(
        self, params: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None, str | None]:
        query = params.get("query")
        variables = params.get("variables")
        operation_name = params.get("operationName")
        extensions = params.get("extensions") or {}
        if variables is not None and not isinstance(variables, dict):
            raise _RequestError(BadUserInput("'variables' must be an object."), 400)
        if operation_name is not None and not isinstance(operation_name, str):
            raise _RequestError(BadUserInput("'operationName' must be a string."), 400)
        if not isinstance(extensions, dict):
            raise _RequestError(BadUserInput("'extensions' must be an object."), 400)
        persisted = extensions.get("persistedQuery")
        if persisted is not None:
            query = await self._persisted_query(persisted, query)
        elif self.settings.persisted_queries_only:
            raise _RequestError(
                PersistedQueryNotFound("Only registered persisted queries are accepted.")
            )
        if not isinstance(query, str) or not query.strip():
            raise _RequestError(BadUserInput("Send a 'query' string."), 400)
        return query, variables, operation_name

    async def _persisted_query(self, persisted: Any, query: Any) -> str:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise _RequestError(BadUserInput("Unsupported persistedQuery version."), 400)
        sha = persisted.get("sha256Hash")
        if not isinstance(sha, str) or len(sha) != 64:
            raise _RequestError(BadUserInput("persistedQuery.sha256Hash must be 64 hex."), 400)
        if query is None:
            stored = await self.persisted.get(sha)
            if stored is None:
                raise _RequestError(PersistedQueryNotFound("PersistedQueryNotFound"))
            return stored
        if not isinstance(query, str) or query_hash(query) != sha:
            raise _RequestError(BadUserInput("The query does not match its sha256Hash."), 400)
        if self.settings.persisted_queries_only:
            if await self.persisted.get(sha) is None:
                raise _RequestError(
                    PersistedQueryNotFound("Only registered persisted queries are accepted.")
                )
        else:
            await self.persisted.put(sha, query)
        return query

    def _respond(
        self,
        result: ExecutionResult,
        request_id: str,
        method: str,
        viewer: Viewer,
        operation: OperationType,
    ) -> Response:
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [format_error(e, request_id) for e in result.errors]
        payload["data"] = result.data
        cacheable = (
            method == "GET"
            and viewer.is_anonymous
            and not result.errors
            and operation is OperationType.QUERY
        )
        cache = "public, max-age=60" if cacheable else "private, no-store"
        return JSONResponse(payload, headers={"Cache-Control": cache})
