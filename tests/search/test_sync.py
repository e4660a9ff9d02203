"""The outbox keeps the index in step with the database, through engine outages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from hub.catalogue.importer import import_services
from hub.db import transaction
from hub.models import Material, Org, SearchOutbox, ServiceItem
from hub.models.base import utcnow
from hub.search.backend import (
    SearchBackend,
    SearchFilter,
    SearchResult,
    SearchUnavailable,
    ServiceDocument,
    Suggestion,
)
from hub.search.documents import iter_documents, load_documents
from hub.search.embedded import EmbeddedBackend
from hub.search.runtime import ensure_index, open_search
from hub.search.sync import backoff, enqueue, enqueue_for_material, enqueue_for_org
from hub.search.sync_apply import OutboxWorker, outbox_status, sync_once
from tests.search.conftest import Database, service_line


class OutageBackend(SearchBackend):
    """Fault injector: the real embedded engine, made to fail while ``down`` is set."""

    name = "outage"

    def __init__(self, inner: SearchBackend) -> None:
        self.inner = inner
        self.down = False
        self.failures = 0
        self.applied: list[tuple[str, list[int]]] = []

    def _check(self) -> None:
        if self.down:
            self.failures += 1
            raise SearchUnavailable("engine down (injected)")

    async def upsert(self, docs: Sequence[ServiceDocument]) -> None:
        self._check()
        await self.inner.upsert(docs)
        self.applied.append(("upsert", [d.id for d in docs]))

    async def delete(self, ids: Sequence[int]) -> None:
        self._check()
        await self.inner.delete(ids)
        self.applied.append(("delete", list(ids)))

    async def search(
        self, query: str, filter: SearchFilter | None = None, offset: int = 0, limit: int = 20
    ) -> SearchResult:
        return await self.inner.search(query, filter, offset, limit)

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        return await self.inner.suggest(prefix, limit)

    async def count(self) -> int:
        self._check()
        return await self.inner.count()

    async def reindex(
        self, docs: AsyncIterator[ServiceDocument] | Iterable[ServiceDocument]
    ) -> int:
        self._check()
        return await self.inner.reindex(docs)

    async def is_stale(self) -> bool:
        self._check()
        return await self.inner.is_stale()

    async def ping(self) -> bool:
        return not self.down and await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[OutageBackend]:
    backend = OutageBackend(await EmbeddedBackend.open(tmp_path / "index"))
    yield backend
    await backend.close()


async def import_lines(db: Database, *lines: str) -> list[int]:
    async with transaction(db.sessions) as session:
        report = await import_services(session, lines)
    assert report.errors == []
    return report.service_ids


async def names(engine: SearchBackend, query: str) -> list[str]:
    """Names of the hits, best first ("" browses everything)."""
    result = await engine.search(query, None, 0, 50)
    return [h.name_highlighted.replace("<em>", "").replace("</em>", "") for h in result.hits]


async def pending(db: Database) -> list[SearchOutbox]:
    async with db.sessions() as session:
        rows = await session.exec(
            select(SearchOutbox)
            .where(col(SearchOutbox.processed_at).is_(None))
            .order_by(col(SearchOutbox.id))
        )
        return list(rows)


async def test_enqueue_belongs_to_the_callers_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with transaction(db.sessions) as session:
            await enqueue(session, [1, 2, 2])
            raise RuntimeError("the write failed")
    assert await pending(db) == []
    async with transaction(db.sessions) as session:
        assert await enqueue(session, [1, 2, 2]) == 2
    assert [r.service_id for r in await pending(db)] == [1, 2]


async def test_sync_applies_the_outbox_in_order_and_marks_it(
    db: Database, engine: OutageBackend
) -> None:
    ids = await import_lines(db, service_line("S-1", "生育登记"), service_line("S-2", "收养登记"))
    assert await sync_once(db.sessions, engine) == 2
    assert await pending(db) == []
    assert sorted(await names(engine, "登记")) == ["收养登记", "生育登记"]
    assert engine.applied == [("upsert", ids)]
    assert await sync_once(db.sessions, engine) == 0  # nothing left


async def test_duplicates_collapse_and_unpublished_services_leave_the_index(
    db: Database, engine: OutageBackend
) -> None:
    [sid] = await import_lines(db, service_line("S-1", "生育登记"))
    await sync_once(db.sessions, engine)
    async with transaction(db.sessions) as session:
        service = await session.get(ServiceItem, sid)
        assert service is not None
        service.status = "retired"
        await enqueue(session, [sid])
        await enqueue(session, [sid])  # e.g. two writes in one request
    assert await sync_once(db.sessions, engine) == 2
    assert engine.applied[-1] == ("delete", [sid])
    assert await names(engine, "生育") == []


async def test_an_engine_outage_loses_nothing(db: Database, engine: OutageBackend) -> None:
    # given: an index in step with the database
    [first] = await import_lines(db, service_line("S-1", "生育登记"))
    await sync_once(db.sessions, engine)

    # when: the engine goes down while the database keeps changing
    engine.down = True
    await import_lines(db, service_line("S-1", "生育服务登记"))  # rename
    await import_lines(db, service_line("S-2", "收养登记"))
    await import_lines(db, service_line("S-3", "出生医学证明办理", status="draft"))
    with pytest.raises(SearchUnavailable):
        await sync_once(db.sessions, engine)
    rows = await pending(db)
    assert [r.attempts for r in rows] == [1, 1, 1]
    assert all(r.last_error and "engine down" in r.last_error for r in rows)
    assert all(r.next_attempt_at is not None for r in rows)

    # writes still succeed, and wait behind the failed rows (order is kept)
    await import_lines(db, service_line("S-2", "收养关系登记"))
    assert await sync_once(db.sessions, engine) == 0  # backing off
    async with db.sessions() as session:
        status = await outbox_status(session)
    assert (status.pending, status.failing, status.max_attempts) == (4, 3, 1)

    # then: once the engine is back and the back-off has passed, everything arrives
    engine.down = False
    later = utcnow() + timedelta(seconds=5)
    assert await sync_once(db.sessions, engine, now=later) == 4
    assert await pending(db) == []
    # the rename, the new item, its later rename; never the draft
    assert sorted(await names(engine, "")) == ["收养关系登记", "生育服务登记"]
    assert engine.applied[0] == ("upsert", [first])


async def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(30).total_seconds() == 60


async def test_the_worker_applies_a_commit_at_once(db: Database, engine: OutageBackend) -> None:
    worker = OutboxWorker(db.sessions, engine, poll_seconds=30)  # far longer than we wait
    worker.start()
    try:
        await asyncio.sleep(0.05)
        await import_lines(db, service_line("S-1", "生育登记"))  # the commit wakes the worker
        for _ in range(100):
            if await names(engine, "生育"):
                break
            await asyncio.sleep(0.02)
        assert await names(engine, "生育") == ["生育登记"]
    finally:
        await worker.stop()
    assert not worker.running


async def test_the_worker_survives_an_outage(db: Database, engine: OutageBackend) -> None:
    engine.down = True
    await import_lines(db, service_line("S-1", "生育登记"))
    worker = OutboxWorker(db.sessions, engine, poll_seconds=0.05)
    worker.start()
    try:
        for _ in range(100):
            if worker.last_error:
                break
            await asyncio.sleep(0.02)
        assert engine.failures
        assert worker.last_error is not None and "engine down" in worker.last_error
        engine.down = False
        async with transaction(db.sessions) as session:  # skip the back-off for the test
            for row in await session.exec(select(SearchOutbox)):
                row.next_attempt_at = None
                session.add(row)
        for _ in range(100):
            if worker.last_error is None:
                break
            await asyncio.sleep(0.02)
        assert worker.last_error is None
        assert await names(engine, "生育") == ["生育登记"]
    finally:
        await worker.stop()


async def test_changing_an_org_or_a_material_reindexes_its_services(
    db: Database, engine: OutageBackend
) -> None:
    ids = await import_lines(
        db,
        service_line("S-1", "生育登记", materials=["结婚证"]),
        service_line("S-2", "收养登记"),
    )
    await sync_once(db.sessions, engine)
    async with transaction(db.sessions) as session:
        root = (await session.exec(select(Org).where(Org.code == "GW-WJJ"))).one()
        root.name = "云溪新区卫生健康和计划生育局"
        session.add(root)
        assert await enqueue_for_org(session, db.root_id) == 2  # the subtree's services
        material = (await session.exec(select(Material).where(Material.name == "结婚证"))).one()
        material.name = "结婚登记证"
        session.add(material)
        assert await enqueue_for_material(session, int(material.id or 0)) == 1
        assert await enqueue_for_org(session, 999_999) == 0
    async with db.sessions() as session:
        status = await outbox_status(session)
    assert status.pending == 3
    assert status.oldest_pending_at is not None
    assert status.oldest_pending_at.tzinfo is not None
    await sync_once(db.sessions, engine)
    async with db.sessions() as session:
        docs = await load_documents(session, ids)
    assert [d.org_name for d in docs] == ["云溪新区卫生健康和计划生育局"] * 2
    assert docs[0].materials == ["结婚登记证"]
    assert (await engine.search("计划生育局", None, 0, 5)).total == 2


async def test_documents_load_in_a_fixed_number_of_queries(db: Database) -> None:
    lines = [
        service_line(f"S-{n}", f"事项{n}", materials=[f"材料{n}", "居民身份证"]) for n in range(30)
    ]
    ids = await import_lines(db, *lines)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.sessions() as session:
            one = await load_documents(session, ids[:1])
            before = len(statements)
            many = await load_documents(session, ids)
            assert len(statements) - before == before == 6
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(one) == 1 and len(many) == 30
    doc = many[3]
    assert doc.materials == ["材料3", "居民身份证"]
    assert doc.org_path_ids == [db.root_id, db.bureau_id]
    assert doc.theme_names == ["生育收养"] and doc.theme_ids == [db.theme_ids["生育收养"]]
    async with db.sessions() as session:
        assert len([d async for d in iter_documents(session, batch=7)]) == 30


async def test_start_up_builds_a_missing_index_once(db: Database, tmp_path: Path) -> None:
    await import_lines(db, service_line("S-1", "生育登记"), service_line("S-2", "收养登记"))
    runtime = await open_search(db.settings, db.sessions)
    try:
        assert await runtime.ready()
        assert await runtime.backend.count() == 2
        result = await runtime.service.search("生育")
        assert [h.id for h in result.hits] != []
    finally:
        await runtime.aclose()
    again = await open_search(db.settings, db.sessions, start_worker=False)
    try:
        assert not await ensure_index(db.sessions, again.backend)  # used as it is
        assert await again.backend.count() == 2
    finally:
        await again.aclose()


async def test_start_up_can_build_the_index_in_the_background(db: Database) -> None:
    await import_lines(db, service_line("S-1", "生育登记"))
    runtime = await open_search(db.settings, db.sessions, rebuild_in_background=True)
    try:
        for _ in range(200):
            if await runtime.ready():
                break
            await asyncio.sleep(0.02)
        assert await runtime.ready()
        assert await runtime.backend.count() == 1
    finally:
        await runtime.aclose()


async def test_zero_result_queries_are_recorded(db: Database) -> None:
    await import_lines(db, service_line("S-1", "生育登记"))
    runtime = await open_search(db.settings, db.sessions, start_worker=False)
    service = runtime.service
    try:
        for query in ("宠物美容", "寵物美容", "宠物美容", "飞船", "   ", "生育"):
            await service.search(query)
        await service.search("飞船", SearchFilter(), offset=20)  # a later page: not a new miss
        await service.flush()
        top = await service.top_zero_result_queries(10)
        assert [(q, n) for q, n, _ in top] == [("宠物美容", 3), ("飞船", 1)]
        long_query = "飞" * 500
        await service.search(long_query)
        await service.flush()
        top = await service.top_zero_result_queries(10)
        assert all(len(q) <= 200 for q, _, _ in top)
    finally:
        await runtime.aclose()
