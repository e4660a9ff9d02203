"""hub's sign-in page in a real browser: a person signs in with the keyboard alone on a phone,
is sent back to the business system with a code, and the page (and its error state) passes
an axe check (WCAG 2.1 A and AA)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import uvicorn
from playwright.async_api import Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.db import transaction
from hub.sso.clients import ClientSpec, register_client
from tests.browser.harness import MOBILE, LiveHub, axe_violations, describe, focused


@pytest.fixture
async def business_system() -> AsyncIterator[tuple[str, list[str]]]:
    """The relying party's callback, on a real port: (its URL, the URLs it was called at)."""
    arrived: list[str] = []

    async def callback(request: Request) -> Response:
        arrived.append(str(request.url))
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/callback", callback)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/callback", arrived
    server.should_exit = True
    await task


@pytest.fixture
def context_options() -> dict[str, Any]:
    # the sign-in page allows no script at all (its CSP); axe is injected past it
    return {**MOBILE, "bypass_csp": True}


async def authorize_url(app: Starlette, live: LiveHub, callback: str) -> str:
    async with transaction(app.state.hub.sessions) as session:
        made = await register_client(
            session=session,
            actor=None,
            request_id="browser-test",
            spec=ClientSpec(name="不动产登记系统", redirect_uris=[callback]),
        )
    query = {
        "response_type": "code",
        "client_id": made.client.client_id,
        "redirect_uri": callback,
        "scope": "openid profile posts",
        "state": "st-1",
        "nonce": "n-1",
    }
    return live / f"sso/authorize?{urlencode(query)}"


async def test_a_person_signs_in_with_the_keyboard_alone(
    page: Page, live_server: LiveHub, app: Starlette, business_system: tuple[str, list[str]]
) -> None:
    callback, arrived = business_system
    url = await authorize_url(app, live_server, callback)
    await page.goto(url)
    # the page: Chinese, one heading, the system's name, focus in the first field
    assert await page.get_attribute("html", "lang") == "zh-CN"
    assert await page.locator("h1").inner_text() == "登录"
    assert "不动产登记系统" in await page.inner_text("main")
    assert (await focused(page) or {}).get("name") == "username"
    violations = await axe_violations(page)
    assert not violations, describe(violations)
    # a wrong password: an announced error, the form again, still accessible
    await page.keyboard.type("nobody-at-all")
    await page.keyboard.press("Tab")
    assert (await focused(page) or {}).get("name") == "password"
    await page.keyboard.type("not-the-password")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[role=alert]")
    assert "工号或密码不正确" in await page.inner_text("[role=alert]")
    assert await page.get_attribute("#password", "aria-invalid") == "true"
    violations = await axe_violations(page)
    assert not violations, describe(violations)
    # the right one, keyboard only: back at the business system with a code and the state
    await page.focus("#username")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("tzcj_clerk")
    await page.keyboard.press("Tab")
    await page.keyboard.type(app.state.hub.settings.demo_password_value or "")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{callback}**")
    (back,) = arrived
    answer = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    assert answer["state"] == "st-1" and len(answer["code"]) > 30
    assert answer["iss"] == live_server.url.rstrip("/")
