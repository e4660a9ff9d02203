"""GraphiQL for browsers in development: the page at ``GET /graphql`` (``Accept: text/html``)
and its files at ``/graphiql/static/{name}``, all served by hub, so that it works with no
internet and under a strict Content-Security-Policy.

The files in ``static/graphiql/`` are React 18.3.1 and ReactDOM 18.3.1 (UMD production builds)
and GraphiQL 3.9.0 (its UMD bundle and stylesheet), vendored unmodified from the npm registry by
``scripts/vendor_graphiql.sh`` (pinned, sha256-checked; licences in ``LICENSES``), and
``mount.js``, hub's own, which mounts GraphiQL with a fetcher to ``/graphql`` on this origin.
They are read and gzipped once, when the page or a file is first asked for (never where
GraphiQL is off); their addresses carry a version (a hash of the content), so browsers may keep
them for a year.

The page's policy is its own (the guard middleware keeps a policy a response already has):
scripts only from hub, no inline script, no ``eval``; requests only to hub; fonts and images
also as ``data:`` URLs (GraphiQL's stylesheet embeds its fonts and icons). GraphiQL's menus and
dialogs add ``<style>`` elements while it runs, so ``style-src`` names a nonce made per answer,
which ``mount.js`` hands to them; inline styles need no ``'unsafe-inline'``.
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from hub.errors import NotFound
from hub.http.assets import CSS, JS, Asset
from hub.http.responses import error_response
from hub.logs import request_id_var
from hub.settings import Settings

STATIC = Path(__file__).parent / "static" / "graphiql"
ASSET_PATH = "/graphiql/static/"


#: In the order the page loads them.
FILES = {
    "graphiql.min.css": CSS,
    "react.production.min.js": JS,
    "react-dom.production.min.js": JS,
    "graphiql.min.js": JS,
    "mount.js": JS,
}


@cache
def assets() -> dict[str, Asset]:
    """The files, read and gzipped on first use (1.5 MB, about 60 ms): a process that never
    serves GraphiQL (production, where it is off) never loads them."""
    return {name: Asset.read(STATIC / name, media_type) for name, media_type in FILES.items()}


def asset_url(name: str) -> str:
    return f"{ASSET_PATH}{name}?v={assets()[name].version}"


def page_csp(style_nonce: str) -> str:
    return (
        "default-src 'none'; script-src 'self'; "
        f"style-src 'self' 'nonce-{style_nonce}'; font-src data:; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


def _html(nonce: str) -> str:
    links = [f'<link rel="stylesheet" href="{asset_url("graphiql.min.css")}">']
    links += [
        f'<script src="{asset_url(name)}" defer></script>'
        for name in FILES
        if name.endswith(".js") and name != "mount.js"
    ]
    mount = f'<script src="{asset_url("mount.js")}" nonce="{nonce}" defer></script>'
    head = "\n".join([*links, mount])
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL - hub</title>
{head}
</head>
<body>
<div id="graphiql" data-endpoint="/graphql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript. Send queries to /graphql with POST or GET.</noscript>
</body>
</html>
"""


def graphiql_page() -> Response:
    """The GraphiQL page, under its own policy (a fresh style nonce each time, so never
    stored)."""
    nonce = secrets.token_urlsafe(18)
    headers = {
        "Content-Security-Policy": page_csp(nonce),
        "Cache-Control": "no-store",
        "Vary": "Accept",
    }
    return HTMLResponse(_html(nonce), headers=headers)


async def graphiql_asset(request: Request) -> Response:
    """A GraphiQL file, gzipped when the client accepts it; kept a year at its versioned
    address, five minutes at a bare one. Not found when GraphiQL is off."""
    name = request.path_params["name"]
    # not hub_state(): hub.http.state imports the endpoint, which imports this module
    settings: Settings = request.app.state.hub.settings
    if name not in FILES or not settings.graphiql_enabled:
        return error_response([NotFound("No such file.")], request_id_var.get(), 404)
    return assets()[name].answer(request)
