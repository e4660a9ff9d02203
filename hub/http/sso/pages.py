"""The SSO pages, rendered on the server: Chinese, mobile first, no script, no external asset
(one stylesheet served by hub). Every input has a label; an error is announced (role=alert)
and tied to the inputs it concerns; the first field takes focus."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path

from starlette.responses import HTMLResponse, Response

from hub.auth.passwords import MIN_PASSWORD_LENGTH

CSS = (Path(__file__).parent / "sso.css").read_text(encoding="utf-8")
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": PAGE_CSP,
    "X-Frame-Options": "DENY",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - 统一身份认证</title>
<link rel="stylesheet" href="/sso/static/sso.css">
</head>
<body>
<main>
<div class="card">
{body}
</div>
<footer>统一身份认证平台</footer>
</main>
</body>
</html>
"""
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _hidden(params: Mapping[str, str]) -> str:
    return "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )


def sign_in_page(
    *,
    client_name: str,
    params: Mapping[str, str],
    csrf: str,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    described = ' aria-describedby="sign-in-error" aria-invalid="true"' if error else ""
    alert = f'<p id="sign-in-error" class="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""<h1>登录</h1>
<p class="for">登录后继续使用 <strong>{escape(client_name)}</strong></p>
{alert}
<form method="post" action="/sso/authorize">
{_hidden(params)}
<input type="hidden" name="csrf" value="{escape(csrf)}">
<label for="username">工号</label>
<input id="username" name="username" type="text" autocomplete="username" inputmode="text"
 autocapitalize="none" spellcheck="false" required autofocus value="{escape(username)}"{described}>
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required{described}>
<button type="submit">登录</button>
</form>
<p class="hint">忘记密码请联系本单位管理员重置。</p>"""
    return _page("登录", body, status)


def consent_page(
    *, client_name: str, params: Mapping[str, str], csrf: str, scopes: list[str]
) -> HTMLResponse:
    items = "\n".join(f"<li>{escape(s)}</li>" for s in scopes)
    body = f"""<h1>授权确认</h1>
<p class="for"><strong>{escape(client_name)}</strong> 请求使用你的以下信息：</p>
<ul class="scopes">{items}</ul>
<form method="post" action="/sso/consent">
{_hidden(params)}
<input type="hidden" name="csrf" value="{escape(csrf)}">
<button type="submit" name="decision" value="allow">同意并继续</button>
<button type="submit" name="decision" value="deny" class="secondary">拒绝</button>
</form>"""
    return _page("授权确认", body)


def password_page(
    *, params: Mapping[str, str], csrf: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    described = ' aria-describedby="password-error" aria-invalid="true"' if error else ""
    alert = (
        f'<p id="password-error" class="error" role="alert">{escape(error)}</p>' if error else ""
    )
    body = f"""<h1>请修改密码</h1>
<p class="for">你的密码已由管理员重置，继续之前请设置新密码。</p>
{alert}
<form method="post" action="/sso/password">
{_hidden(params)}
<input type="hidden" name="csrf" value="{escape(csrf)}">
<label for="current-password">临时密码</label>
<input id="current-password" name="current_password" type="password"
 autocomplete="current-password" required autofocus{described}>
<label for="new-password">新密码</label>
<input id="new-password" name="new_password" type="password" autocomplete="new-password"
 required aria-describedby="password-rule"{described}>
<p id="password-rule" class="hint">至少 {MIN_PASSWORD_LENGTH} 位，且不能与临时密码相同。</p>
<label for="repeat-password">再次输入新密码</label>
<input id="repeat-password" name="repeat_password" type="password" autocomplete="new-password"
 required{described}>
<button type="submit">修改并继续</button>
</form>"""
    return _page("修改密码", body, status)


def message_page(title: str, message: str, status: int = 200) -> HTMLResponse:
    body = f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>"
    return _page(title, body, status)


def logout_confirm_page(*, csrf: str, params: Mapping[str, str]) -> HTMLResponse:
    body = f"""<h1>退出登录</h1>
<p class="for">确定要退出统一身份认证吗？已登录的业务系统也会一并退出。</p>
<form method="post" action="/sso/logout">
{_hidden(params)}
<input type="hidden" name="csrf" value="{escape(csrf)}">
<button type="submit">退出登录</button>
</form>"""
    return _page("退出登录", body)


def stylesheet() -> Response:
    return Response(
        CSS,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )
