"""The Meilisearch engine without a server: the settings, documents, filters and searches it
would send, and how it drives tasks and the no-downtime swap (against a recording fake).
With HUB_MEILI_URL set the shared contract tests run against a real server as well."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from meilisearch.errors import MeilisearchApiError

from hub.search.analysis import synonym_table
from hub.search.backend import SearchError, SearchFilter
from hub.search.meili import MeiliBackend
from hub.search.meili_documents import to_meili_document
from hub.search.meili_query import filter_expression, page_parameters, readings
from hub.search.meili_settings import index_settings
from hub.search.query import analyze_query
from tests.search.conftest import make_doc


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


def test_pages_are_page_based_so_totals_are_exhaustive() -> None:
    assert page_parameters(0, 20) == (1, 20, 0)
    assert page_parameters(40, 20) == (3, 20, 0)
    assert page_parameters(5, 10) == (1, 15, 5)
    assert page_parameters(0, 0) == (1, 0, 0)


# --------------------------------------------------------------------------- a fake server


@dataclass
class FakeIndex:
    uid: str
    docs: dict[Any, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    searches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)


class FakeClient:
    """Records calls; every task succeeds unless ``fail_next`` names its kind."""

    def __init__(self) -> None:
        self.indexes: dict[str, FakeIndex] = {}
        self.calls: list[str] = []
        self.fail_next: str | None = None
        self.statuses: dict[int, str] = {}

    def _task(self, kind: str) -> SimpleNamespace:
        uid = len(self.statuses) + 1
        self.calls.append(kind)
        self.statuses[uid] = "failed" if self.fail_next == kind else "succeeded"
        if self.fail_next == kind:
            self.fail_next = None
        return SimpleNamespace(task_uid=uid)

    def wait_for_task(self, uid: int, timeout_in_ms: int, interval_in_ms: int) -> Any:
        failed = self.statuses[uid] == "failed"
        return SimpleNamespace(
            status=self.statuses[uid],
            error={"code": "invalid_document_id", "message": "bad id"} if failed else None,
        )

    def get_raw_index(self, uid: str) -> dict[str, Any]:
        if uid not in self.indexes:
            raise MeilisearchApiError(
                "not found",
                SimpleNamespace(
                    status_code=404,
                    text='{"code": "index_not_found", "message": "no such index"}',
                ),
            )
        return {"uid": uid}

    def create_index(self, uid: str, options: dict[str, Any]) -> Any:
        self.indexes[uid] = FakeIndex(uid)
        return self._task(f"create {uid}")

    def delete_index(self, uid: str) -> Any:
        self.indexes.pop(uid, None)
        return self._task(f"delete {uid}")

    def swap_indexes(self, parameters: list[dict[str, list[str]]]) -> Any:
        a, b = parameters[0]["indexes"]
        self.indexes[a], self.indexes[b] = self.indexes[b], self.indexes[a]
        return self._task(f"swap {a} {b}")

    def index(self, uid: str) -> Any:
        client = self
        target = self.indexes.setdefault(uid, FakeIndex(uid))

        class Handle:
            def update_settings(self, body: dict[str, Any]) -> Any:
                target.settings = body
                return client._task(f"settings {uid}")

            def add_documents(self, docs: list[dict[str, Any]], primary_key: str) -> Any:
                task = client._task(f"add {uid}")
                for d in docs:
                    target.docs[d["id"]] = d
                return task

            def delete_documents(self, ids: list[int]) -> Any:
                for i in ids:
                    target.docs.pop(i, None)
                return client._task(f"delete docs {uid}")

            def search(self, q: str, params: dict[str, Any]) -> dict[str, Any]:
                target.searches.append((q, params))
                return target.answers.pop(0) if target.answers else {"hits": [], "totalHits": 0}

            def get_stats(self) -> Any:
                return SimpleNamespace(number_of_documents=len(target.docs))

            def get_document(self, doc_id: str) -> Any:
                return SimpleNamespace(**target.docs[doc_id])

        return Handle()

    def is_healthy(self) -> bool:
        return True


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


async def test_a_reindex_builds_aside_and_swaps_in(fake: FakeClient) -> None:
    backend = MeiliBackend("http://meili.invalid", None, "services", client=fake)
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


async def test_a_failed_task_is_an_error_naming_it(fake: FakeClient) -> None:
    backend = MeiliBackend("http://meili.invalid", None, "services", client=fake)
    fake.fail_next = "add services"
    with pytest.raises(SearchError, match=r"meilisearch task \d+ \(add documents to services\)"):
        await backend.upsert([make_doc(1, "生育登记")])


async def test_search_falls_back_to_pinyin_and_keeps_exact_totals(fake: FakeClient) -> None:
    backend = MeiliBackend("http://meili.invalid", None, "services", client=fake)
    live = fake.indexes.setdefault("services", FakeIndex("services"))
    live.answers = [
        {"hits": [], "totalHits": 0},  # 生玉 登记 as typed: nothing
        {
            "hits": [{"id": 1, "name": "生育登记", "_rankingScore": 0.9}],
            "totalHits": 1,
            "facetDistribution": {"audience": {"person": 1}, "org_id": {"3": 1}},
        },
    ]
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


async def test_blank_and_empty_queries(fake: FakeClient) -> None:
    backend = MeiliBackend("http://meili.invalid", None, "services", client=fake)
    live = fake.indexes.setdefault("services", FakeIndex("services"))
    assert (await backend.search("？！", None, 0, 10)).total == 0
    assert live.searches == []  # nothing sent
    live.answers = [{"hits": [{"id": 5, "name": "甲"}], "totalHits": 1}]
    result = await backend.search("", None, 0, 10)
    assert live.searches[0][0] == "" and live.searches[0][1]["sort"] == ["id:asc"]
    assert [h.id for h in result.hits] == [5]


def test_settings_need_a_url() -> None:
    from hub.settings import Settings

    with pytest.raises(SearchError, match="HUB_MEILI_URL"):
        MeiliBackend.from_settings(Settings(search_backend="meilisearch", meili_url=None))
