"""The request's viewer: its ``Authorization: Bearer`` token, checked on every request by
:func:`hub.auth.session_check.viewer_for_session` (a staff member's API session) or, for a
business system's client_credentials token (RS256, ``typ: at+jwt``), by
:func:`hub.sso.check.viewer_for_client` (its service account)."""

from __future__ import annotations

import base64
import binascii
import json

from starlette.requests import Request

from hub.auth.runtime import identity_runtime
from hub.auth.session_check import viewer_for_session
from hub.auth.tokens import read_access_token
from hub.auth.viewer import ANONYMOUS, Viewer
from hub.errors import Unauthenticated
from hub.sso import tokens as sso_tokens
from hub.sso.check import viewer_for_client


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


def _is_sso_token(token: str) -> bool:
    """hub's own API tokens are HS256 JWTs without ``typ: at+jwt``; an SSO token has it."""
    head = token.partition(".")[0]
    if not head or len(token) > sso_tokens.MAX_TOKEN_CHARS:
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and header.get("typ") == "at+jwt"


async def viewer_from_request(request: Request) -> Viewer:
    """ANONYMOUS without a token; a bad, expired or ended one is UNAUTHENTICATED."""
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    runtime = identity_runtime(request.app)
    engine = runtime.engine_for_checks(request.app.state.hub.engine)
    if not _is_sso_token(token):
        claims = read_access_token(runtime.settings, token)
        return await viewer_for_session(engine, runtime.grants, claims)
    sso = request.app.state.hub.sso
    access = sso_tokens.read_access_token(sso.keys, sso.issuer(str(request.base_url)), token)
    if access is None:
        raise Unauthenticated("The access token is not valid.", reason="TOKEN_INVALID")
    if access.session_id is not None:
        raise Unauthenticated(
            "A relying party's token of a person is for userinfo and introspection; hub's API "
            "takes a client_credentials token or the person's own sign-in.",
            reason="TOKEN_INVALID",
        )
    viewer = await viewer_for_client(engine, runtime.grants, access.client_id)
    if viewer is None:
        raise Unauthenticated("This client may not call hub any more.", reason="SESSION_ENDED")
    return viewer
