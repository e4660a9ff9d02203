"""The pages a person's browser goes through: sign-in (GET and POST /sso/authorize), consent
for a client the city did not register as its own, and logout (/sso/logout)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.auth.sessions import login
from hub.errors import BadUserInput, TooManyRequests, Unauthenticated
from hub.http.sso import pages
from hub.http.sso.forms import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    FormError,
    csrf_ok,
    csrf_token,
    form_params,
    query_params,
)
from hub.http.sso.oauth import NotConfigured, issuer_of
from hub.http.state import HubState, hub_state
from hub.models.enums import SessionKind
from hub.sso.authorize import (
    AuthorizationRequest,
    Browser,
    RedirectError,
    ShowError,
    admitted,
    browser_session,
    issue_code,
    parse_request,
)
from hub.sso.clients import SCOPE_TEXT

_OWN_FIELDS = {
    "username",
    "password",
    "csrf",
    "decision",
    "current_password",
    "new_password",
    "repeat_password",
}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or hub_state(request).settings.is_production


def with_csrf(request: Request, response: Response, value: str, new: bool) -> Response:
    if new:
        response.set_cookie(
            CSRF_COOKIE, value, path="/sso", httponly=True, samesite="lax", secure=_secure(request)
        )
    return response


def redirect_to_client(
    request: AuthorizationRequest, issuer: str, params: dict[str, str]
) -> RedirectResponse:
    answer = dict(params)
    if request.state is not None:
        answer["state"] = request.state
    answer["iss"] = issuer
    separator = "&" if urlsplit(request.redirect_uri).query else "?"
    return RedirectResponse(
        f"{request.redirect_uri}{separator}{urlencode(answer)}",
        status_code=302,
        headers={"Cache-Control": "no-store"},
    )


def _refused(error: RedirectError, issuer: str) -> RedirectResponse:
    return redirect_to_client(
        error.request, issuer, {"error": error.error, "error_description": error.description}
    )


async def _parse(state: HubState, params: dict[str, str], issuer: str) -> AuthorizationRequest:
    async with state.sessions() as session:
        return await parse_request(
            session, {k: v for k, v in params.items() if k not in _OWN_FIELDS}, issuer=issuer
        )


async def authorize(request: Request) -> Response:
    state = hub_state(request)
    try:
        issuer = issuer_of(request)
        params = query_params(request) if request.method == "GET" else await form_params(request)
        wanted = await _parse(state, params, issuer)
    except NotConfigured:
        return pages.message_page("暂不可用", "统一身份认证尚未配置完成，请联系管理员。", 503)
    except FormError as exc:
        return pages.message_page("请求有误", f"登录请求不完整或有误（{exc}）。", 400)
    except ShowError as exc:
        return pages.message_page("无法登录", str(exc), 400)
    except RedirectError as exc:
        return _refused(exc, issuer)
    if request.method == "POST":
        return await _sign_in(request, state, issuer, wanted, params)
    who = None
    if "login" not in wanted.prompt:
        who = await browser_session(state.engine, request.cookies.get(SESSION_COOKIE))
    if who is None:
        if "none" in wanted.prompt:
            return redirect_to_client(wanted, issuer, {"error": "login_required"})
        csrf, new = csrf_token(request)
        page = pages.sign_in_page(
            client_name=wanted.client_name, params=wanted.as_params(), csrf=csrf
        )
        return with_csrf(request, page, csrf, new)
    return await continue_signed_in(request, state, issuer, wanted, who)


async def _sign_in(
    request: Request,
    state: HubState,
    issuer: str,
    wanted: AuthorizationRequest,
    params: dict[str, str],
) -> Response:
    csrf, new = csrf_token(request)
    username = params.get("username", "")[:32]

    def again(message: str, status: int) -> Response:
        page = pages.sign_in_page(
            client_name=wanted.client_name,
            params=wanted.as_params(),
            csrf=csrf,
            username=username,
            error=message,
            status=status,
        )
        return with_csrf(request, page, csrf, new)

    if not csrf_ok(request, params.get("csrf")):
        return again("页面已过期，请重新输入工号和密码。", 400)
    try:
        tokens = await login(
            factory=state.sessions,
            runtime=state.identity,
            login_no=username,
            password=params.get("password", "")[:200],
            client_ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            kind=SessionKind.BROWSER,
        )
    except TooManyRequests as exc:
        minutes = max(1, int(exc.extensions.get("retryAfterSeconds", 60)) // 60)
        if "lockedUntil" in exc.extensions:  # the account (or an unknown login number)
            return again(f"登录失败次数过多，该工号已暂时锁定，请约 {minutes} 分钟后再试。", 429)
        # the address: many people behind one office network, the account is not locked
        return again(f"本网络登录尝试过多，请约 {minutes} 分钟后再试（工号未被锁定）。", 429)
    except Unauthenticated:
        return again("工号或密码不正确。", 401)
    except BadUserInput:
        return again("请输入工号和密码。", 400)
    who = await browser_session(state.engine, tokens.refresh_token)
    if who is None:
        return again("登录未能完成，请重试。", 401)
    response = await continue_signed_in(request, state, issuer, wanted, who)
    response.set_cookie(
        SESSION_COOKIE,
        tokens.refresh_token,
        max_age=state.settings.sso_session_hours * 3600,
        path="/sso",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


async def continue_signed_in(
    request: Request, state: HubState, issuer: str, wanted: AuthorizationRequest, who: Browser
) -> Response:
    """Signed in: a forced password change first, then the client's org restriction, then
    consent (only for a client that is not the city's own), then the code."""
    if who.must_change_password:
        csrf, new = csrf_token(request)
        page = pages.password_page(params=wanted.as_params(), csrf=csrf)
        return with_csrf(request, page, csrf, new)
    if not await admitted(state.engine, state.sso.client_paths, wanted, who):
        return redirect_to_client(
            wanted,
            issuer,
            {
                "error": "access_denied",
                "error_description": "Your posts do not admit you to this client.",
            },
        )
    if not wanted.first_party and request.url.path != "/sso/consent":
        if "none" in wanted.prompt:
            return redirect_to_client(wanted, issuer, {"error": "consent_required"})
        csrf, new = csrf_token(request)
        page = pages.consent_page(
            client_name=wanted.client_name,
            params=wanted.as_params(),
            csrf=csrf,
            scopes=[SCOPE_TEXT[s] for s in wanted.scope],
        )
        return with_csrf(request, page, csrf, new)
    code = await issue_code(
        state.sessions, wanted, who, lifetime_seconds=state.settings.sso_code_seconds
    )
    return redirect_to_client(wanted, issuer, {"code": code})


async def parse_or_page(
    request: Request,
) -> Response | tuple[str, AuthorizationRequest, dict[str, str]]:
    """A POSTed step of the sign-in (consent, password): the authorization request it carries,
    checked again, or the page or redirect that answers a bad one."""
    state = hub_state(request)
    try:
        issuer = issuer_of(request)
        params = await form_params(request)
        wanted = await _parse(state, params, issuer)
    except NotConfigured:
        return pages.message_page("暂不可用", "统一身份认证尚未配置完成，请联系管理员。", 503)
    except FormError as exc:
        return pages.message_page("请求有误", f"请求不完整或有误（{exc}）。", 400)
    except ShowError as exc:
        return pages.message_page("无法登录", str(exc), 400)
    except RedirectError as exc:
        return _refused(exc, issuer)
    return issuer, wanted, params


async def consent(request: Request) -> Response:
    state = hub_state(request)
    parsed = await parse_or_page(request)
    if isinstance(parsed, Response):
        return parsed
    issuer, wanted, params = parsed
    who = await browser_session(state.engine, request.cookies.get(SESSION_COOKIE))
    if who is None or not csrf_ok(request, params.get("csrf")):
        return pages.message_page("请重新登录", "登录状态已失效，请从业务系统重新进入。", 400)
    if params.get("decision") != "allow":
        return redirect_to_client(wanted, issuer, {"error": "access_denied"})
    return await continue_signed_in(request, state, issuer, wanted, who)
