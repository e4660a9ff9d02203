"""Staff sign in to the workbench through hub's single sign-on, as every business system does.

The workbench is the first-party public client ``hub-workbench`` (migration 0010): the
authorization code flow with PKCE, the code exchanged in process by the token endpoint's own
function. Its cookie holds the relying-party session's id, signed with ``HUB_SECRET_KEY``
(``HttpOnly``, path ``/staff``). Every request checks that session as userinfo does
(``hub.sso.check.live_session``): someone who left, was suspended or signed out at hub is out
on the next click. A form's CSRF token is an HMAC of the session id, so it needs no cookie of
its own and dies with the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.auth.viewer import Viewer
from hub.http.sso.oauth import NotConfigured, issuer_of
from hub.http.state import hub_state
from hub.logs import request_id_var
from hub.sso import token
from hub.sso import tokens as sso_tokens
from hub.sso.check import live_session
from hub.sso.clients import WORKBENCH_CALLBACK, WORKBENCH_CLIENT_ID, find_client
from hub.web.layout import problem_page

SESSION_COOKIE = "hub_staff"
FLOW_COOKIE = "hub_staff_flow"
FLOW_SECONDS = 600
SCOPE = "openid profile posts"


def _mac(request: Request, purpose: str, value: str) -> str:
    key = hub_state(request).settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or hub_state(request).settings.is_production


def _back(value: str | None) -> str:
    """Where to go after signing in: a workbench page, nothing else."""
    if not value or not value.startswith("/staff") or "//" in value or "\\" in value:
        return "/staff"
    return value[:500]


def csrf_token(request: Request, viewer: Viewer) -> str:
    return _mac(request, "csrf", viewer.session_id or "")


def same(given: str, expected: str) -> bool:
    """A constant-time comparison that any text may reach (``compare_digest`` refuses non-ASCII
    strings with TypeError, so both are compared as UTF-8 bytes)."""
    return hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def csrf_ok(request: Request, viewer: Viewer, given: str | None) -> bool:
    return given is not None and same(given, csrf_token(request, viewer))


async def staff_viewer(request: Request) -> Viewer | None:
    """The signed-in staff member, checked now; None when the cookie is missing, forged, or
    its session is no longer in force."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    session_id, _, mac = raw.partition(".")
    if (
        not session_id
        or len(session_id) > 64
        or not same(mac, _mac(request, "session", session_id))
    ):
        return None
    state = hub_state(request)
    engine = state.identity.engine_for_checks(state.engine)
    live = await live_session(engine, state.identity.grants, state.sso.client_paths, session_id)
    if live is None or live.client_id != WORKBENCH_CLIENT_ID:
        return None
    return Viewer(
        staff_id=live.staff_id,
        session_id=session_id,
        is_system_admin=live.is_system_admin,
        grants=live.grants,
        staff_version=live.staff_version,
    )


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def sign_in(request: Request) -> Response:
    """Off to hub's sign-in page (or straight back, when the browser is signed in there)."""
    try:
        issuer = issuer_of(request)
    except NotConfigured:
        return problem_page(request, 503, "暂不可用", "统一身份认证尚未配置。", "NOT_CONFIGURED")
    state = secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)
    back = _back(request.query_params.get("back"))
    query = {
        "response_type": "code",
        "client_id": WORKBENCH_CLIENT_ID,
        "redirect_uri": issuer.rstrip("/") + WORKBENCH_CALLBACK,
        "scope": SCOPE,
        "state": state,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(f"/sso/authorize?{urlencode(query)}", status_code=303)
    packed = base64.urlsafe_b64encode(back.encode()).decode().rstrip("=")
    flow = f"{state}.{verifier}.{packed}"
    response.set_cookie(
        FLOW_COOKIE,
        flow,
        max_age=FLOW_SECONDS,
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


def _not_signed_in(request: Request, why: str) -> Response:
    body = f"{why} 请重新登录。"
    return problem_page(request, 400, "登录未完成", body, "SIGN_IN_FAILED")


async def callback(request: Request) -> Response:
    """The code from hub's sign-in, exchanged here; the session's id becomes the cookie."""
    params = request.query_params
    if params.get("error"):
        return _not_signed_in(request, "登录被取消或未获准。")
    parts = request.cookies.get(FLOW_COOKIE, "").split(".")
    if len(parts) != 3 or not same(params.get("state", ""), parts[0]):
        return _not_signed_in(request, "登录页面已过期。")
    _, verifier, back_raw = parts
    try:
        back = _back(base64.urlsafe_b64decode(back_raw + "=" * (-len(back_raw) % 4)).decode())
    except ValueError:
        back = "/staff"
    state = hub_state(request)
    try:
        issuer = issuer_of(request)
        async with state.sessions() as session:
            client = await find_client(session, WORKBENCH_CLIENT_ID)
        if client is None or client.id is None:
            raise NotConfigured()
        answer = await token.exchange_code(
            factory=state.sessions,
            engine=state.engine,
            runtime=state.sso,
            identity=state.identity,
            caller=token.Caller(
                pk=client.id,
                client_id=client.client_id,
                is_public=True,
                scopes=tuple(client.scopes),
                owner_org_id=None,
            ),
            issuer=issuer,
            code=params.get("code", "")[:200],
            redirect_uri=issuer.rstrip("/") + WORKBENCH_CALLBACK,
            verifier=verifier,
            request_id=request_id_var.get(),
        )
    except NotConfigured:
        return problem_page(request, 503, "暂不可用", "统一身份认证尚未配置。", "NOT_CONFIGURED")
    except OAuth2Error:
        return _not_signed_in(request, "登录凭据无效或已使用。")
    access = sso_tokens.read_access_token(state.sso.keys, issuer, answer["access_token"])
    if access is None or access.session_id is None:
        return _not_signed_in(request, "登录未能完成。")
    response = RedirectResponse(back, status_code=303)
    signed = f"{access.session_id}.{_mac(request, 'session', access.session_id)}"
    response.set_cookie(
        SESSION_COOKIE,
        signed,
        path="/staff",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(FLOW_COOKIE, path="/staff")
    return response
