"""Relevance over the real seed catalogue: the judged query set, the 生育 promise, and
filters and facets checked against SQL on the same database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub import migrate
from hub.db import create_engine, session_factory
from hub.search.backend import MAX_LIMIT, SearchFilter
from hub.search.embedded import EmbeddedBackend
from hub.search.evaluation import evaluate, load_judged, table
from hub.search.runtime import rebuild
from hub.settings import Settings

JUDGED = Path(__file__).with_name("judged_queries.tsv")


@dataclass
class Catalogue:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    backend: EmbeddedBackend
    code_of: dict[int, str]

    async def codes(
        self, query: str, flt: SearchFilter | None = None, limit: int = 10
    ) -> list[str]:
        result = await self.backend.search(query, flt, 0, limit)
        return [self.code_of[h.id] for h in result.hits]

    async def scalar(self, sql: str, **params: object) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(text(sql), params)).scalar_one())

    async def rows(self, sql: str, **params: object) -> list[tuple[str, int]]:
        async with self.engine.connect() as conn:
            return [(str(a), int(b)) for a, b in (await conn.execute(text(sql), params)).all()]


@pytest.fixture(scope="module")
async def catalogue(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Catalogue]:
    """The default seed (scale 1) in SQLite, indexed through documents.py, once per module."""
    from hub.seed.load import load_seed

    data_dir = tmp_path_factory.mktemp("relevance")
    settings = Settings(environment="test", data_dir=data_dir, seed_on_empty=False)
    engine = create_engine(settings)
    await migrate.upgrade(engine, settings)
    await load_seed(engine, settings, scale=1, password_hash=None, progress=False)
    sessions = session_factory(engine)
    backend = await EmbeddedBackend.open(settings.index_dir)
    await rebuild(sessions, backend)
    async with engine.connect() as conn:
        code_of = {
            int(i): str(c)
            for i, c in (await conn.execute(text("SELECT id, code FROM service_item")))
        }
    yield Catalogue(engine, sessions, backend, code_of)
    await backend.close()
    await engine.dispose()


async def test_judged_queries_meet_the_bar(catalogue: Catalogue) -> None:
    judged = load_judged(JUDGED)
    assert len(judged) >= 60
    scores, ranks = await evaluate(judged, catalogue.codes)
    print("\n" + table(scores, "embedded engine, seed catalogue (scale 1)"))
    misses = [q for q, rr in ranks.items() if rr == 0]
    overall = scores[-1]
    assert overall.kind == "all"
    assert overall.success >= 0.95, misses
    assert overall.mrr >= 0.85


async def test_every_birth_item_answers_shengyu(catalogue: Catalogue) -> None:
    from hub.seed.catalogue import BIRTH_ITEM_CODES

    found = await catalogue.codes("生育", limit=MAX_LIMIT)
    assert set(BIRTH_ITEM_CODES) <= set(found)
    # and the items with 生育 in their names come first
    named = await catalogue.scalar(
        "SELECT count(*) FROM service_item WHERE status = 'published' AND name LIKE '%生育%'"
    )
    async with catalogue.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT code, name FROM service_item"))).all()
    names = {str(code): str(name) for code, name in rows}
    assert all("生育" in names[code] for code in found[:named])


async def test_suggestions_on_the_catalogue(catalogue: Catalogue) -> None:
    for prefix in ("生育", "shengyu"):
        assert (await catalogue.backend.suggest(prefix, 10))[0].name == "生育登记", prefix
    # sydj is also 收养登记 and 失业登记: all three, before longer names
    assert {s.name for s in (await catalogue.backend.suggest("sydj", 10))[:3]} == {
        "生育登记",
        "收养登记",
        "失业登记",
    }
    assert "居住证申领" in [s.name for s in await catalogue.backend.suggest("juzhu", 10)]
    # an alias spelled out or by its initials: 社保卡
    for prefix in ("sbk", "shebaoka", "shebao"):
        names = [s.name for s in await catalogue.backend.suggest(prefix, 10)]
        assert "社会保障卡申领" in names, prefix


PUBLISHED = "FROM service_item s WHERE s.status = 'published'"


async def test_browse_total_is_the_published_count(catalogue: Catalogue) -> None:
    result = await catalogue.backend.search("", None, 0, 1)
    assert result.total == await catalogue.scalar(f"SELECT count(*) {PUBLISHED}")


async def test_facet_counts_agree_with_sql(catalogue: Catalogue) -> None:
    result = await catalogue.backend.search("", None, 0, 1)
    expected = {
        "org": f"SELECT s.org_id, count(*) {PUBLISHED} GROUP BY s.org_id",
        "audience": f"SELECT s.audience, count(*) {PUBLISHED} GROUP BY s.audience",
        "online_depth": f"SELECT s.online_depth, count(*) {PUBLISHED} GROUP BY s.online_depth",
        "visits": f"SELECT s.visits, count(*) {PUBLISHED} GROUP BY s.visits",
        "theme": "SELECT t.theme_id, count(*) FROM service_theme t JOIN service_item s"
        " ON s.id = t.service_id WHERE s.status = 'published' GROUP BY t.theme_id",
    }
    for facet, sql in expected.items():
        assert dict(result.facets[facet]) == dict(await catalogue.rows(sql)), facet


async def test_facets_of_a_query_agree_with_sql(catalogue: Catalogue) -> None:
    # every hit of 登记 has it in its name, alias, themes, org or text: compare on names only
    result = await catalogue.backend.search("", SearchFilter(audience="legal_entity"), 0, 1)
    sql = (
        f"SELECT s.visits, count(*) {PUBLISHED} AND s.audience IN ('legal_entity', 'both')"
        " GROUP BY s.visits"
    )
    assert dict(result.facets["visits"]) == dict(await catalogue.rows(sql))


async def _filter_cases(catalogue: Catalogue) -> list[tuple[SearchFilter, str]]:
    bureau = await catalogue.scalar("SELECT id FROM org WHERE code = 'GW-GAFJ'")
    theme = await catalogue.scalar("SELECT id FROM theme WHERE name = '生育收养'")
    event = await catalogue.scalar("SELECT id FROM life_event WHERE name = '出生'")
    subtree = (
        "s.org_id IN (SELECT o.id FROM org o"
        " WHERE o.path LIKE (SELECT path FROM org WHERE id = :x) || '%')"
    )
    return [
        (SearchFilter(org_id=bureau), subtree.replace(":x", str(bureau))),
        (
            SearchFilter(theme_ids=[theme]),
            f"s.id IN (SELECT service_id FROM service_theme WHERE theme_id = {theme})",
        ),
        (SearchFilter(audience="person"), "s.audience IN ('person', 'both')"),
        (SearchFilter(audience="legal_entity"), "s.audience IN ('legal_entity', 'both')"),
        (SearchFilter(item_types=["license", "payment"]), "s.item_type IN ('license', 'payment')"),
        (SearchFilter(online_depth_min=3), "s.online_depth >= 3"),
        (SearchFilter(max_visits=0), "s.visits <= 0"),
        (
            SearchFilter(life_event_id=event),
            f"s.id IN (SELECT service_id FROM service_life_event WHERE life_event_id = {event})",
        ),
        (
            SearchFilter(org_id=bureau, audience="person", online_depth_min=2, max_visits=1),
            subtree.replace(":x", str(bureau))
            + " AND s.audience IN ('person', 'both') AND s.online_depth >= 2 AND s.visits <= 1",
        ),
    ]


async def test_filters_agree_with_sql(catalogue: Catalogue) -> None:
    for flt, where in await _filter_cases(catalogue):
        expected = await catalogue.scalar(f"SELECT count(*) {PUBLISHED} AND {where}")
        result = await catalogue.backend.search("", flt, 0, 1)
        assert result.total == expected, flt
        assert expected > 0, flt
        named = await catalogue.scalar(
            f"SELECT count(*) {PUBLISHED} AND {where} AND s.name LIKE '%登记%'"
        )
        hits = await catalogue.backend.search("登记", flt, 0, MAX_LIMIT)
        assert hits.total >= named, flt  # 登记 in a name is a hit (more come from other fields)
