"""POST /sso/password: the forced change after an administrator's reset, on the way into a
business system. The same change as ``changePassword`` (:mod:`hub.identity.credentials`):
the one-time password is checked and counted like a sign-in, the new one must be strong and
different, the person's other sessions end, and it is audited."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hub.auth.viewer import Viewer
from hub.db import unit_of_work
from hub.errors import BadUserInput, Conflict, TooManyRequests
from hub.http.sso import pages
from hub.http.sso.browser import continue_signed_in, parse_or_page, with_csrf
from hub.http.sso.forms import SESSION_COOKIE, csrf_ok, csrf_token
from hub.http.state import hub_state
from hub.identity.credentials import change_password, check_current_password, new_password
from hub.logs import request_id_var
from hub.sso.authorize import browser_session


async def change(request: Request) -> Response:
    state = hub_state(request)
    parsed = await parse_or_page(request)
    if isinstance(parsed, Response):
        return parsed
    issuer, wanted, params = parsed
    who = await browser_session(state.engine, request.cookies.get(SESSION_COOKIE))
    if who is None or not csrf_ok(request, params.get("csrf")):
        return pages.message_page("请重新登录", "登录状态已失效，请从业务系统重新进入。", 400)
    if not who.must_change_password:
        return await continue_signed_in(request, state, issuer, wanted, who)
    csrf, new = csrf_token(request)

    def again(message: str, status: int = 400) -> Response:
        page = pages.password_page(
            params=wanted.as_params(), csrf=csrf, error=message, status=status
        )
        return with_csrf(request, page, csrf, new)

    current = params.get("current_password", "")[:200]
    chosen = params.get("new_password", "")[:200]
    if chosen != params.get("repeat_password", "")[:200]:
        return again("两次输入的新密码不一致。")
    try:
        new_password(current, chosen)
    except BadUserInput:
        return again("新密码不符合要求：请按提示设置。")
    actor = Viewer(
        staff_id=who.staff_id,
        session_id=who.session_id,
        is_system_admin=who.is_system_admin,
        staff_version=who.staff_version,
        must_change_password=True,
    )
    try:
        checked = await check_current_password(
            factory=state.sessions, runtime=state.identity, actor=actor, password=current
        )
        hashed = await state.identity.passwords.hash_async(chosen)
        async with unit_of_work(state.sessions) as session:
            await change_password(
                session=session,
                actor=actor,
                request_id=request_id_var.get(),
                checked=checked,
                password_hash=hashed,
            )
    except TooManyRequests:
        return again("错误次数过多，账号已暂时锁定，请稍后再试。", 429)
    except BadUserInput:
        return again("临时密码不正确。", 401)
    except Conflict:
        return again("密码刚被修改过，请重新输入。", 409)
    who = await browser_session(state.engine, request.cookies.get(SESSION_COOKIE))
    if who is None:
        return pages.message_page("请重新登录", "登录状态已失效，请从业务系统重新进入。", 400)
    return await continue_signed_in(request, state, issuer, wanted, who)
