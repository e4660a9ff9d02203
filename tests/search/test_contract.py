"""The contract every SearchBackend keeps, run against each engine (Meilisearch only when
``HUB_MEILI_URL`` is set)."""

from __future__ import annotations

from collections import Counter

import pytest

from hub.search.backend import MAX_LIMIT, SearchBackend, SearchFilter
from tests.search.conftest import make_doc

DOCS = [
    make_doc(1, "生育登记", online_depth=4, visits=0, life_event_ids=[100]),
    make_doc(2, "生育登记变更", online_depth=3),
    make_doc(3, "生育津贴申领", aliases=["产假工资"], theme_ids=[10, 11]),
    make_doc(4, "再生育审批", online_depth=1, visits=2),
    make_doc(
        5,
        "出生医学证明办理",
        description="新生儿出生后由助产机构签发",
        org_id=4,
        org_path_ids=[1, 3, 4],
        life_event_ids=[100],
    ),
    make_doc(
        6,
        "营业执照变更登记",
        audience="legal_entity",
        org_id=9,
        org_path_ids=[1, 9],
        theme_ids=[20],
        theme_names=["设立变更"],
        item_type="license",
        org_name="市市场监督管理局",
    ),
    make_doc(
        7,
        "企业设立登记",
        audience="legal_entity",
        org_id=9,
        org_path_ids=[1, 9],
        theme_ids=[20],
        theme_names=["设立变更"],
        item_type="license",
        online_depth=4,
        visits=0,
        org_name="市市场监督管理局",
    ),
    make_doc(
        8,
        "居民身份证申领",
        audience="both",
        org_id=7,
        org_path_ids=[1, 7],
        theme_ids=[30],
        theme_names=["户籍办理"],
        item_type="confirmation",
        online_depth=1,
        visits=2,
        org_name="市公安局",
    ),
    make_doc(
        9, "结婚登记", org_id=8, org_path_ids=[1, 8], theme_ids=[40], theme_names=["婚姻登记"]
    ),
    make_doc(
        10,
        "失业保险金申领",
        description="失业人员在领取失业保险金期间生育的，可以同时申领生育补助金",
        org_id=5,
        org_path_ids=[1, 5],
        theme_ids=[50],
        theme_names=["失业保险"],
        org_name="市人力资源和社会保障局",
    ),
    make_doc(
        11,
        "普通护照签发",
        org_id=7,
        org_path_ids=[1, 7],
        theme_ids=[30],
        theme_names=["出境入境"],
        org_name="市公安局",
    ),
    make_doc(
        12,
        "食品经营许可<变更>",
        audience="legal_entity",
        org_id=9,
        org_path_ids=[1, 9],
        theme_ids=[20],
        theme_names=["准营准办"],
        item_type="license",
        org_name="市市场监督管理局",
    ),
]
BY_ID = {d.id: d for d in DOCS}


@pytest.fixture
async def loaded(engine: SearchBackend) -> SearchBackend:
    assert await engine.reindex(DOCS) == len(DOCS)
    return engine


async def ids(engine: SearchBackend, query: str, flt: SearchFilter | None = None) -> list[int]:
    result = await engine.search(query, flt, 0, MAX_LIMIT)
    return [h.id for h in result.hits]


async def test_exact_name_ranks_above_names_containing_it(loaded: SearchBackend) -> None:
    found = await ids(loaded, "生育登记")
    assert found[:2] == [1, 2]


async def test_name_matches_rank_above_description_matches(loaded: SearchBackend) -> None:
    found = await ids(loaded, "生育")
    assert set(found[:4]) == {1, 2, 3, 4}
    assert 10 in found[4:]


async def test_piece_of_a_word_finds_the_longer_word(loaded: SearchBackend) -> None:
    assert (await ids(loaded, "执照"))[0] == 6
    assert (await ids(loaded, "身份"))[0] == 8
    assert (await ids(loaded, "医学证"))[0] == 5


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("shengyudengji", 1),
        ("sheng yu deng ji", 1),
        ("sydj", 1),
        ("生玉登记", 1),  # homophone typo
        ("營業執照", 6),  # traditional characters
        ("ＹＩＮＧＹＥＺＨＩＺＨＡＯ", 6),  # full-width pinyin
        ("怎么办护照", 11),  # a question
        ("产假工资", 3),  # an alias
    ],
)
async def test_forgiving_queries_find_the_item(
    loaded: SearchBackend, query: str, first: int
) -> None:
    assert (await ids(loaded, query))[0] == first


