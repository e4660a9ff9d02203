"""The Meilisearch engine without a server: the settings, documents, filters and searches it
would send, and how it drives tasks and the no-downtime swap, against fakes that stand for
the server (none can run here; see tests/search/meili_fake.py). With HUB_MEILI_URL set the
shared contract tests run against a real server as well."""

from __future__ import annotations

import asyncio
import threading

import pytest

from hub.search.analysis import synonym_table
from hub.search.backend import MAX_WINDOW, SearchError, SearchFilter
from hub.search.meili import MeiliBackend
from hub.search.meili_client import parse_version
from hub.search.meili_documents import id_filter, to_meili_document
from hub.search.meili_query import filter_expression, page_parameters, readings
from hub.search.meili_settings import SUGGEST_FIELDS, index_settings
from hub.search.query import analyze_query
from tests.search.conftest import make_doc
from tests.search.meili_fake import FakeClient, FakeHttp

URL = "http://meili.invalid"


def test_settings_rank_names_first_and_carry_the_synonym_table() -> None:
    settings = index_settings(synonym_table().mapping)
    searchable = settings["searchableAttributes"]
    assert searchable[:3] == ["name", "name_words", "alias_exact"]
    assert searchable.index("name_py") < searchable.index("tag_words")
    assert searchable.index("tag_words") < searchable.index("text_words")
    assert settings["synonyms"]["生孩子"] == ["生育"]
    assert len(settings["synonyms"]) == len(synonym_table().mapping)
    assert {"org_path_ids", "theme_ids", "audience", "item_type"} <= set(
        settings["filterableAttributes"]
    )
    assert {"online_depth", "visits", "life_event_ids"} <= set(settings["filterableAttributes"])
    assert "id" in settings["sortableAttributes"]
    assert "name_py" in settings["typoTolerance"]["disableOnAttributes"]
    assert settings["localizedAttributes"][0]["locales"] == ["cmn"]
    assert "name" in settings["localizedAttributes"][0]["attributePatterns"]
    assert settings["pagination"] == {"maxTotalHits": 10_000}
    assert settings["pagination"]["maxTotalHits"] >= MAX_WINDOW  # every servable page is in
    assert "id" in settings["filterableAttributes"]  # deletes go by filter
    assert set(SUGGEST_FIELDS) | {"id", "name"} <= set(settings["displayedAttributes"])
    assert settings["faceting"]["sortFacetValuesBy"] == {"*": "count"}


def test_documents_carry_the_shared_pre_analysed_fields() -> None:
    doc = make_doc(7, "生育登记", aliases=["准生证"], materials=["居民身份证"])
    sent = to_meili_document(doc)
    assert sent["id"] == 7 and sent["name"] == "生育登记"
    syllables = sent["name_py"].split()
    assert syllables[0] == "sheng" and {"yu", "deng", "ji"} <= set(syllables)
    assert not any("_" in s for s in syllables)  # pairs are for the embedded engine only
    assert sent["name_py_joined"] == "shengyudengji"
    assert sent["name_ini_joined"] == "sydj"
    assert "生育" in sent["name_words"].split()
    assert "育登" in sent["name_grams"].split()
    assert sent["alias_exact"] == ["准生证"] and sent["alias_ini_joined"] == ["zsz"]
    assert "身份证" in sent["text_words"].split()
    assert sent["org_path_ids"] == [1, 3] and sent["theme_ids"] == [10]


def test_filters_become_meilisearch_expressions() -> None:
    flt = SearchFilter(
        org_id=3,
        theme_ids=[1, 2],
        audience="person",
        item_types=["license"],
        online_depth_min=3,
        max_visits=1,
        life_event_id=9,
    )
    assert filter_expression(flt) == [
        "org_path_ids = 3",
        "theme_ids IN [1, 2]",
        'audience IN ["person", "both"]',
        'item_type IN ["license"]',
        "online_depth >= 3",
        "visits <= 1",
        "life_event_ids = 9",
    ]
    assert filter_expression(None) == [] and filter_expression(SearchFilter()) == []


def test_readings_try_the_typed_words_then_pinyin_then_initials() -> None:
    homophone = [(r, q) for r, q, _, _ in readings(analyze_query("生玉登记"))]
    assert homophone[0] == ("typed", "生玉 登记")
    assert ("pinyin", "sheng yu deng ji") in homophone
    assert homophone[-1][0] == "relaxed"
    assert [r for r, *_ in readings(analyze_query("shengyu"))][:1] == ["pinyin"]
    assert next((r, q) for r, q, _, _ in readings(analyze_query("sydj"))) == ("initials", "sydj")
    question = readings(analyze_query("怎么办护照"))
    assert question[0][1] == "护照"  # question words never reach the engine


def test_pages_are_page_based_and_fetch_at_most_twice_the_limit() -> None:
    assert page_parameters(0, 20) == ([(1, 20)], 0)
    assert page_parameters(40, 20) == ([(3, 20)], 0)
    assert page_parameters(5, 10) == ([(1, 15)], 5)
    assert page_parameters(27, 5) == ([(4, 8)], 3)  # one page of 8 holds 27..31
    assert page_parameters(11, 2) == ([(6, 2), (7, 2)], 1)  # no single page holds 11..12
    assert page_parameters(0, 0) == ([(1, 0)], 0)
    for limit in range(1, 23):
        for offset in range(0, 3000, 7):
            pages, skip = page_parameters(offset, limit)
            first = (pages[0][0] - 1) * pages[0][1]
            assert first + skip == offset
            assert sum(size for _, size in pages) >= skip + limit  # the window is covered
            assert sum(size for _, size in pages) <= 2 * limit
            assert all(size == pages[0][1] for _, size in pages)  # consecutive pages


def test_ids_become_a_filter_and_versions_are_read() -> None:
    assert id_filter([3, 1]) == "id IN [3, 1]"
    assert parse_version("1.10.2") == (1, 10)
    assert parse_version("v1.11.0-rc.1") == (1, 11)
    assert parse_version("prototype") is None


# --------------------------------------------------------------------------- against the fakes


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


@pytest.fixture
def backend(fake: FakeClient) -> MeiliBackend:
    return MeiliBackend(URL, None, "services", client=fake)


def browse(count: int) -> dict[int, dict[str, object]]:
    """Small documents, enough for paging and counting."""
    return {i: {"id": i, "name": f"事项{i}", "online_depth": i % 5} for i in range(1, count + 1)}


async def test_a_reindex_builds_aside_and_swaps_in(fake: FakeClient, backend: MeiliBackend) -> None:
    assert await backend.is_stale()
    fake.create_index("services", {})  # the live index with old content
    fake.indexes["services"].docs = {99: {"id": 99, "name": "旧事项"}}

    count = await backend.reindex([make_doc(1, "生育登记"), make_doc(2, "结婚登记")])

    assert count == 2
    assert set(fake.indexes) == {"services", "services__hub"}  # the old one is gone
    assert sorted(fake.indexes["services"].docs) == [1, 2]
    assert fake.indexes["services"].settings["searchableAttributes"][0] == "name"
    building = next(c for c in fake.calls if c.startswith("create services_2")).split()[1]
    order = [c for c in fake.calls if "services__hub" not in c]
    assert order.index(f"settings {building}") < order.index(f"add {building}")
    assert order.index(f"add {building}") < order.index(f"swap services {building}")
    assert order[-1] == f"delete {building}"
    assert not await backend.is_stale()
    assert await backend.count() == 2


async def test_a_failed_reindex_deletes_its_building_index(
    fake: FakeClient, backend: MeiliBackend
) -> None:
    fake.create_index("services", {})
    fake.indexes["services"].docs = {99: {"id": 99, "name": "旧事项"}}
    fake.fail_next = "settings services_"  # the building index gets no settings

    with pytest.raises(SearchError, match=r"\(settings of services_\d+"):
        await backend.reindex([make_doc(1, "生育登记")])

    building = next(c for c in fake.calls if c.startswith("create services_2")).split()[1]
    assert f"delete {building}" in fake.calls
    assert set(fake.indexes) == {"services"}  # nothing half-built is left behind
    assert list(fake.indexes["services"].docs) == [99]  # and the live index is untouched


async def test_a_failed_task_is_an_error_naming_it(fake: FakeClient, backend: MeiliBackend) -> None:
    fake.fail_next = "add services"
    with pytest.raises(SearchError, match=r"meilisearch task \d+ \(add documents to services\)"):
        await backend.upsert([make_doc(1, "生育登记")])


async def test_a_failed_settings_task_is_an_error_and_is_tried_again(
    fake: FakeClient, backend: MeiliBackend
) -> None:
    fake.fail_next = "settings services"
    with pytest.raises(SearchError, match=r"task \d+ \(settings of services\b.*failed"):
        await backend.upsert([make_doc(1, "生育登记")])
    assert fake.indexes["services"].settings == {}  # the server's defaults

    await backend.upsert([make_doc(1, "生育登记")])
    settings = fake.indexes["services"].settings
    assert "org_path_ids" in settings["filterableAttributes"]
    await backend.upsert([make_doc(2, "结婚登记")])
    assert fake.calls.count("settings services") == 2  # once more after the failure, no more


async def test_deletes_go_by_filter_and_never_warn(fake: FakeClient, backend: MeiliBackend) -> None:
    await backend.upsert([make_doc(1, "生育登记"), make_doc(2, "结婚登记")])
    await backend.delete([1, 3])  # the suite turns warnings into errors
    assert sorted(fake.indexes["services"].docs) == [2]
    with pytest.warns(DeprecationWarning, match="depreciated"):  # as client 0.43 does
        fake.index("services").delete_documents([2])


async def test_suggestions_read_pinyin_and_initials_from_hits(
    fake: FakeClient, backend: MeiliBackend
) -> None:
    await backend.upsert([make_doc(1, "再生育审批"), make_doc(2, "生育登记服务")])
    live = fake.indexes["services"]
    live.matches = {"shengyu": [1, 2], "sydj": [1, 2]}  # the shorter name comes first
    assert [s.name for s in await backend.suggest("shengyu")] == ["生育登记服务", "再生育审批"]
    assert [(s.id, s.prefix) for s in await backend.suggest("sydj")] == [(2, True), (1, False)]


async def test_search_falls_back_to_pinyin_and_keeps_exact_totals(
    fake: FakeClient, backend: MeiliBackend
) -> None:
    await backend.upsert([make_doc(1, "生育登记")])
    live = fake.indexes["services"]
    live.matches = {"生玉 登记": [], "sheng yu deng ji": [1]}
    live.scores = {1: 0.9}
    result = await backend.search("生玉登记", SearchFilter(audience="person"), 0, 10)
    (q1, first), (q2, second) = live.searches
    assert (q1, q2) == ("生玉 登记", "sheng yu deng ji")
    assert first["filter"] == ['audience IN ["person", "both"]']
    assert first["page"] == 1 and first["hitsPerPage"] == 10
    assert second["attributesToSearchOn"][0] == "name_py_joined"
    assert result.total == 1
    assert result.hits[0].name_highlighted == "<em>生育登记</em>"  # 生玉 by sound, 登记 as typed
    assert result.hits[0].score == pytest.approx(0.45)  # pinyin weighs half
    assert result.facets["audience"] == [("person", 1)]
    assert result.facets["org"] == [("3", 1)]


async def test_totals_past_max_total_hits_are_exact(
    fake: FakeClient, backend: MeiliBackend
) -> None:
    await backend.upsert([make_doc(1, "生育登记")])
    live = fake.indexes["services"]
    live.docs = browse(12_500)
    result = await backend.search("", None, 0, 10)
    assert live.searches[0][1]["page"] == 1  # the server said 10,000 (maxTotalHits) ...
    assert result.total == 12_500  # ... the facet counts tell the rest
    assert sum(count for _, count in result.facets["online_depth"]) == 12_500
    assert [h.id for h in result.hits] == list(range(1, 11))


@pytest.mark.parametrize(("offset", "limit"), [(27, 5), (11, 2), (9_990, 10), (5, 10), (95, 20)])
async def test_a_page_off_the_boundary_fetches_at_most_twice_its_size(
    fake: FakeClient, backend: MeiliBackend, offset: int, limit: int
) -> None:
    await backend.upsert([make_doc(1, "生育登记")])
    live = fake.indexes["services"]
    live.docs = browse(10_000)
    result = await backend.search("", None, offset, limit)
    assert sum(params["hitsPerPage"] for _, params in live.searches) <= 2 * limit
    assert [h.id for h in result.hits] == list(range(offset + 1, offset + limit + 1))
    assert result.total == 10_000


async def test_blank_and_empty_queries(fake: FakeClient, backend: MeiliBackend) -> None:
    fake.create_index("services", {})
    live = fake.indexes["services"]
    assert (await backend.search("？！", None, 0, 10)).total == 0
    assert live.searches == []  # nothing sent
    live.docs = {5: {"id": 5, "name": "甲", "online_depth": 1}}
    result = await backend.search("", None, 0, 10)
    assert live.searches[0][0] == "" and live.searches[0][1]["sort"] == ["id:asc"]
    assert [h.id for h in result.hits] == [5]


async def test_a_missing_index_counts_nothing_and_is_stale(backend: MeiliBackend) -> None:
    assert await backend.count() == 0
    assert await backend.is_stale()
    assert not await backend.ready()
    with pytest.raises(SearchError, match="search: index_not_found"):
        await backend.search("生育", None, 0, 10)


def test_an_index_is_created_once_and_a_missing_one_is_already_deleted(
    fake: FakeClient, backend: MeiliBackend
) -> None:
    conn = backend._conn
    conn.create_index("services", existing_ok=False)
    with pytest.raises(SearchError, match=r"\(create index services\) failed index_already_exists"):
        conn.create_index("services", existing_ok=False)
    conn.create_index("services", existing_ok=True)  # someone else was quicker: fine
    conn.ensure_index("services")
    assert fake.calls.count("create services") == 3  # ensure_index looked first
    conn.delete_index("services")
    conn.delete_index("services")  # not there: already deleted
    assert "services" not in fake.indexes


