"""The request's viewer: its ``Authorization: Bearer`` token, checked by
:func:`hub.auth.session_check.viewer_for_session` on every request."""

from __future__ import annotations

from starlette.requests import Request

from hub.auth.runtime import identity_runtime
from hub.auth.session_check import viewer_for_session
from hub.auth.tokens import read_access_token
from hub.auth.viewer import ANONYMOUS, Viewer
from hub.errors import Unauthenticated


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "Send the access token as 'Authorization: Bearer <token>'.", reason="TOKEN_INVALID"
        )
    return token


async def viewer_from_request(request: Request) -> Viewer:
    """ANONYMOUS without a token; a bad, expired or ended one is UNAUTHENTICATED."""
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    runtime = identity_runtime(request.app)
    claims = read_access_token(runtime.settings, token)
    engine = runtime.engine_for_checks(request.app.state.hub.engine)
    return await viewer_for_session(engine, runtime.grants, claims)