async def test_pinyin_matches_rank_below_character_matches(loaded: SearchBackend) -> None:
    # 再生育审批 matches 生育 in characters; 失业保险金申领 does not contain sheng yu at all
    result = await loaded.search("shengyu", None, 0, 10)
    assert {h.id for h in result.hits} == {1, 2, 3, 4}
    chinese = await loaded.search("生育", None, 0, 10)
    assert chinese.hits[0].score > result.hits[0].score


async def test_colloquial_words_reach_official_names(loaded: SearchBackend) -> None:
    assert {1, 2, 3, 4} <= set(await ids(loaded, "生孩子"))
    assert (await ids(loaded, "开公司"))[0] == 7
    assert (await ids(loaded, "领证"))[0] == 9


FILTERS = [
    SearchFilter(org_id=3),
    SearchFilter(org_id=9),
    SearchFilter(theme_ids=[11]),
    SearchFilter(theme_ids=[20, 40]),
    SearchFilter(audience="person"),
    SearchFilter(audience="legal_entity"),
    SearchFilter(audience="both"),
    SearchFilter(item_types=["license", "confirmation"]),
    SearchFilter(online_depth_min=3),
    SearchFilter(max_visits=0),
    SearchFilter(life_event_id=100),
    SearchFilter(org_id=1, audience="person", max_visits=1, online_depth_min=2),
]


@pytest.mark.parametrize("flt", FILTERS, ids=repr)
async def test_filters_keep_exactly_the_matching_documents(
    loaded: SearchBackend, flt: SearchFilter
) -> None:
    expected = {d.id for d in DOCS if flt.matches(d)}
    result = await loaded.search("", flt, 0, MAX_LIMIT)
    assert {h.id for h in result.hits} == expected
    assert result.total == len(expected)
    registered = {d.id for d in DOCS if flt.matches(d) and "登记" in d.name}
    assert set(await ids(loaded, "登记", flt)) == registered


async def test_audience_both_matches_person_and_legal_entity_filters(
    loaded: SearchBackend,
) -> None:
    assert 8 in await ids(loaded, "身份证", SearchFilter(audience="person"))
    assert 8 in await ids(loaded, "身份证", SearchFilter(audience="legal_entity"))


async def test_facets_count_every_match_not_only_the_page(loaded: SearchBackend) -> None:
    result = await loaded.search("", None, 0, 1)
    assert len(result.hits) == 1
    assert result.total == len(DOCS)
    expected = {
        "org": Counter(str(d.org_id) for d in DOCS),
        "theme": Counter(str(t) for d in DOCS for t in d.theme_ids),
        "audience": Counter(d.audience for d in DOCS),
        "online_depth": Counter(str(d.online_depth) for d in DOCS),
        "visits": Counter(str(d.visits) for d in DOCS),
    }
    for name, counts in expected.items():
        assert dict(result.facets[name]) == dict(counts), name
        values = [count for _, count in result.facets[name]]
        assert values == sorted(values, reverse=True), name


async def test_facets_follow_the_query_and_filter(loaded: SearchBackend) -> None:
    result = await loaded.search("登记", SearchFilter(audience="person"), 0, 1)
    matching = [d for d in DOCS if "登记" in d.name and d.audience in ("person", "both")]
    assert result.total == len(matching)
    assert dict(result.facets["org"]) == dict(Counter(str(d.org_id) for d in matching))


async def test_pages_and_exact_total(loaded: SearchBackend) -> None:
    first = await loaded.search("", None, 0, 5)
    second = await loaded.search("", None, 5, 5)
    beyond = await loaded.search("", None, 50, 5)
    assert first.total == second.total == beyond.total == len(DOCS)
    assert len(first.hits) == len(second.hits) == 5
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    assert beyond.hits == []


