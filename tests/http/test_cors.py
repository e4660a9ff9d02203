"""Browsers on other origins: none by default; the ones HUB_CORS_ORIGINS names may call the
API (preflight and answer, errors included), others get no CORS headers."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from hub.app import create_app
from hub.settings import Settings

APP_ORIGIN = "https://app.yunxi.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def answers(settings: Settings, origin: str) -> tuple[httpx.Response, httpx.Response]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            preflight = await http.options("/graphql", headers={"Origin": origin, **PREFLIGHT})
            bad = await http.post(
                "/graphql", json={"query": "{ nope }"}, headers={"Origin": origin}
            )
            return preflight, bad


async def test_no_origin_is_allowed_by_default(seeded_settings: Settings) -> None:
    preflight, answer = await answers(seeded_settings, APP_ORIGIN)
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in answer.headers


async def test_a_named_origin_may_call_the_api(seeded_settings: Settings) -> None:
    settings = seeded_settings.model_copy(update={"cors_origins": f"{APP_ORIGIN}/"})
    preflight, answer = await answers(settings, APP_ORIGIN)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    # an error answer can be read too, with its request id
    assert answer.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()
    assert answer.json()["errors"][0]["extensions"]["requestId"]

    other_preflight, other = await answers(settings, "https://evil.example")
    assert other_preflight.status_code == 400
    assert "access-control-allow-origin" not in other.headers


def test_what_is_not_an_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        Settings(cors_origins="app.yunxi.example/path")
