"""The frame every page shares: the HTML shell, the text size, the headers, compression.

Pages are Chinese and mobile first. The text size is a cookie the visitor sets with a plain
link (``/text-size``), so the large-text mode (适老化: larger type, larger targets, stronger
contrast, no decoration) works without JavaScript and on every page. The only script is
``/static/hub.js`` (suggestions while typing and the print button); every page works without it.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from html import escape
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from hub.http.assets import CSS, JS, Asset
from hub.http.response_cache import etag_matches, etag_of
from hub.logs import request_id_var

STATIC = Path(__file__).parent / "static"
TEXT_COOKIE = "hub_text"
LARGE = "large"
SITE = "云溪新区政务服务"

#: Pages load only hub's own stylesheet and script and talk only to hub.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


ASSETS = {
    "hub.css": Asset.read(STATIC / "hub.css", CSS),
    "hub.js": Asset.read(STATIC / "hub.js", JS),
}


def h(value: object) -> str:
    """Text for HTML, escaped (quotes too: safe in attributes)."""
    return escape(str(value), quote=True)


def url(path: str, **params: object) -> str:
    """A path with query parameters (those that are None or empty are left out)."""
    kept = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def href(path: str, **params: object) -> str:
    """``url``, escaped for an attribute."""
    return h(url(path, **params))


def paging(request: Request, size: int) -> dict[str, object]:
    """A connection's paging variables from the address: ``last``/``before`` going back (the
    ``pager``'s previous link), else ``first``/``after``; cursors cut to 200 characters."""
    params = request.query_params
    if params.get("before"):
        return {"last": size, "before": params["before"][:200]}
    return {"first": size, "after": (params.get("after") or "")[:200] or None}


def pager(path: str, params: Mapping[str, object], info: Mapping[str, object]) -> str:
    """Previous and next links from a connection's ``pageInfo`` (either may be missing)."""
    links = []
    if info.get("hasPreviousPage"):
        back = href(path, **params, before=info["startCursor"])
        links.append(f'<a rel="prev" href="{back}">上一页</a>')
    if info.get("hasNextPage"):
        on = href(path, **params, after=info["endCursor"])
        links.append(f'<a rel="next" href="{on}">下一页</a>')
    return f'<nav class="pager" aria-label="翻页">{" ".join(links)}</nav>' if links else ""


def is_large(request: Request) -> bool:
    return request.cookies.get(TEXT_COOKIE) == LARGE


def _here(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def _text_toggle(request: Request) -> str:
    back = _here(request)
    if is_large(request):
        return f'<a class="size" href="{href("/text-size", size="normal", back=back)}">标准字号</a>'
    return f'<a class="size" href="{href("/text-size", size=LARGE, back=back)}">大字版</a>'


def page(
    request: Request,
    *,
    title: str,
    body: str,
    status: int = 200,
    search_value: str = "",
    public: bool = True,
) -> Response:
    """The page in the shared frame: a header with the site's name, a search form (except on
    the home page, which has its own) and the text-size switch; the body in ``<main>``."""
    css = ASSETS["hub.css"]
    js = ASSETS["hub.js"]
    large = ' class="large"' if is_large(request) else ""
    search = ""
    if request.url.path != "/":
        search = f"""<form class="top-search" role="search" action="/search" method="get">
<label for="top-q" class="visually-hidden">搜索办事服务</label>
<input id="top-q" name="q" type="search" value="{h(search_value)}" placeholder="搜索办事服务"
 enterkeyhint="search" maxlength="100">
<button type="submit">搜索</button>
</form>"""
    html = f"""<!doctype html>
<html lang="zh-CN"{large}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{h(title)} - {SITE}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/hub.css?v={css.version}">
<script src="/static/hub.js?v={js.version}" defer></script>
</head>
<body>
<a class="skip" href="#main">跳到主要内容</a>
<header class="site">
<a class="home" href="/">{SITE}</a>
{_text_toggle(request)}
{search}
</header>
<main id="main" tabindex="-1">
{body}
</main>
<footer class="site">
<nav aria-label="站点"><a href="/">首页</a> <a href="/data">数据开放</a>
<a href="/graphql">开发者接口</a></nav>
<p>咨询投诉请拨打 12345</p>
</footer>
</body>
</html>
"""
    body_bytes = html.encode()
    if not (public and status == 200):
        return compressed(request, body_bytes, "text/html; charset=utf-8", status, "no-store")
    # kept by browsers and caches but asked for again each time: the data behind a page is
    # exact (hub's response cache), and an unchanged page costs a 304 without its bytes
    etag = "W/" + etag_of(body_bytes)  # weak: the same page gzipped or not (RFC 9110 8.8.3)
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        response = compressed(request, b"", "text/html; charset=utf-8", 304, "public, no-cache")
    else:
        response = compressed(
            request, body_bytes, "text/html; charset=utf-8", 200, "public, no-cache"
        )
    response.headers["ETag"] = etag
    return response


def compressed(request: Request, body: bytes, media_type: str, status: int, cache: str) -> Response:
    """The body gzipped when the client accepts it (pages and assets only: never an answer
    that holds a secret, so compression cannot leak one)."""
    headers = {
        "Cache-Control": cache,
        "Content-Security-Policy": PAGE_CSP,
        "Vary": "Accept-Encoding, Cookie",
        "X-Request-ID": request_id_var.get(),
    }
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 512:
        body = gzip.compress(body, 6)
        headers["Content-Encoding"] = "gzip"
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def problem_page(request: Request, status: int, title: str, message: str, code: str) -> Response:
    """An error as a page: what happened in words, and the code and request id to quote."""
    body = f"""<h1>{h(title)}</h1>
<p class="lead">{h(message)}</p>
<p class="fine">错误代码 <code>{h(code)}</code> ·
请求编号 <code>{h(request_id_var.get())}</code></p>
<p><a href="/">返回首页</a></p>"""
    return page(request, title=title, body=body, status=status, public=False)


def asset(request: Request) -> Response:
    name = request.path_params["name"]
    found = ASSETS.get(name)
    if found is None:
        return problem_page(request, 404, "页面不存在", "没有这个文件。", "NOT_FOUND")
    return found.answer(request)


def safe_back(value: str | None) -> str:
    """Where to go back to: a path on this site, never another host."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return quote(value, safe="/?&=%:+,;@-._~")
