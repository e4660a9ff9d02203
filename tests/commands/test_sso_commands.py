"""`hub clients add|list|revoke` and `hub keys rotate` on a production install: what an
operator scripts when a business system joins single sign-on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from hub import migrate
from hub.app import create_app
from hub.db import create_engine
from hub.settings import Settings
from tests.databases import BACKENDS, create_pg_database, drop_pg_database

SECRET = "production-secret-" + "y" * 32
PUBLIC_URL = "https://hub.example.gov.cn"


@pytest.fixture(params=BACKENDS)
async def production(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    url = await create_pg_database("clients") if request.param == "postgresql" else None
    settings = Settings(
        environment="production",
        data_dir=tmp_path,
        database_url=url,
        secret_key=SECRET,
        public_url=PUBLIC_URL,
    )
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
    finally:
        await engine.dispose()
    yield settings
    if url is not None:
        await drop_pg_database(url)


def hub(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_ENVIRONMENT="production",
        HUB_SECRET_KEY=SECRET,
        HUB_DATA_DIR=str(settings.data_dir),
        HUB_PUBLIC_URL=PUBLIC_URL,
    )
    if settings.database_url:
        env["HUB_DATABASE_URL"] = settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_clients_are_added_listed_and_revoked_from_the_command_line(
    production: Settings,
) -> None:
    # when: a script registers 协同办公
    added = hub(
        production,
        "clients",
        "add",
        "协同办公",
        "--redirect-uri",
        "https://oa.example.gov.cn/callback",
        "--backchannel-logout-uri",
        "https://oa.example.gov.cn/logout",
    )
    # then: one JSON line with the id and the secret
    assert added.returncode == 0, added.stderr
    (line,) = added.stdout.splitlines()
    made = json.loads(line)
    assert set(made) == {"client_id", "client_secret"} and len(made["client_secret"]) >= 40
    # an http redirect URI outside the machine, an unknown org: refused, nothing written
    bad = hub(production, "clients", "add", "X", "--redirect-uri", "http://oa.example.gov.cn/cb")
    assert bad.returncode == 1 and "https" in bad.stderr and bad.stdout == ""
    unknown = hub(
        production, "clients", "add", "Y", "--redirect-uri", "https://y.gov.cn/cb", "--orgs", "NO"
    )
    assert unknown.returncode == 1 and "NO" in unknown.stderr
    public = hub(production, "clients", "add", "掌上办", "--redirect-uri", "https://m.gov.cn/cb",
                 "--public")  # fmt: skip
    assert json.loads(public.stdout)["client_secret"] is None
    listed = [json.loads(x) for x in hub(production, "clients", "list").stdout.splitlines()]
    # the first is hub's own staff workbench (migration 0010)
    assert [c["name"] for c in listed] == ["工作人员工作台", "协同办公", "掌上办"]
    # the app answers for the client until it is revoked
    app = create_app(production)
    async with LifespanManager(app, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
            config = (await http.get("/.well-known/openid-configuration")).json()
            assert config["issuer"] == PUBLIC_URL
            credentials = (made["client_id"], made["client_secret"])
            ask = {"grant_type": "refresh_token", "refresh_token": "none-such"}
            live = await http.post("/sso/token", data=ask, auth=credentials)
            assert live.json()["error"] == "invalid_grant"  # authenticated, then refused
            revoked = hub(production, "clients", "revoke", made["client_id"])
            assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked"] is True
            gone = await http.post("/sso/token", data=ask, auth=credentials)
            assert gone.status_code == 401 and gone.json()["error"] == "invalid_client"
            # keys: rotation publishes the new key beside the old one
            before = {k["kid"] for k in (await http.get("/sso/jwks")).json()["keys"]}
            turned = hub(production, "keys", "rotate")
            assert turned.returncode == 0, turned.stderr
            new_kid = json.loads(turned.stdout)["kid"]
            app.state.hub.sso.keys.reload()
            after = {k["kid"] for k in (await http.get("/sso/jwks")).json()["keys"]}
            assert after == before | {new_kid} and len(after) == 2
