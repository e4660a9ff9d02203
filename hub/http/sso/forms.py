"""Reading an OAuth request's parameters: bounded, urlencoded only, no parameter twice (RFC
6749 §3.1: "Request and response parameters MUST NOT be included more than once")."""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request

MAX_FORM_BYTES = 16 * 1024
MAX_PARAMS = 30
CSRF_COOKIE = "hub_sso_csrf"
SESSION_COOKIE = "hub_sso"


class FormError(Exception):
    pass


def _pairs(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(
            text, keep_blank_values=False, strict_parsing=False, max_num_fields=MAX_PARAMS
        )
    except ValueError:
        raise FormError("too many parameters") from None
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            raise FormError(f"the parameter {key[:40]} is given more than once")
        out[key] = value
    return out


def query_params(request: Request) -> dict[str, str]:
    return _pairs(request.url.query)


async def form_params(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormError("send the parameters as application/x-www-form-urlencoded")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise FormError("the request body is too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError("the request body is too large")
    try:
        return _pairs(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise FormError("the request body is not UTF-8") from None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """client_secret_basic (RFC 6749 §2.3.1: both parts form-urlencoded before base64)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FormError("the Basic credentials are malformed") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise FormError("the Basic credentials are malformed")
    return unquote(client_id), unquote(secret)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def csrf_token(request: Request) -> tuple[str, bool]:
    """The browser's CSRF token (double-submit cookie), and whether it is new."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(current) <= 64:
        return current, False
    return secrets.token_urlsafe(24), True


def csrf_ok(request: Request, presented: str | None) -> bool:
    """Cookie and form agree (compared as UTF-8 bytes: ``compare_digest`` raises TypeError on
    a non-ASCII string, and either side is the sender's text)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if not current or presented is None:
        return False
    return secrets.compare_digest(
        current.encode("utf-8", "replace"), presented.encode("utf-8", "replace")
    )