async def test_an_older_server_is_refused_naming_both_versions() -> None:
    backend = MeiliBackend(URL, None, "services", client=FakeClient(version="1.9.2"))
    with pytest.raises(SearchError, match=r"meilisearch 1\.9\.2 is too old: .* needs v1\.10 "):
        await backend.count()
    with pytest.raises(SearchError, match="too old"):
        await backend.upsert([make_doc(1, "生育登记")])
    assert not await backend.ping()


async def test_the_version_is_asked_once(fake: FakeClient, backend: MeiliBackend) -> None:
    await backend.upsert([make_doc(1, "生育登记")])
    await backend.search("生育", None, 0, 10)
    assert await backend.count() == 1 and await backend.ping()
    assert fake.calls.count("version") == 1


async def test_reads_do_not_disturb_the_headers_of_a_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """A health check during a reindex's swap (a POST on the client's own ``HttpRequests``,
    as are the GETs of health checks): the real client on a fake server."""
    http = FakeHttp()
    http.install(monkeypatch)
    posting, read = threading.Event(), threading.Event()

    def pause(method: str, path: str) -> None:
        if (method, path) == ("post", "swap-indexes"):
            posting.set()
            assert read.wait(5)  # the GET below runs now, between header and send
        elif path == "health":
            read.set()

    http.pause = pause
    backend = MeiliBackend(URL, None, "services")

    async def ping_during_the_swap() -> bool:
        assert await asyncio.to_thread(posting.wait, 5)
        return await backend.ping()

    reindex = backend.reindex([make_doc(1, "生育登记")])
    count, healthy = await asyncio.gather(reindex, ping_during_the_swap())
    assert count == 1 and healthy
    assert ("post", "swap-indexes", "application/json") in http.seen


def test_settings_need_a_url() -> None:
    from hub.settings import Settings

    with pytest.raises(SearchError, match="HUB_MEILI_URL"):
        MeiliBackend.from_settings(Settings(search_backend="meilisearch", meili_url=None))


async def test_a_new_synonym_table_is_pushed_once_and_needs_no_rebuild(
    fake: FakeClient, backend: MeiliBackend
) -> None:
    from hub.search import analysis

    seed = analysis.synonym_table()
    await backend.reindex([make_doc(1, "犬只登记")])
    try:
        analysis.set_synonym_table(
            analysis.SynonymTable(version="db-77", mapping={"狗证件": ("犬只登记",)})
        )
        await backend.search("狗证件")
        await backend.search("犬只")
        pushes = [c for c in fake.calls if c == "synonyms services"]
        assert pushes == ["synonyms services"]  # once for the new table
        assert fake.indexes["services"].settings["synonyms"] == {"狗证件": ["犬只登记"]}
        assert not await backend.is_stale()  # synonyms are not part of what the index is
    finally:
        analysis.set_synonym_table(seed)


async def test_with_semantic_recall_documents_carry_vectors_and_queries_search_hybrid() -> None:
    from dataclasses import replace

    from hub.search.backend import Meaning
    from hub.search.semantic import DIMENSIONS

    fake = FakeClient(version="1.13.0")
    backend = MeiliBackend(URL, None, "services", client=fake, semantic=True)
    assert backend.takes_vectors
    vector = [0.01] * DIMENSIONS
    await backend.reindex(
        [replace(make_doc(1, "犬只登记"), vector=vector), make_doc(2, "结婚登记")]
    )
    live = fake.indexes["services"]
    assert live.settings["embedders"] == {"hub": {"source": "userProvided", "dimensions": 512}}
    assert live.docs[1]["_vectors"] == {"hub": vector}
    assert live.docs[2]["_vectors"] == {"hub": None}  # not embedded yet: queued again later

    await backend.search("给狗上户口", meaning=Meaning(vector=vector, neighbours=[(1, 0.5)]))
    _, params = live.searches[-1]
    assert params["hybrid"] == {"embedder": "hub", "semanticRatio": 0.5}
    assert params["vector"] == vector
    await backend.search("shengyu")  # no meaning: keywords only
    assert "hybrid" not in live.searches[-1][1]


async def test_semantic_recall_needs_meilisearch_1_13() -> None:
    old = FakeClient(version="1.12.0")
    with pytest.raises(SearchError, match=r"needs v1\.13"):
        await MeiliBackend(URL, None, "services", client=old, semantic=True).count()
    await MeiliBackend(URL, None, "services", client=old).count()  # keywords alone: fine
