"""Hostile requests against a real ``hub serve`` (default settings, SQLite, seeded), as an
anonymous attacker over loopback would send them: each answers a typed error within a second
while ``/healthz`` keeps answering under 100 ms, and memory attacks leave the server's RSS
within 50 MB of where it was."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.http.persisted import query_hash
from tests.live_server import LiveServer

HEALTHZ_MS = 100
ANSWER_S = 1.0
RSS_GROWTH_MB = 50


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer.start(tmp_path_factory.mktemp("hostile") / "data") as live:
        yield live


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def _probe_health(http: httpx.AsyncClient, stop: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        response = await http.get("/healthz")
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        await asyncio.sleep(0.01)
    return latencies


async def _attack(server: LiveServer, send: Any) -> tuple[list[httpx.Response], list[float]]:
    """Run ``send(http)`` while probing /healthz on a connection of its own."""
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=60) as http,
        httpx.AsyncClient(base_url=server.url, timeout=60) as probe,
    ):
        stop = asyncio.Event()
        health = asyncio.create_task(_probe_health(probe, stop))
        await asyncio.sleep(0.05)
        try:
            responses = await send(http)
        finally:
            stop.set()
        return responses, await health


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def fragment_bomb(levels: int) -> str:
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ __typename }}"


async def test_fragment_bomb_is_refused_at_once(server: LiveServer) -> None:
    bomb = fragment_bomb(30)  # 2**30 spreads once expanded

    async def send(http: httpx.AsyncClient) -> list[httpx.Response]:
        started = time.perf_counter()
        posted = await http.post("/graphql", json={"query": bomb})
        got = await http.get("/graphql", params={"query": bomb + " "})  # a new text, uncached
        assert time.perf_counter() - started < 2 * ANSWER_S
        return [posted, got]

    responses, health = await _attack(server, send)
    for response in responses:
        assert _code(response) == "QUERY_TOO_COMPLEX"
    assert max(health) < HEALTHZ_MS, health


async def test_nested_pages_are_refused_by_cost(server: LiveServer) -> None:
    chain = (
        "services(first: 100) { edges { node { themes { services(first: 100) { edges { node "
        "{ themes { services(first: 100) { edges { node { name } } } } } } } } } } }"
    )
    query = "{ " + " ".join(f"a{i}: {chain}" for i in range(30)) + " }"
    variables_query = (
        "query($n: Int) { services(first: $n) { edges { node { themes { services(first: $n) "
        "{ edges { node { themes { name } } } } } } } } }"
    )

    async def send(http: httpx.AsyncClient) -> list[httpx.Response]:
        started = time.perf_counter()
        responses = [
            await http.post("/graphql", json={"query": query}),
            await http.post("/graphql", json={"query": variables_query, "variables": {"n": 100}}),
        ]
        assert time.perf_counter() - started < 2 * ANSWER_S
        return responses

    before = rss_mb(server.process.pid)
    responses, health = await _attack(server, send)
    for response in responses:
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["extensions"]["cost"] > error["extensions"]["limit"]
    assert max(health) < HEALTHZ_MS, health
    assert rss_mb(server.process.pid) - before < RSS_GROWTH_MB
    # the same document with small pages runs
    async with httpx.AsyncClient(base_url=server.url) as http:
        small = await http.post("/graphql", json={"query": variables_query, "variables": {"n": 5}})
        assert "errors" not in small.json()


async def test_memory_attacks_leave_memory_bounded(server: LiveServer) -> None:
    pid = server.process.pid
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        await http.post("/graphql", json={"query": "{ themes { name } }"})  # warm
        before = rss_mb(pid)
        # 1 MB garbage tokens: refused by the header limit before anything reads them
        for i in range(100):
            response = await http.post(
                "/graphql",
                json={"query": "{ themes { name } }"},
                headers={"authorization": f"Bearer {i}" + "x" * 1_000_000},
            )
            assert response.status_code == 431
        # small garbage tokens: refused, and none of them is remembered
        for i in range(2000):
            response = await http.post(
                "/graphql",
                json={"query": "{ themes { name } }"},
                headers={"authorization": f"Bearer garbage.{i}.token"},
            )
            assert _code(response) == "UNAUTHENTICATED"
        # 5 MB bodies: refused by their length
        for _ in range(20):
            response = await http.post(
                "/graphql",
                content=b'{"query": "' + b" " * 5_000_000 + b'{ themes { name } }"}',
                headers={"content-type": "application/json"},
            )
            assert response.status_code == 413
        # distinct valid queries (30 MB of text in all), each learned as a persisted query:
        # the document cache and the persisted-query store stay bounded
        for i in range(1500):
            text = "{ themes { name } } # " + f"{i:06d}" + "x" * 20_000
            persisted = {"persistedQuery": {"version": 1, "sha256Hash": query_hash(text)}}
            response = await http.post("/graphql", json={"query": text, "extensions": persisted})
            assert response.status_code == 200, response.text[:200]
        grown = rss_mb(pid) - before
    assert grown < RSS_GROWTH_MB, f"RSS grew by {grown:.0f} MB"


async def test_zero_result_searches_write_little(server: LiveServer) -> None:
    searches = " ".join(
        f'a{i}: searchServices(query: "qxzv{i}wqz", first: 1) {{ totalCount }}' for i in range(10)
    )
    database = server.data_dir / "hub.sqlite3"

    def rows() -> int:
        with sqlite3.connect(database) as conn:
            return int(conn.execute("SELECT count(*) FROM zero_result_query").fetchone()[0])

    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        before = rows()
        body = (await http.post("/graphql", json={"query": "{ " + searches + " }"})).json()
        assert all(v["totalCount"] == 0 for v in body["data"].values())
        await asyncio.sleep(2.5)  # the log writes in batches, about once a second
        assert rows() - before == 1  # one request, at most one record

        async def many() -> None:
            await asyncio.gather(
                *(http.post("/graphql", json={"query": "{ " + searches + " }"}) for _ in range(100))
            )

        started = time.perf_counter()
        burst = asyncio.create_task(many())
        await asyncio.sleep(0.1)
        normal = await http.post("/graphql", json={"query": "{ themes { name } }"})
        waited = time.perf_counter() - started
        await burst
        assert normal.status_code == 200
        assert waited < 5.0, f"a normal request waited {waited:.1f} s behind the burst"
        await asyncio.sleep(2.5)
        written = rows() - before
        assert written <= 30, written  # the per-address limit: 30 a minute
        metrics = (await http.get("/metrics")).text
        dropped = next(
            float(line.split()[1])
            for line in metrics.splitlines()
            if line.startswith("hub_zero_result_log_dropped ")
        )
        assert dropped >= 100 - 29
