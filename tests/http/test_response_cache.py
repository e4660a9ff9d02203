"""The exact response cache through the real app: a committed write is seen by the very next
anonymous read, on the same worker and on another one sharing Redis; signed-in callers and
answers with errors are never served from it; ETag and 304; search answers follow the index;
a cached search still counts in the query log; the memory tier stays within its bytes."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import os
import platform
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import event, text
from sqlmodel import func, select

from hub.app import create_app
from hub.catalogue.importer import import_services
from hub.models import SearchQueryStat, metadata
from hub.models.cache import PRIVATE_TABLES, PUBLIC_TABLES
from hub.search.sync_apply import drain, outbox_status
from hub.web.queries import HASHES
from tests.conftest import StatementCounter, service_line
from tests.identity.conftest import World, make_settings, migrated_pg_url, open_world

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
NAME = "query N($code: String!) { service(code: $code) { code name } }"
SEARCH = "query S($q: String!) { searchServices(query: $q, first: 5) { totalCount } }"


def test_every_table_is_public_or_private() -> None:
    names = {t.name for t in metadata.sorted_tables}
    assert PUBLIC_TABLES.isdisjoint(PRIVATE_TABLES)
    assert names == PUBLIC_TABLES | PRIVATE_TABLES, "place a new table in hub/models/cache.py"


async def import_one(city: World, code: str, name: str) -> None:
    async with city.db() as session:
        report = await import_services(
            session, [service_line(code, name, org="GW", themes=["综合"])]
        )
        assert report.errors == []


async def get(city: World, query: str, variables: dict[str, Any], **headers: str) -> httpx.Response:
    return await city.http.get(
        "/graphql", params={"query": query, "variables": json.dumps(variables)}, headers=headers
    )


async def applied(city: World) -> None:
    """The outbox applied, by this test or by the worker the commit woke (on PostgreSQL a
    drain skips the rows the worker holds: wait for them)."""
    hub = city.app.state.hub
    for _ in range(500):
        await drain(hub.sessions, hub.search.backend)
        async with hub.sessions() as session:
            if (await outbox_status(session)).pending == 0:
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the outbox was not applied within 5 s")


@pytest.fixture(params=["sqlite", "postgresql"])
async def city(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    async with migrated_pg_url("response_cache") as pg_url:
        if request.param == "postgresql" and pg_url is None:
            pytest.skip("PostgreSQL runs where HUB_TEST_DATABASE_URL is set")
        url = pg_url if request.param == "postgresql" else None
        async with open_world(request.param, tmp_path, url) as opened:
            yield opened


async def test_every_public_table_bumps_the_version(city: World) -> None:
    async with city.db() as session:
        if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            rows = await session.exec(
                text("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'public_v%'")
            )
        else:
            rows = await session.exec(
                text("SELECT tbl_name FROM sqlite_master WHERE name LIKE 'public_version_%'")
            )
        assert {r[0] for r in rows} == PUBLIC_TABLES


async def test_a_write_is_seen_by_the_next_read(city: World) -> None:
    await import_one(city, "S-DOG", "犬只登记")
    first = await get(city, NAME, {"code": "S-DOG"})
    assert first.json()["data"]["service"]["name"] == "犬只登记"
    assert first.headers["x-hub-cache"] == "miss"
    again = await get(city, NAME, {"code": "S-DOG"})
    assert again.headers["x-hub-cache"] == "memory" and again.content == first.content
    # the client holds it: 304, no body
    held = await get(city, NAME, {"code": "S-DOG"}, **{"if-none-match": first.headers["etag"]})
    assert held.status_code == 304 and held.content == b""
    # a committed write, then at once the same read: the new name
    await import_one(city, "S-DOG", "犬只登记（新）")
    after = await get(city, NAME, {"code": "S-DOG"})
    assert after.json()["data"]["service"]["name"] == "犬只登记（新）"
    assert after.headers["x-hub-cache"] == "miss" and after.headers["etag"] != first.headers["etag"]
    stale = await get(city, NAME, {"code": "S-DOG"}, **{"if-none-match": first.headers["etag"]})
    assert stale.status_code == 200
    # a write the ORM never sees (by hand) counts the same: the database bumps the version
    async with city.db() as session:
        await session.exec(text("UPDATE service_item SET name = '犬只登记证' WHERE code = 'S-DOG'"))
    assert (await get(city, NAME, {"code": "S-DOG"})).json()["data"]["service"]["name"] == (
        "犬只登记证"
    )


async def test_a_hit_costs_one_statement(city: World) -> None:
    await import_one(city, "S-DOG", "犬只登记")
    await applied(city)  # the outbox worker reads the catalogue on its own clock
    await get(city, NAME, {"code": "S-DOG"})
    counter = StatementCounter()  # leaves out the background workers' polling
    engine = city.app.state.hub.engine.sync_engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert (await get(city, NAME, {"code": "S-DOG"})).headers["x-hub-cache"] == "memory"
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    statements = counter.statements
    assert len(statements) == 1 and "public_version" in statements[0], statements


async def test_signed_in_and_failed_answers_are_never_cached(city: World) -> None:
    await import_one(city, "S-DOG", "犬只登记")
    await get(city, NAME, {"code": "S-DOG"})  # kept for anonymous callers
    token = await city.token("admin")
    signed_in = await get(city, NAME, {"code": "S-DOG"}, authorization=f"Bearer {token}")
    assert signed_in.json()["data"]["service"]["name"] == "犬只登记"
    assert "x-hub-cache" not in signed_in.headers
    assert signed_in.headers["cache-control"] == "private, no-store"
    for _ in range(2):
        missing = await get(city, NAME, {"code": "NOPE"})
        assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "x-hub-cache" not in missing.headers and "etag" not in missing.headers
    # a document touching what is never cached (sharing figures) is not looked up at all
    figures = await city.http.post(
        "/graphql", json={"query": "{ rootOrg { sharingFigures { received } } }"}
    )
    assert "x-hub-cache" not in figures.headers
    # POST is served from the cache too, without validators for HTTP caches
    posted = await city.http.post("/graphql", json={"query": NAME, "variables": {"code": "S-DOG"}})
    assert posted.headers["x-hub-cache"] == "memory"
    assert posted.headers["cache-control"] == "private, no-store"


async def test_search_answers_follow_the_index(city: World) -> None:
    hub = city.app.state.hub
    before = await get(city, SEARCH, {"q": "犬只"})
    assert before.json()["data"]["searchServices"]["totalCount"] == 0
    await import_one(city, "S-DOG", "犬只登记")
    # written, not yet in the index: a fresh answer, still nothing
    assert (await get(city, SEARCH, {"q": "犬只"})).json()["data"]["searchServices"][
        "totalCount"
    ] == 0
    await applied(city)
    found = await get(city, SEARCH, {"q": "犬只"})
    assert found.json()["data"]["searchServices"]["totalCount"] == 1
    assert found.headers["x-hub-cache"] == "miss"
    # served from the cache twice more: each still counts as a search in the query log
    for _ in range(2):
        assert (await get(city, SEARCH, {"q": "犬只"})).headers["x-hub-cache"] == "memory"
    await hub.search.service.flush()
    async with city.db() as session:
        counted = await session.exec(
            select(func.sum(SearchQueryStat.searches)).where(SearchQueryStat.normalized == "犬只")
        )
        assert counted.one() == 5  # two empty answers, then three with the dog (two cached)


async def test_pages_share_answers_and_revalidate(city: World) -> None:
    await import_one(city, "S-DOG", "犬只登记")
    first = await city.http.get("/services/S-DOG")
    assert first.status_code == 200 and "犬只登记" in first.text
    assert first.headers["cache-control"] == "public, no-cache"
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    held = await city.http.get("/services/S-DOG", headers={"if-none-match": etag})
    assert held.status_code == 304 and held.content == b""
    # an app asking for the page's document by hash gets the answer the page kept
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": HASHES["ServiceGuide"]}}
    params = {"variables": '{"code": "S-DOG"}', "extensions": json.dumps(persisted)}
    app = await city.http.get("/graphql", params=params)
    assert app.headers["x-hub-cache"] == "memory"
    assert app.json()["data"]["service"]["name"] == "犬只登记"
    # a write: the page the browser holds is stale, and the next visit says so
    await import_one(city, "S-DOG", "犬只登记（新）")
    after = await city.http.get("/services/S-DOG", headers={"if-none-match": etag})
    assert after.status_code == 200 and "犬只登记（新）" in after.text


async def test_memory_stays_within_its_bytes(tmp_path: Path) -> None:
    async with open_world("sqlite", tmp_path, response_cache_bytes=8_000) as city:
        await import_one(city, "S-DOG", "犬只登记")
        for n in range(60):
            await get(city, NAME, {"code": f"S-{n}"})
            await get(city, SEARCH, {"q": f"犬只{n}"})
        cache = city.app.state.hub.graphql.answers.cache
        assert 0 < cache.size_bytes <= 8_000 and len(cache) < 60


def _allocated(body: bytes) -> int:
    """The bytes the C library gave ``body``'s object (glibc's ``malloc_usable_size``)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc_usable_size.restype = ctypes.c_size_t
    libc.malloc_usable_size.argtypes = [ctypes.c_void_p]
    return int(libc.malloc_usable_size(id(body)))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="asks glibc how much it gave")
