"""A PostgreSQL restart under traffic: every answer meanwhile is either a normal one or a typed
``SERVICE_UNAVAILABLE`` (HTTP 503, ``Retry-After``, request id), never a plain 500 or an
``INTERNAL_SERVER_ERROR``; afterwards the pool reconnects by itself.

Runs where ``HUB_TEST_DATABASE_URL`` is set, on that server (which it restarts with
``pg_ctlcluster``: CI's PostgreSQL is the machine's own).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

LOGIN = """
mutation { login(input: {loginNo: "admin", password: "hub-demo-2026"}) { accessToken } }
"""
READS = [
    "{ services(first: 5) { edges { node { name } } } }",
    '{ service(code: "S-WJJ-001") { name materials { material { name } } } }',
]
SIGNED_IN = "{ me { staff { loginNo } } }"


def _restart_postgresql() -> None:
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _check(response: httpx.Response, seen: dict[str, int]) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body: dict[str, Any] = response.json()
    if response.status_code == 200 and "errors" not in body:
        seen["ok"] = seen.get("ok", 0) + 1
        return
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"SERVICE_UNAVAILABLE"}, (response.status_code, body)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert all(e["extensions"]["requestId"] for e in body["errors"])
    seen["unavailable"] = seen.get("unavailable", 0) + 1


async def test_postgresql_restart_answers_typed_503_then_recovers(
    backend: str, client: httpx.AsyncClient
) -> None:
    if backend != "postgresql":
        pytest.skip("restarts PostgreSQL: runs on the PostgreSQL backend")
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        pytest.skip("PostgreSQL at HUB_TEST_DATABASE_URL is not this machine's cluster")
    token = (await client.post("/graphql", json={"query": LOGIN})).json()["data"]["login"][
        "accessToken"
    ]
    auth = {"authorization": f"Bearer {token}"}
    seen: dict[str, int] = {}
    stop = asyncio.Event()

    async def traffic() -> None:
        i = 0
        while not stop.is_set():
            query = READS[i % 2] if i % 3 else SIGNED_IN
            headers = auth if query == SIGNED_IN else {}
            _check(await client.post("/graphql", json={"query": query}, headers=headers), seen)
            i += 1
            await asyncio.sleep(0.005)

    workers = [asyncio.create_task(traffic()) for _ in range(4)]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(_restart_postgresql)
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*workers)
    # the pool reconnects by itself: within a few seconds everything answers again
    for _ in range(50):
        response = await client.post("/graphql", json={"query": SIGNED_IN}, headers=auth)
        if response.status_code == 200 and "errors" not in response.json():
            break
        await asyncio.sleep(0.2)
    assert response.json()["data"]["me"]["staff"]["loginNo"] == "admin"
    for query in READS:
        assert "errors" not in (await client.post("/graphql", json={"query": query})).json()
    assert seen.get("ok", 0) > 0, seen
    assert seen.get("unavailable", 0) > 0, seen  # the restart was felt, and answered typed
