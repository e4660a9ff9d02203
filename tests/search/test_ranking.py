"""Ranking by evidence in the embedded engine: weighted terms and soft matching, the best
synonym reading counted once, action words and numbers, literal before pinyin, life events and
bundles, and what the total counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.search.embedded import EmbeddedBackend
from hub.search.embedded_query import COVERAGE, COVERED, FILL
from hub.search.equivalence import chinese_number, number_spans
from hub.search.query import analyze_query
from tests.search.conftest import make_doc

# filler items: common words in their texts make 申请/办理 common and the rarer words count
FILLER = [
    make_doc(100 + n, f"事项{n}申请", description="申请人办理本事项。本事项按规定办理。")
    for n in range(30)
]
DOCS = [
    make_doc(1, "居民户口簿补领", description="户口簿遗失或损毁的，向派出所申请补领。"),
    make_doc(2, "营业执照遗失补发", description="企业营业执照遗失的，申请补发。"),
    make_doc(
        3, "中等职业学校学历证明补办", description="学历证明遗失的补办。", materials=["营业执照"]
    ),
    make_doc(4, "3周岁以下婴幼儿照护服务补贴申领", description="家中有三周岁以下婴幼儿的家庭。"),
    make_doc(5, "八十周岁以上老年人高龄津贴申领", description="年满八十周岁的老年人按月领取。"),
    make_doc(6, "老年人优待证办理", description="年满六十周岁的老年人可申领优待证。"),
    make_doc(7, "博士后科研工作站设立", description="设立博士后科研工作站。"),
    make_doc(8, "小学入学登记", description="适龄儿童入学的时候由家长登记。"),
    make_doc(9, "机动车驾驶证期满换证", description="驾驶证有效期满前九十日内申请换证。"),
    make_doc(
        10,
        "婚前医学检查",
        description="准备结婚的男女双方进行婚前医学检查。",
        event_names=["结婚", "结婚生育一件事"],
        event_texts=["婚前医学检查、结婚登记、生育登记和夫妻投靠落户一次申请。"],
    ),
    make_doc(11, "结婚证书工本费缴纳", description="办理结婚登记的当事人缴纳工本费。"),
    make_doc(14, "户口登记项目变更", description="因结婚、离婚等原因变更户口登记项目。"),
    make_doc(12, "生育登记", description="夫妻生育子女的，办理生育登记。"),
    make_doc(
        13, "再生育登记", description="符合条件的夫妻再生育的登记。", aliases=["生育二孩登记"]
    ),
]


@pytest.fixture(scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedBackend]:
    backend = await EmbeddedBackend.open(Path(tmp_path_factory.mktemp("ranking")))
    await backend.reindex([*DOCS, *FILLER])
    yield backend
    await backend.close()


async def ids(engine: EmbeddedBackend, query: str, limit: int = 10) -> list[int]:
    return [h.id for h in (await engine.search(query, None, 0, limit)).hits]


def test_numbers_with_a_unit_are_one_token_either_way() -> None:
    assert [chinese_number(t) for t in ("三", "十二", "八十", "一百二十", "两", "80")] == [
        3,
        12,
        80,
        120,
        2,
        80,
    ]
    assert [t for _, _, t in number_spans("三周岁以下婴幼儿，80岁以上，二胎")] == [
        "3岁",
        "80岁",
        "2孩",
    ]
    assert number_spans("一年级新生，一件事") == []  # no unit, no number token
    terms = [t.text for t in analyze_query("3岁以下孩子补贴").variants[0].terms]
    assert terms[0] == "3岁"


async def test_an_action_word_finds_its_equivalents(engine: EmbeddedBackend) -> None:
    # 户口簿遗失 / 户口簿丢了 / 户口簿补办 all find the item named …补领
    for query in ("户口簿遗失", "户口簿丢了", "户口簿补办"):
        assert (await ids(engine, query))[0] == 1, query
    # the noun decides: 营业执照补办 is the licence named …补发, not the other …补办 item
    assert (await ids(engine, "营业执照补办"))[0] == 2
    assert (await ids(engine, "驾驶证到期"))[0] == 9


async def test_digits_and_chinese_numerals_meet(engine: EmbeddedBackend) -> None:
    assert (await ids(engine, "三岁以下婴幼儿补贴"))[0] == 4
    assert (await ids(engine, "80岁老人津贴"))[0] == 5


async def test_an_exact_name_ending_in_banli_comes_first(engine: EmbeddedBackend) -> None:
    assert (await ids(engine, "老年人优待证办理"))[0] == 6
    result = await engine.search("老年人优待证办理", None, 0, 1)
    assert result.hits[0].score >= 1000  # the exact-name bonus, with 办理 kept


async def test_a_pinyin_reading_never_outranks_a_literal_match(engine: EmbeddedBackend) -> None:
    # 时候 reads shi hou, like 博士后; the item that says 时候 literally comes first
    found = await ids(engine, "时候")
    assert found[0] == 8
    assert 7 not in found[:1]


async def test_a_rare_word_must_be_there_a_common_one_may_be_missing(
    engine: EmbeddedBackend,
) -> None:
    # 婴幼儿 is rare, 申请 is everywhere: the item with 婴幼儿 but not 申请 has most of the
    # query; items with only 申请 do not. Fewer than FILL items have most of it, so those
    # with some of it follow, COVERED behind, and count in the total.
    result = await engine.search("婴幼儿申请", None, 0, 50)
    first, *rest = result.hits
    assert first.id == 4
    assert rest and all(h.score <= first.score - COVERED / 2 for h in rest)
    assert result.total == len(result.hits) > 1 + len(FILLER)  # every item that says 申请
    assert COVERAGE > 0.5


async def test_items_with_some_of_the_query_follow_when_few_have_most(
    engine: EmbeddedBackend,
) -> None:
    # only item 5 says 高龄; the other items with 老年人 follow it, fewer than FILL in all
    found = await ids(engine, "高龄老年人")
    assert found[0] == 5 and 6 in found
    assert len(found) < FILL


async def test_overlapping_synonym_readings_count_once(engine: EmbeddedBackend) -> None:
    # 生孩子 → 生育 (synonym table); 生育登记 has the word in its name and ranks above
    # 再生育登记, which matches 生育 in its name and in its alias as well
    found = await ids(engine, "生孩子登记")
    assert found[:2] == [12, 13]


async def test_a_life_question_finds_the_items_of_its_bundle(engine: EmbeddedBackend) -> None:
    found = await ids(engine, "要结婚了需要办什么")
    # the item named for it first, then the bundle's item, then items that only say 结婚
    # in their description
    assert found[:3] == [11, 10, 14]
    assert (await ids(engine, "结婚生育一件事"))[0] == 10
