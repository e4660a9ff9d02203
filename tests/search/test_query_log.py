"""The query log: searches counted per query and day within its bounds, hot searches from
several people only, and suggestions ranked by what people search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from hub.models import SearchQueryStat
from hub.search.embedded import EmbeddedBackend
from hub.search.query_log import MIN_SOURCES, QueryLog
from hub.search.service import SearchService
from tests.search.conftest import Database, make_doc


async def rows(db: Database) -> dict[str, tuple[int, int, int]]:
    async with db.sessions() as session:
        found = await session.exec(
            select(SearchQueryStat).order_by(col(SearchQueryStat.normalized))
        )
        return {r.normalized: (r.searches, r.sources, r.hits) for r in found}


async def test_searches_add_up_per_query_and_day(db: Database) -> None:
    log = QueryLog(db.sessions, interval=3600)
    for address in ("a", "b", "c", "a"):
        assert log.offer("生育登记", 3, address)
    log.offer("犬只登记", 0, "a")
    await log.flush()
    log.offer("生育登记", 4, "d")
    await log.flush()
    assert await rows(db) == {"生育登记": (5, 4, 4), "犬只登记": (1, 1, 0)}


async def test_hot_searches_need_hits_and_several_people(db: Database) -> None:
    log = QueryLog(db.sessions, interval=3600, per_address=1000)
    for n in range(6):
        log.offer("社保卡", 5, f"10.0.0.{n}")  # six people
    for _ in range(40):
        log.offer("广告词", 5, "10.9.9.9")  # one caller, many times
    for n in range(MIN_SOURCES):
        log.offer("没有结果的词", 0, f"10.0.1.{n}")  # several people, nothing found
    await log.flush()
    assert await log.hot(10) == [("社保卡", 6)]


async def test_one_address_and_the_pending_queries_are_bounded(db: Database) -> None:
    log = QueryLog(db.sessions, interval=3600, per_address=3, max_pending=2)
    assert [log.offer("护照", 1, "x") for _ in range(5)] == [True, True, True, False, False]
    assert log.offer("身份证", 1, "y") and not log.offer("驾驶证", 1, "z")  # two pending at most
    assert log.dropped == 3
    await log.flush()
    assert await rows(db) == {"护照": (3, 1, 1), "身份证": (1, 1, 1)}


async def test_a_day_takes_at_most_max_daily_distinct_queries(db: Database) -> None:
    log = QueryLog(db.sessions, interval=3600, max_daily=2)
    for query in ("一", "二", "三"):
        log.offer(query, 1, query)
    await log.flush()
    assert len(await rows(db)) == 2
    log.offer("三", 1, "z")  # still no room
    log.offer("一", 1, "z")  # a known query still counts
    await log.flush()
    counted = await rows(db)
    assert len(counted) == 2 and sum(s for s, _, _ in counted.values()) == 3


@pytest.fixture
async def service(db: Database, tmp_path: Path) -> AsyncIterator[SearchService]:
    backend = await EmbeddedBackend.open(tmp_path / "index")
    await backend.reindex(
        [make_doc(1, "生育登记"), make_doc(2, "生育津贴申领"), make_doc(3, "再生育申请")]
    )
    engine = SearchService(backend, db.sessions)
    yield engine
    await engine.aclose()
    await backend.close()


async def test_searches_are_logged_and_rank_suggestions(service: SearchService) -> None:
    before = [s.name for s in await service.suggest("生育")]
    assert before[:2] == ["生育登记", "生育津贴申领"]  # shorter first when nobody searched
    for n in range(3):
        await service.search("生育津贴申领", address=f"p{n}")
    await service.search("生育津贴申领", offset=20, address="p9")  # a later page: not counted
    await service.flush()
    after = [s.name for s in await SearchService(service.backend, service._factory).suggest("生育")]
    assert after[:2] == ["生育津贴申领", "生育登记"]
    assert after[-1] == "再生育申请"  # contains 生育: after the names that start with it
    assert await service.query_log.hot(5) == [("生育津贴申领", 3)]
