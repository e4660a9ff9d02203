"""SSO fixtures: the identity test city served by the real app, a relying party that takes
back-channel logout tokens on a real HTTP port, and a browser (an httpx client keeping
cookies) that signs in on hub's page the way a person's browser does."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from authlib.integrations.httpx_client import AsyncOAuth2Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.db import transaction
from hub.sso.clients import ClientSpec, register_client
from tests.identity.conftest import BACKENDS, PASSWORD, World, migrated_pg_url, open_world

# Authlib's client refuses plain http unless told otherwise; hub is reached in-process here
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
ISSUER = "http://test"


@dataclass
class RelyingParty:
    """A relying party's back-channel logout endpoint, served by uvicorn on 127.0.0.1."""

    port: int = 0
    received: list[str] = field(default_factory=list)
    down: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_for(self, count: int, seconds: float = 15.0) -> list[str]:
        async def enough() -> None:
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), seconds)
        return self.received


def _rp_app(rp: RelyingParty) -> Starlette:
    async def backchannel(request: Request) -> Response:
        if rp.down:
            return Response(status_code=503)
        form = parse_qs((await request.body()).decode())
        rp.received.append(form["logout_token"][0])
        rp.arrived.set()
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    return Starlette(routes=[Route("/backchannel", backchannel, methods=["POST"])])


@pytest.fixture
async def relying_party() -> AsyncIterator[RelyingParty]:
    rp = RelyingParty()
    config = uvicorn.Config(_rp_app(rp), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    rp.port = server.servers[0].sockets[0].getsockname()[1]
    yield rp
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def sso_pg_url() -> AsyncIterator[str | None]:
    """One migrated PostgreSQL database for the SSO tests, when PostgreSQL is there."""
    async with migrated_pg_url("sso") as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def sso_world(
    request: pytest.FixtureRequest, tmp_path: Path, sso_pg_url: str | None
) -> AsyncIterator[World]:
    async with open_world(str(request.param), tmp_path, sso_pg_url) as opened:
        yield opened


async def add_client(
    world: World, rp: RelyingParty | None = None, **spec: Any
) -> tuple[str, str | None]:
    base = rp.base if rp else "http://127.0.0.1:9"
    values: dict[str, Any] = {
        "name": "不动产登记系统",
        "redirect_uris": [f"{base}/callback"],
        "backchannel_logout_uri": f"{base}/backchannel" if rp else None,
        "post_logout_redirect_uris": [f"{base}/signed-out"],
    }
    values.update(spec)
    async with transaction(world.app.state.hub.sessions) as session:
        made = await register_client(
            session=session, actor=None, request_id="test", spec=ClientSpec(**values)
        )
    return made.client.client_id, made.client_secret


def oauth_client(
    world: World, client_id: str, secret: str | None, redirect_uri: str, **kw: Any
) -> AsyncOAuth2Client:
    """Authlib's own client, talking to hub in-process."""
    return AsyncOAuth2Client(
        client_id=client_id,
        client_secret=secret,
        scope=kw.pop("scope", "openid profile posts"),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        transport=httpx.ASGITransport(app=world.app),
        base_url=ISSUER,
        **kw,
    )


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(page: str) -> dict[str, str]:
    return {unescape(k): unescape(v) for k, v in _HIDDEN.findall(page)}


class Browser:
    """A person's browser: keeps hub's cookies, follows nothing by itself."""

    def __init__(self, world: World) -> None:
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=world.app), base_url=ISSUER)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def open(self, url: str) -> httpx.Response:
        return await self.http.get(url)

    async def sign_in(self, url: str, login_no: str, password: str = PASSWORD) -> httpx.Response:
        """Open the authorization URL, fill in the sign-in form, submit it (a browser that
        is signed in already is sent straight back, without a form)."""
        page = await self.http.get(url)
        if page.status_code == 302:
            return page
        assert page.status_code == 200, page.text
        form = hidden_fields(page.text)
        form.update({"username": login_no, "password": password})
        return await self.http.post("/sso/authorize", data=form)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:500]
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {k: v[0] for k, v in query.items()}


@pytest.fixture
async def browser(sso_world: World) -> AsyncIterator[Browser]:
    opened = Browser(sso_world)
    yield opened
    await opened.aclose()