async def test_kept_answers_hold_no_spare_bytes(city: World) -> None:
    """What a kept answer costs is what the cache counts: an answer's bytes are not kept in
    the longer buffer the JSON encoder returned them in."""
    async with city.db() as session:
        lines = [service_line(f"S-DOG{n}", f"犬只登记{n}", org="GW") for n in range(20)]
        assert (await import_services(session, lines)).errors == []
    page = "{ services(first: 20) { edges { node { code name org { name } } } } }"
    assert (await city.http.post("/graphql", json={"query": page})).status_code == 200
    assert (await city.http.get("/services/S-DOG1")).status_code == 200  # a page's own entry
    cache = city.app.state.hub.graphql.answers.cache
    large = [e.body for e in cache._entries.values() if len(e.body) > 512]
    assert len(large) >= 2, [len(e.body) for e in cache._entries.values()]
    for body in large:
        assert sys.getsizeof(body) <= _allocated(body) <= sys.getsizeof(body) + 64


@asynccontextmanager
async def second_worker(city: World, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(data_dir, city.settings.database_url, redis_url=REDIS_URL)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.mark.skipif(REDIS_URL is None, reason="runs where HUB_TEST_REDIS_URL is set")
async def test_workers_share_answers_and_a_write_reaches_both(tmp_path: Path) -> None:
    async with migrated_pg_url("response_cache_workers") as pg_url:
        if pg_url is None:
            pytest.skip("two workers share PostgreSQL: runs where HUB_TEST_DATABASE_URL is set")
        async with (
            open_world("postgresql", tmp_path / "a", pg_url, redis_url=REDIS_URL) as first,
            second_worker(first, tmp_path / "b") as other,
        ):
            await import_one(first, "S-DOG", "犬只登记")
            assert (await get(first, NAME, {"code": "S-DOG"})).headers["x-hub-cache"] == "miss"
            params = {"query": NAME, "variables": '{"code": "S-DOG"}'}
            shared = await other.get("/graphql", params=params)
            assert shared.headers["x-hub-cache"] == "shared"
            assert shared.json()["data"]["service"]["name"] == "犬只登记"
            # written through the first worker; the very next read on the other is fresh
            await import_one(first, "S-DOG", "犬只登记（新）")
            fresh = await other.get("/graphql", params=params)
            assert fresh.json()["data"]["service"]["name"] == "犬只登记（新）"
            assert fresh.headers["x-hub-cache"] == "miss"
            assert (await get(first, NAME, {"code": "S-DOG"})).headers["x-hub-cache"] == "shared"