async def test_highlights_mark_the_matched_characters(loaded: SearchBackend) -> None:
    result = await loaded.search("生育", None, 0, 10)
    hit = next(h for h in result.hits if h.id == 4)
    assert hit.name_highlighted == "再<em>生育</em>审批"
    assert hit.highlights == [(1, 3)]
    pinyin = await loaded.search("sydj", None, 0, 1)
    assert pinyin.hits[0].name_highlighted == "<em>生育登记</em>"


async def test_highlighted_names_are_html_escaped(loaded: SearchBackend) -> None:
    result = await loaded.search("食品", None, 0, 1)
    assert result.hits[0].name_highlighted == "<em>食品</em>经营许可&lt;变更&gt;"


@pytest.mark.parametrize("prefix", ["生育", "sheng", "shengy", "sy", "shengyud"])
async def test_suggest_completes_characters_pinyin_and_initials(
    loaded: SearchBackend, prefix: str
) -> None:
    suggestions = [s.name for s in await loaded.suggest(prefix, 5)]
    assert suggestions[0] == "生育登记"
    assert len(suggestions) == len(set(suggestions)) <= 5
    first = (await loaded.suggest(prefix, 5))[0]
    assert first.prefix and (await loaded.search("生育登记", None, 0, 1)).hits[0].id == first.id


async def test_suggest_on_nothing_suggests_nothing(loaded: SearchBackend) -> None:
    assert await loaded.suggest("", 5) == []
    assert await loaded.suggest("？！", 5) == []


async def test_delete_and_upsert_replace_documents(loaded: SearchBackend) -> None:
    await loaded.delete([1, 999])
    assert 1 not in await ids(loaded, "生育登记")
    assert await loaded.count() == len(DOCS) - 1
    await loaded.upsert([make_doc(11, "往来港澳通行证签注")])
    assert 11 not in await ids(loaded, "护照")
    assert (await ids(loaded, "港澳"))[0] == 11
    assert await loaded.count() == len(DOCS) - 1


async def test_a_ten_thousand_character_query_is_cut_not_fatal(loaded: SearchBackend) -> None:
    for query in ("生育" * 5000, "a" * 10_000, "生 " * 5000):
        result = await loaded.search(query, None, 0, 10)
        assert result.truncated
        assert result.total >= 0


@pytest.mark.parametrize("query", ["？！。，", "!!!", "😀🎉", "《》【】", "\u200b\t"])
async def test_punctuation_or_emoji_only_finds_nothing(loaded: SearchBackend, query: str) -> None:
    result = await loaded.search(query, None, 0, 10)
    assert result.hits == []
    assert result.total == 0


async def test_blank_query_browses_everything(loaded: SearchBackend) -> None:
    result = await loaded.search("   ", None, 0, MAX_LIMIT)
    assert result.total == len(DOCS)
    assert sorted(h.id for h in result.hits) == sorted(BY_ID)
    assert sum(count for _, count in result.facets["audience"]) == len(DOCS)


async def test_out_of_range_pages_are_clamped(loaded: SearchBackend) -> None:
    result = await loaded.search("", None, -5, 10_000)
    assert len(result.hits) == len(DOCS)
    empty_page = await loaded.search("生育", None, 0, 0)
    assert empty_page.hits == []
    assert empty_page.total == 6  # 生育 in four names, a theme (5) and a description (10)


async def test_reindex_replaces_everything(loaded: SearchBackend) -> None:
    assert await loaded.reindex([make_doc(50, "生育登记")]) == 1
    assert await loaded.count() == 1
    assert await ids(loaded, "登记") == [50]
    assert not await loaded.is_stale()
    assert await loaded.ping()
    assert await loaded.ready()


async def test_suggest_gives_one_service_per_name_the_best_first(loaded: SearchBackend) -> None:
    await loaded.upsert([make_doc(901, "生育登记", description="副本")])  # a second 生育登记
    names = [s.name for s in await loaded.suggest("生育", 10)]
    assert names.count("生育登记") == 1
    assert names[0] == "生育登记"
