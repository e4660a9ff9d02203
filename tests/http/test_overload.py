"""Past capacity: operations whose deadline passes while they wait for a database connection,
or while their statements run, answer the typed ``TIMEOUT`` (with a request id) and leave the
pool whole, with nothing logged as an error: once the load falls, an overloaded server answers
again by itself rather than running out of connections."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from collections import Counter
from typing import Any, cast

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.pool import QueuePool

from hub.app import create_app
from hub.settings import Settings

PAGE = """{ services(first: 20) { edges { node {
  name org { name } materials { material { name } } themes { name } } } } }"""
# a loader's batch (node) and a resolver's own read (service), side by side
BOTH = """query Both($id: ID!) {
  a: node(id: $id) { ... on ServiceItem { name materials { material { name } } } }
  b: service(code: "S-WJJ-001") { name materials { material { name } } }
}"""


async def _outcome(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> str:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if "errors" not in body:
        assert response.status_code == 200
        return "ok"
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert all(e["extensions"]["requestId"] for e in body["errors"])
    return ",".join(sorted(codes))


async def test_deadlines_in_a_crowd_give_every_connection_back(
    seeded_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = seeded_settings.model_copy(
        update={"operation_timeout_seconds": 0.3, "response_cache_bytes": 0}
    )
    draw = random.Random(2026)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        engine = app.state.hub.engine
        pool = cast(QueuePool, engine.sync_engine.pool)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            found = await http.post(
                "/graphql", json={"query": '{ service(code: "S-WJJ-001") { id } }'}
            )
            variables = {"id": found.json()["data"]["service"]["id"]}
            assert await _outcome(http, BOTH, variables) == "ok"
            seen: Counter[str] = Counter()
            caplog.clear()
            with caplog.at_level(logging.WARNING):
                for _ in range(12):
                    # all connections but a few are taken; 40 requests arrive; the taken
                    # ones come back around the requests' deadline
                    free = draw.randint(0, 2)
                    capacity = pool.size() + pool._max_overflow
                    held = [await engine.connect() for _ in range(capacity - free)]
                    crowd = [
                        asyncio.create_task(_outcome(http, draw.choice([PAGE, BOTH]), variables))
                        for _ in range(40)
                    ]
                    await asyncio.sleep(draw.uniform(0.2, 0.4))
                    for conn in held:
                        await conn.close()
                    seen.update(await asyncio.gather(*crowd))
                for _ in range(200):  # what the stopped operations held comes back
                    if pool.checkedout() == 0:
                        break
                    await asyncio.sleep(0.05)
                assert pool.checkedout() == 0
                assert await _outcome(http, BOTH, variables) == "ok"
                gc.collect()  # a connection nobody gave back is reported when collected
            assert set(seen) == {"ok", "TIMEOUT"}, seen
            problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert [r.getMessage()[:300] for r in problems] == []


async def test_past_the_limit_an_operation_is_refused_at_once(seeded_settings: Settings) -> None:
    settings = seeded_settings.model_copy(
        update={"max_operations_in_flight": 2, "response_cache_bytes": 0}
    )
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        engine = app.state.hub.engine
        endpoint = app.state.hub.graphql
        pool = cast(QueuePool, engine.sync_engine.pool)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            query = {"query": '{ service(code: "S-WJJ-001") { name } }'}
            held = [await engine.connect() for _ in range(pool.size() + pool._max_overflow)]
            waiting = [asyncio.create_task(http.post("/graphql", json=query)) for _ in range(2)]
            for _ in range(100):
                if endpoint.in_flight == 2:
                    break
                await asyncio.sleep(0.02)
            assert endpoint.in_flight == 2
            refused = await http.post("/graphql", json=query)
            assert refused.status_code == 503 and refused.headers["retry-after"]
            (error,) = refused.json()["errors"]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert error["extensions"]["reason"] == "BUSY" and error["extensions"]["requestId"]
            page = await http.get("/services/S-WJJ-001")  # a page runs the same operations
            assert page.status_code == 503 and "服务暂不可用" in page.text
            for conn in held:
                await conn.close()
            for answered in await asyncio.gather(*waiting):
                assert answered.json() == {"data": {"service": {"name": "再生育申请"}}}
            assert endpoint.in_flight == 0 and endpoint.refused_busy == 2
            assert (await http.post("/graphql", json=query)).json()["data"]["service"]
            metrics = (await http.get("/metrics")).text
            assert "hub_graphql_refused_busy 2.0" in metrics
