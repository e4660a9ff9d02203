"""GraphiQL's page and files as HTTP answers: the page names no other host, each file it names
is served by hub (gzipped when asked, kept long at its versioned address), the page's policy
allows no inline script and no ``eval``, and with GraphiQL off neither page nor files answer."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
from asgi_lifespan import LifespanManager

from hub.app import create_app
from hub.settings import Settings

TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


async def graphiql(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})


def referenced(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


async def test_the_page_names_no_other_host(client: httpx.AsyncClient) -> None:
    answer = await graphiql(client)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert not re.search(r"https?://", answer.text)
    assert not re.search(r"<script(?![^>]*\bsrc=)", answer.text), "an inline script"
    assert "//" not in "".join(referenced(answer.text))
    assert answer.headers["cache-control"] == "no-store"


async def test_every_file_the_page_names_is_served_by_hub(client: httpx.AsyncClient) -> None:
    urls = referenced((await graphiql(client)).text)
    names = [url.split("?")[0].removeprefix("/graphiql/static/") for url in urls]
    assert names == [
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "mount.js",
    ]
    for url, name in zip(urls, names, strict=True):
        plain = await client.get(url, headers={"accept-encoding": "identity"})
        assert plain.status_code == 200, url
        assert plain.headers["content-type"] == TYPES[name[name.rindex(".") :]]
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-encoding" not in plain.headers
        zipped = await client.get(url, headers={"accept-encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.content == plain.content  # httpx undoes the gzip
        assert int(zipped.headers["content-length"]) < len(plain.content)
    # a bare address is kept briefly; an unknown name is not found
    bare = await client.get("/graphiql/static/mount.js")
    assert bare.headers["cache-control"] == "public, max-age=300"
    for missing in ("LICENSES", "graphiql.min.js.map", "nope.js", "..%2Fgraphiql.py"):
        gone = await client.get(f"/graphiql/static/{missing}")
        assert gone.status_code == 404, missing
        assert gone.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_page_policy_is_strict_and_its_nonce_fresh(client: httpx.AsyncClient) -> None:
    first, second = await graphiql(client), await graphiql(client)
    csp = first.headers["content-security-policy"]
    directives = dict(d.strip().partition(" ")[::2] for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["font-src"] == "data:"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp and "http" not in csp
    (nonce,) = re.findall(r"'nonce-([^']+)'", directives["style-src"])
    assert f'nonce="{nonce}"' in first.text and len(nonce) >= 22
    assert nonce not in second.headers["content-security-policy"]


async def test_graphiql_off_serves_neither_page_nor_files(seeded_settings: Settings) -> None:
    app = create_app(seeded_settings.model_copy(update={"graphiql": False}))
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            page = await graphiql(http)
            assert page.status_code == 400
            assert page.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            asset = await http.get("/graphiql/static/graphiql.min.js")
            assert asset.status_code == 404


def test_a_process_that_never_serves_graphiql_never_reads_its_files() -> None:
    """1.5 MB read and gzipped on first use, not at import (production has GraphiQL off)."""
    script = (
        "import hub.app, hub.http.graphiql as g; "
        "assert g.assets.cache_info().currsize == 0; "
        "g.asset_url('mount.js'); assert g.assets.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
