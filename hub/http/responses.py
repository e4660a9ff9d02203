"""How every answer of the hub is shaped: GraphQL's ``{"errors": [...], "data": ...}`` with
``extensions.code`` and ``extensions.requestId`` on each error, for GraphQL and for every
other route alike.

Two media types: ``application/json`` (the default, and what clients that ask for it get:
request-level problems are 4xx, everything else 200) and ``application/graphql-response+json``
(GraphQL over HTTP: a document that cannot run — parse, validation, limits or variables — is
400 as well).
"""

from __future__ import annotations

import errno
import json
import logging
from typing import Any

import orjson
from graphql import GraphQLError
from sqlalchemy import exc as sa_exc
from starlette.responses import JSONResponse

from hub.errors import HubError, ServiceUnavailable

log = logging.getLogger("hub.graphql")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
RETRY_AFTER_SECONDS = 5
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
}


def encode(payload: Any) -> bytes:
    """An answer as compact UTF-8 JSON, as Starlette's ``JSONResponse`` renders it, encoded by
    orjson (about ten times faster on a page of services). A value orjson refuses (an integer
    past 64 bits inside a ``JSON`` scalar) is encoded by the standard library instead. A NaN,
    which JSON cannot carry, becomes ``null``."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(
            payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")


def is_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` means the database (or another service) cannot answer right now:
    connection lost or refused, pool exhausted, database locked or starting up."""
    while error is not None:
        if isinstance(
            error,
            sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError,
        ):
            return True
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, ConnectionError | TimeoutError):
            return True
        if isinstance(error, OSError) and (
            error.errno in _NETWORK_ERRNOS or "connect call failed" in str(error).lower()
        ):
            return True
        if type(error).__module__.startswith("asyncpg") and type(error).__name__ in (
            "CannotConnectNowError",
            "ConnectionDoesNotExistError",
            "ConnectionFailureError",
            "AdminShutdownError",
            "TooManyConnectionsError",
            "InterfaceError",
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The service is briefly unavailable; try again in a few seconds.",
        retryAfterSeconds=RETRY_AFTER_SECONDS,
    )


def busy() -> ServiceUnavailable:
    """A process already running as many operations as ``HUB_MAX_OPERATIONS_IN_FLIGHT``."""
    return ServiceUnavailable(
        "hub is answering as many requests as it can; try again in a moment.",
        retryAfterSeconds=RETRY_AFTER_SECONDS,
        reason="BUSY",
    )


def error_json(error: HubError, request_id: str) -> dict[str, Any]:
    extensions = dict(error.extensions)
    locations = extensions.pop("locations", None)
    formatted: dict[str, Any] = {
        "message": error.message,
        "extensions": {"code": error.code, **extensions, "requestId": request_id},
    }
    if locations:
        formatted["locations"] = locations
    return formatted


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, HubError):
        formatted = error_json(original, request_id)
    elif original is None or isinstance(original, GraphQLError):
        formatted = {
            "message": error.message,
            "extensions": {"code": "BAD_USER_INPUT", "requestId": request_id},
        }
    elif is_unavailable(original):
        log.warning("database unavailable in a resolver: %s", type(original).__name__)
        formatted = error_json(unavailable(), request_id)
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


def error_response(
    errors: tuple[HubError, ...] | list[HubError],
    request_id: str,
    status: int,
    media_type: str = JSON,
) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 503 or any(e.code == "SERVICE_UNAVAILABLE" for e in errors):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if status == 405:
        headers["Allow"] = "GET, POST"
    return JSONResponse(
        {"errors": [error_json(e, request_id) for e in errors]},
        status_code=status,
        headers=headers,
        media_type=media_type,
    )


def wants_graphql_response(accept: str) -> str | None:
    """The media type to answer with, from the Accept header; None when neither JSON type is
    acceptable. ``application/graphql-response+json`` wins where both are equally wanted."""
    if not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media == GRAPHQL_RESPONSE:
            candidate = (quality, 2, GRAPHQL_RESPONSE)
        elif media in (JSON, "application/*", "*/*"):
            candidate = (quality, 1 if media == JSON else 0, JSON)
        else:
            continue
        if quality > 0 and (best is None or candidate[:2] > best[:2]):
            best = candidate
    return best[2] if best is not None else None
