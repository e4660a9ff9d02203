"""A new production install gets its first administrator from the command line, who can sign
in at once; `hub staff set-password` replaces a password and ends the old sessions."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from hub import migrate
from hub.app import create_app
from hub.db import create_engine
from hub.settings import Settings
from tests.databases import BACKENDS, create_pg_database, drop_pg_database

SECRET = "production-secret-" + "x" * 32
LOGIN = """mutation($l: String!, $p: String!) { login(input: {loginNo: $l, password: $p}) {
  accessToken } }"""
ME = "{ me { isSystemAdmin effectiveRoles { roles } } }"


@pytest.fixture(params=BACKENDS)
async def production(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """An empty, migrated database of each kind, configured as production."""
    url = await create_pg_database("bootstrap") if request.param == "postgresql" else None
    settings = Settings(
        environment="production", data_dir=tmp_path, database_url=url, secret_key=SECRET
    )
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
    finally:
        await engine.dispose()
    yield settings
    if url is not None:
        await drop_pg_database(url)


def _hub(settings: Settings, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_ENVIRONMENT="production", HUB_SECRET_KEY=SECRET, HUB_DATA_DIR=str(settings.data_dir)
    )
    if settings.database_url:
        env["HUB_DATABASE_URL"] = settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _sign_in(http: httpx.AsyncClient, login: str, password: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"l": login, "p": password}}
    )
    body: dict[str, Any] = response.json()
    return body


async def test_the_first_administrator_of_a_production_install(production: Settings) -> None:
    created = _hub(production, "admin", "create", "root", "--name", "系统管理员",
                   password="first-admin-pass")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "created system administrator root" in created.stdout
    again = _hub(production, "admin", "create", "root", password="first-admin-pass")
    assert again.returncode == 1 and "already taken" in again.stderr
    weak = _hub(production, "admin", "create", "root2", password="short")
    assert weak.returncode == 1 and "at least 8" in weak.stderr

    app = create_app(production)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            signed_in = await _sign_in(http, "root", "first-admin-pass")
            token = signed_in["data"]["login"]["accessToken"]
            me = await http.post("/graphql", json={"query": ME},
                                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert me.json()["data"]["me"]["isSystemAdmin"] is True
            assert (await _sign_in(http, "root2", "short"))["errors"]  # never created

            changed = _hub(production, "staff", "set-password", "root", password="second-pass-42")
            assert changed.returncode == 0, changed.stderr
            assert "1 session(s) ended" in changed.stdout
            stale = await http.post("/graphql", json={"query": ME},
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert stale.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            old = await _sign_in(http, "root", "first-admin-pass")
            assert old["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "errors" not in await _sign_in(http, "root", "second-pass-42")
    unknown = _hub(production, "staff", "set-password", "nobody", password="whatever-123")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr
