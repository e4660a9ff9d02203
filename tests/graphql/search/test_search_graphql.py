"""searchServices and suggestServices through /graphql, on the real tantivy index."""

from __future__ import annotations

from hub.seed import BIRTH_ITEM_CODES
from tests.conftest import GraphQL
from tests.sharing.helpers import token

SEARCH = """
query Search($q: String!, $filter: ServiceFilter, $first: Int, $after: String) {
  searchServices(
    query: $q, filter: $filter, first: $first, after: $after, facetLimit: 100
  ) {
    totalCount tookMs query truncated
    pageInfo { hasNextPage endCursor }
    edges { cursor score nameHighlighted highlights { start end }
            node { code name audience visits materials { material { name } } } }
    facets {
      orgs { org { id name } count }
      themes { theme { id name audience } label count }
      audiences { audience count }
      onlineDepths { value count }
      visits { value count }
    }
  }
}
"""


async def _all_hits(gql: GraphQL, query: str, **variables: object) -> list[dict]:
    hits: list[dict] = []
    after = None
    while True:
        data = (await gql(SEARCH, {"q": query, "first": 100, "after": after, **variables}))["data"][
            "searchServices"
        ]
        hits.extend(data["edges"])
        if not data["pageInfo"]["hasNextPage"]:
            return hits
        after = data["pageInfo"]["endCursor"]


async def test_birth_search_finds_every_birth_item_with_what_to_bring(gql: GraphQL) -> None:
    hits = await _all_hits(gql, "生育")
    codes = {h["node"]["code"] for h in hits}
    assert set(BIRTH_ITEM_CODES) <= codes
    first = (await gql(SEARCH, {"q": "再生育申请", "first": 5}))["data"]["searchServices"]
    top = first["edges"][0]
    assert top["node"]["name"] == "再生育申请"
    assert top["nameHighlighted"] == "<em>再生育申请</em>"
    assert top["highlights"] == [{"start": 0, "end": 5}]
    assert top["node"]["materials"]


async def test_facets_count_all_hits(gql: GraphQL) -> None:
    data = (await gql(SEARCH, {"q": "登记", "first": 5}))["data"]["searchServices"]
    total = data["totalCount"]
    assert total > 5
    facets = data["facets"]
    assert sum(f["count"] for f in facets["orgs"]) == total
    assert sum(f["count"] for f in facets["visits"]) == total
    assert sum(f["count"] for f in facets["onlineDepths"]) == total
    # narrowing by a facet gives exactly its count
    org = facets["orgs"][0]
    narrowed = await gql(SEARCH, {"q": "登记", "first": 1, "filter": {"org": org["org"]["id"]}})
    assert narrowed["data"]["searchServices"]["totalCount"] >= org["count"]
    no_visit = await gql(SEARCH, {"q": "登记", "first": 100, "filter": {"maxVisits": 0}})
    edges = no_visit["data"]["searchServices"]["edges"]
    assert all(e["node"]["visits"] == 0 for e in edges)
    zero = next((f["count"] for f in facets["visits"] if f["value"] == 0), 0)
    assert no_visit["data"]["searchServices"]["totalCount"] == zero


async def test_theme_facets_say_their_audience(gql: GraphQL) -> None:
    """医疗卫生 is a theme for persons and one for legal entities: the labels tell them apart."""
    data = (await gql(SEARCH, {"q": "医疗", "first": 1}))["data"]["searchServices"]
    labels = {f["label"]: f["theme"]["audience"] for f in data["facets"]["themes"]}
    assert labels.get("医疗卫生（个人）") == "PERSON"
    assert labels.get("医疗卫生（法人）") == "LEGAL_ENTITY"
    assert len(labels) == len(data["facets"]["themes"])


async def test_empty_query_browses_with_facets(gql: GraphQL) -> None:
    data = (await gql(SEARCH, {"q": "", "first": 3}))["data"]["searchServices"]
    everything = (await gql("{ services { totalCount } }"))["data"]["services"]["totalCount"]
    assert data["totalCount"] == everything
    assert sum(f["count"] for f in data["facets"]["audiences"]) == everything


async def test_hostile_queries_get_clear_answers(gql: GraphQL) -> None:
    long = (await gql(SEARCH, {"q": "生育" * 5000, "first": 3}))["data"]["searchServices"]
    assert long["truncated"] is True
    punctuation = (await gql(SEARCH, {"q": "！？。，、……", "first": 3}))["data"]
    assert punctuation["searchServices"]["totalCount"] == 0
    too_many = await gql(SEARCH, {"q": "生育", "first": 101}, expect_errors=True)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_suggestions_as_the_user_types(gql: GraphQL) -> None:
    query = "query S($p: String!) { suggestServices(prefix: $p) { id code name } }"
    for prefix in ("再生", "zaisheng", "zsy"):
        suggestions = (await gql(query, {"p": prefix}))["data"]["suggestServices"]
        assert 0 < len(suggestions) <= 10
        names = [s["name"] for s in suggestions]
        assert "再生育申请" in names, (prefix, names)
        assert len(names) == len(set(names))  # one per name
        item = suggestions[names.index("再生育申请")]
        assert item["code"] == "S-WJJ-001" and item["id"]


async def test_search_statistics_are_for_staff_only(gql: GraphQL) -> None:
    await gql(SEARCH, {"q": "完全不存在的事项名称xyz", "first": 1})
    body = await gql("{ zeroResultQueries { query count } }", expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_facets_keep_the_most_frequent_values(gql: GraphQL) -> None:
    query = """
    query F($limit: Int!) {
      searchServices(query: "", first: 1, facetLimit: $limit) {
        facets { orgs { count } themes { count } }
      }
    }"""
    wide = (await gql(query, {"limit": 100}))["data"]["searchServices"]["facets"]
    narrow = (await gql(query, {"limit": 3}))["data"]["searchServices"]["facets"]
    assert len(wide["orgs"]) > 3
    assert [f["count"] for f in narrow["orgs"]] == [f["count"] for f in wide["orgs"][:3]]
    assert [f["count"] for f in wide["orgs"]] == sorted(
        (f["count"] for f in wide["orgs"]), reverse=True
    )
    refused = await gql(query, {"limit": 101}, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_search_pages_backwards_as_well(gql: GraphQL) -> None:
    query = """
    query P($q: String!, $first: Int, $after: String, $last: Int, $before: String) {
      searchServices(query: $q, first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { node { code } }
      }
    }
    """

    async def page(**variables: object) -> dict:
        return (await gql(query, {"q": "登记", **variables}))["data"]["searchServices"]

    first = await page(first=5)
    second = await page(first=5, after=first["pageInfo"]["endCursor"])
    back = await page(last=5, before=second["pageInfo"]["startCursor"])
    assert [e["node"]["code"] for e in back["edges"]] == [e["node"]["code"] for e in first["edges"]]
    assert not back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]
    tail = await page(last=3)
    assert len(tail["edges"]) == 3 and not tail["pageInfo"]["hasNextPage"]
    assert tail["pageInfo"]["hasPreviousPage"] and tail["totalCount"] == first["totalCount"]


async def test_staff_read_the_synonym_table(gql: GraphQL) -> None:
    """searchSynonyms answers from the table (sqlmodel's select of one entity)."""
    staff = await token(gql, "catalogue_editor")
    body = await gql('{ searchSynonyms(contains: "生孩子") { phrase targets } }', token=staff)
    rows = body["data"]["searchSynonyms"]
    assert rows and all("生孩子" in r["phrase"] or "生孩子" in "".join(r["targets"]) for r in rows)
    refused = await gql("{ searchSynonyms { phrase } }", expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
