"""The outermost layer of every HTTP answer: header limits, security headers, and a typed
JSON answer for anything that escapes a route.

- Headers (with the request line) larger than ``HUB_MAX_HEADER_BYTES`` are refused with 431
  before any route reads them.
- Every response gets ``X-Content-Type-Options``, ``X-Frame-Options``, ``Referrer-Policy`` and
  a Content-Security-Policy (JSON answers may load nothing; an HTML answer without a policy of
  its own only hub's files).
- An exception no route handled is logged with the request id and answered as JSON: 503
  ``SERVICE_UNAVAILABLE`` with ``Retry-After`` when the database cannot answer, else 500
  ``INTERNAL_SERVER_ERROR``; never a traceback, never plain text.
"""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import HeadersTooLarge, HubError
from hub.http.responses import error_response, is_unavailable, unavailable
from hub.logs import request_id_var

log = logging.getLogger("hub.http")

_JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
#: For an HTML answer that brings no policy of its own (pages, sign-in and GraphiQL do):
#: hub's own files only, no inline script.
_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class GuardMiddleware:
    def __init__(self, app: ASGIApp, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                is_page = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", _PAGE_CSP if is_page else _JSON_CSP)
            await send(message)

        size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        size += sum(len(k) + len(v) + 4 for k, v in scope["headers"])
        if size > self.max_header_bytes:
            error = HeadersTooLarge(
                f"The request's headers and URL are larger than {self.max_header_bytes} bytes.",
                limit=self.max_header_bytes,
            )
            await _answer(scope, receive, guarded_send, error, 431)
            return
        try:
            await self.app(scope, receive, guarded_send)
        except ClientDisconnect:
            # the client went away before its request was read: nobody to answer, nothing
            # wrong with hub (under load, clients that time out do this by the hundred)
            log.info("client disconnected before its request was read")
        except Exception as exc:
            if started:
                raise
            if is_unavailable(exc):
                log.warning("database unavailable: %s", type(exc).__name__)
                await _answer(scope, receive, guarded_send, unavailable(), 503)
            else:
                log.error("unhandled error", exc_info=exc)
                await _answer(scope, receive, guarded_send, HubError("Internal server error."), 500)


async def _answer(scope: Scope, receive: Receive, send: Send, error: HubError, status: int) -> None:
    await error_response([error], request_id_var.get(), status)(scope, receive, send)
