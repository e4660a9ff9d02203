"""Errors a client may see. Each carries a machine-readable ``code`` that the GraphQL layer
puts in ``extensions.code``; anything else is masked as INTERNAL_SERVER_ERROR."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class BadUserInput(HubError):
    code = "BAD_USER_INPUT"


class Unauthenticated(HubError):
    code = "UNAUTHENTICATED"


class Forbidden(HubError):
    code = "FORBIDDEN"


class NotFound(HubError):
    code = "NOT_FOUND"


class Conflict(HubError):
    code = "CONFLICT"


class QueryTooComplex(HubError):
    code = "QUERY_TOO_COMPLEX"


class PersistedQueryNotFound(HubError):
    code = "PERSISTED_QUERY_NOT_FOUND"


class TooManyRequests(HubError):
    code = "TOO_MANY_REQUESTS"
