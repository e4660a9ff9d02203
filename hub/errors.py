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


class QuotaExceeded(HubError):
    """A grant's daily quota of calls is used up; it renews at midnight, China time."""

    code = "QUOTA_EXCEEDED"


class ServiceUnavailable(HubError):
    """The database (or another service hub needs) cannot answer right now; retry."""

    code = "SERVICE_UNAVAILABLE"


class OperationTimeout(HubError):
    """The operation ran past the server's deadline and was stopped."""

    code = "TIMEOUT"


class PayloadTooLarge(HubError):
    code = "PAYLOAD_TOO_LARGE"


class HeadersTooLarge(HubError):
    code = "HEADERS_TOO_LARGE"


class MethodNotAllowed(HubError):
    code = "METHOD_NOT_ALLOWED"


class UnsupportedMediaType(HubError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class NotAcceptable(HubError):
    code = "NOT_ACCEPTABLE"


class PasswordChangeRequired(HubError):
    """The viewer signed in with a password an administrator reset: until they choose their
    own with changePassword, everything but that, logout and reading ``me`` is refused."""

    code = "PASSWORD_CHANGE_REQUIRED"
