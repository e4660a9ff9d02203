"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, ``end_session_endpoint``).

With a valid ``id_token_hint`` the browser is signed out at once; without one, hub asks the
person to confirm (so that a link on another site cannot sign anyone out). hub then ends the
browser's sign-in and every relying party's session that came from it, owing each of the
other relying parties a back-channel logout, and returns to ``post_logout_redirect_uri`` only
if the client registered it exactly.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.db import transaction
from hub.http.sso import pages
from hub.http.sso.browser import with_csrf
from hub.http.sso.forms import (
    SESSION_COOKIE,
    FormError,
    csrf_ok,
    csrf_token,
    form_params,
    query_params,
)
from hub.http.sso.oauth import NotConfigured, issuer_of
from hub.http.state import hub_state
from hub.logs import request_id_var
from hub.sso.authorize import browser_session
from hub.sso.clients import find_client
from hub.sso.logout import end_browser_session
from hub.sso.tokens import read_id_token_hint

_KEEP = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


async def end_session(request: Request) -> Response:
    state = hub_state(request)
    try:
        issuer = issuer_of(request)
        params = query_params(request) if request.method == "GET" else await form_params(request)
    except NotConfigured:
        return pages.message_page("暂不可用", "统一身份认证尚未配置完成，请联系管理员。", 503)
    except FormError as exc:
        return pages.message_page("请求有误", f"退出请求有误（{exc}）。", 400)
    hint = None
    if params.get("id_token_hint"):
        hint = read_id_token_hint(state.sso.keys, issuer, params["id_token_hint"])
    client_id = params.get("client_id") or (str(hint["aud"]) if hint else "")
    async with state.sessions() as session:
        client = await find_client(session, client_id)
    if hint is not None and client is not None and hint.get("aud") != client.client_id:
        client = None
    who = await browser_session(state.engine, request.cookies.get(SESSION_COOKIE))
    browser_id = who.session_id if who else (str(hint.get("sid")) if hint else None)
    confirmed = hint is not None or (
        request.method == "POST" and csrf_ok(request, params.get("csrf"))
    )
    if not confirmed:
        csrf, new = csrf_token(request)
        kept = {k: params[k] for k in _KEEP if k in params}
        return with_csrf(request, pages.logout_confirm_page(csrf=csrf, params=kept), csrf, new)
    if browser_id:
        async with transaction(state.sessions) as session:
            await end_browser_session(
                session,
                browser_session_id=browser_id,
                initiator=client.id if client else None,
                request_id=request_id_var.get(),
            )
        state.logouts.wake()
    target = params.get("post_logout_redirect_uri")
    if client is not None and target and target in client.post_logout_redirect_uris:
        query = {"state": params["state"]} if "state" in params else {}
        separator = "&" if urlsplit(target).query else "?"
        response: Response = RedirectResponse(
            f"{target}{separator}{urlencode(query)}" if query else target, status_code=302
        )
    else:
        response = pages.message_page("已退出登录", "你已退出统一身份认证及通过它登录的业务系统。")
    response.delete_cookie(SESSION_COOKIE, path="/sso")
    return response
