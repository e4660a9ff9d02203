"""The zero-result log under normal load: every miss from ordinary clients is written (in
batches), and what a bound refuses is counted, never silently lost."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func
from sqlmodel import col, select
from starlette.applications import Starlette

from hub.models import ZeroResultQuery

SEARCH = "query($q: String!) { searchServices(query: $q, first: 1) { totalCount } }"


async def test_every_miss_of_many_clients_is_written(app: Starlette) -> None:
    tag = uuid.uuid4().hex[:8]
    log = app.state.hub.search.service.zero_results
    dropped = log.dropped

    async def client_search(n: int) -> None:
        transport = httpx.ASGITransport(app=app, client=(f"10.9.{n // 250}.{n % 250}", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            body = (
                await http.post(
                    "/graphql", json={"query": SEARCH, "variables": {"q": f"qz{tag}x{n}"}}
                )
            ).json()
            assert body["data"]["searchServices"]["totalCount"] == 0

    await asyncio.gather(*(client_search(n) for n in range(300)))
    await log.flush()
    async with app.state.hub.sessions() as session:
        written = (
            await session.exec(
                select(func.count()).where(col(ZeroResultQuery.query).like(f"qz{tag}x%"))
            )
        ).one()
    assert written == 300
    assert log.dropped == dropped


async def test_one_address_past_its_limit_is_counted_as_dropped(app: Starlette) -> None:
    tag = uuid.uuid4().hex[:8]
    log = app.state.hub.search.service.zero_results
    dropped = log.dropped
    transport = httpx.ASGITransport(app=app, client=("10.8.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for n in range(40):
            await http.post("/graphql", json={"query": SEARCH, "variables": {"q": f"qy{tag}x{n}"}})
    await log.flush()
    async with app.state.hub.sessions() as session:
        written = (
            await session.exec(
                select(func.count()).where(col(ZeroResultQuery.query).like(f"qy{tag}x%"))
            )
        ).one()
    limit = app.state.hub.settings.zero_result_per_address
    assert written == limit
    assert log.dropped - dropped == 40 - limit
