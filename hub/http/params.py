"""What a GraphQL request asks, read from GET parameters or a JSON body within the limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from hub.errors import BadUserInput, HubError, PayloadTooLarge, UnsupportedMediaType
from hub.http.text import check_value, load_json
from hub.settings import Settings


class RequestRefused(Exception):
    """The request is refused as a whole, with this error and HTTP status."""

    def __init__(self, error: HubError, status: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


@dataclass(frozen=True, slots=True)
class Params:
    query: Any
    variables: Any
    operation_name: Any
    extensions: Any


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as PAYLOAD_TOO_LARGE (413) once it passes ``limit`` bytes: by its
    Content-Length before reading, or while it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdecimal() and int(declared) > limit:
        raise RequestRefused(_too_large(limit), 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRefused(_too_large(limit), 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.", limit=limit)


def _json_param(raw: str | None, name: str) -> Any:
    if raw in (None, ""):
        return None
    try:
        return load_json(raw, name)
    except BadUserInput as exc:
        raise RequestRefused(exc, 400) from None


async def read_params(request: Request, settings: Settings) -> Params:
    if request.method == "GET":
        q = request.query_params
        query = q.get("query")
        if query is not None:
            _check_text(query, "query")
        operation_name = q.get("operationName")
        if operation_name is not None:
            _check_text(operation_name, "operationName")
        return Params(
            query=query,
            variables=_json_param(q.get("variables"), "variables"),
            operation_name=operation_name,
            extensions=_json_param(q.get("extensions"), "extensions"),
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestRefused(
            UnsupportedMediaType("POST a JSON body (Content-Type: application/json)."), 415
        )
    raw = await read_body(request, settings.max_body_bytes)
    try:
        body = load_json(raw, "body")
    except BadUserInput as exc:
        raise RequestRefused(exc, 400) from None
    if not isinstance(body, dict):
        raise RequestRefused(BadUserInput("The body must be a JSON object."), 400)
    return Params(
        query=body.get("query"),
        variables=body.get("variables"),
        operation_name=body.get("operationName"),
        extensions=body.get("extensions"),
    )


def _check_text(value: str, name: str) -> None:
    try:
        check_value(value, name)
    except BadUserInput as exc:
        raise RequestRefused(exc, 400) from None


def checked(params: Params, settings: Settings) -> tuple[Any, dict[str, Any] | None, str | None]:
    """Types and sizes of the parameters: (query or None, variables, operation name)."""
    query, variables, operation_name = params.query, params.variables, params.operation_name
    if variables is not None and not isinstance(variables, dict):
        raise RequestRefused(BadUserInput("'variables' must be an object."), 400)
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestRefused(BadUserInput("'operationName' must be a string."), 400)
    if params.extensions is not None and not isinstance(params.extensions, dict):
        raise RequestRefused(BadUserInput("'extensions' must be an object."), 400)
    if query is not None and not isinstance(query, str):
        raise RequestRefused(BadUserInput("'query' must be a string."), 400)
    if isinstance(query, str) and len(query.encode("utf-8", "replace")) > settings.max_query_bytes:
        raise RequestRefused(
            PayloadTooLarge(
                f"The query is larger than {settings.max_query_bytes} bytes.",
                limit=settings.max_query_bytes,
            ),
            413,
        )
    return query, variables, operation_name
