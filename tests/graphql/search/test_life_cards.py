"""Life questions through ``searchServices``: the 一件事 bundles and life events a query is
about, each with its items, in the same request as the hits; the bundle's items rank high."""

from __future__ import annotations

from tests.conftest import GraphQL

CARDS = """
query Cards($q: String!, $filter: ServiceFilter) {
  searchServices(query: $q, first: 10, filter: $filter) {
    totalCount
    bundles { code name items { code name } }
    lifeEvents { name audience }
    edges { node { code name } }
  }
}
"""


async def search(gql: GraphQL, query: str, **variables: object) -> dict:
    body = await gql(CARDS, {"q": query, **variables})
    return body["data"]["searchServices"]


async def test_a_life_question_gets_its_bundle_with_items_and_its_items_rank_high(
    gql: GraphQL,
) -> None:
    answer = await search(gql, "要结婚了需要办什么")
    assert [b["code"] for b in answer["bundles"]][:1] == ["B-JHSY"]
    bundle = answer["bundles"][0]
    assert [i["name"] for i in bundle["items"]] == [
        "婚前医学检查",
        "婚姻登记（结婚）",
        "生育登记",
        "投靠亲属落户",
    ]
    assert answer["lifeEvents"][0]["name"] == "结婚"
    top = [e["node"]["name"] for e in answer["edges"]]
    # the marriage registration itself, and the bundle's other items among the first hits
    assert top[0] == "婚姻登记（结婚）"
    assert {"婚前医学检查", "投靠亲属落户"} <= set(top)


async def test_bundles_are_found_by_description_and_by_their_items_names(gql: GraphQL) -> None:
    # 孩子 is in 新生儿出生一件事's description, not in its name
    assert "B-XSECS" in [b["code"] for b in (await search(gql, "孩子出生后"))["bundles"]]
    # an item's name finds the bundle it belongs to
    assert [b["code"] for b in (await search(gql, "公章刻制备案"))["bundles"]] == ["B-QYKB"]


async def test_no_card_for_an_unrelated_query_or_pinyin(gql: GraphQL) -> None:
    for query in ("犬只登记", "shengyu", ""):
        answer = await search(gql, query)
        assert answer["bundles"] == [] and answer["lifeEvents"] == [], query


async def test_life_events_follow_the_audience_filter(gql: GraphQL) -> None:
    answer = await search(gql, "开办企业", filter={"audience": "PERSON"})
    assert all(e["audience"] in ("PERSON", "BOTH") for e in answer["lifeEvents"])
    answer = await search(gql, "开办企业", filter={"audience": "LEGAL_ENTITY"})
    assert [e["name"] for e in answer["lifeEvents"]][:1] == ["开办企业"]
