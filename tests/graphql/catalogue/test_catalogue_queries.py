"""The public catalogue through /graphql: services with materials and forms, filters, pages,
nodes, datasets and the org tree."""

from __future__ import annotations

import hashlib

import httpx
from asgi_lifespan import LifespanManager

from hub.app import create_app
from hub.settings import Settings
from tests.conftest import GraphQL

THEMES = """
query Themes($audience: Audience) { themes(audience: $audience) { id code name audience } }
"""

SERVICES_BY_THEME = """
query ServicesByTheme($theme: ID!, $first: Int, $after: String) {
  services(filter: {themes: [$theme]}, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id code name audience visits onlineDepth
      legalTimeLimit { value unit text }
      promisedTimeLimit { value text }
      steps { position title }
      themes { name }
      org { name kind }
      materials {
        necessity originalCount copyCount exempt
        material { name }
        blankForm { name url sha256 contentType }
        sampleForm { name url sha256 }
      }
    } }
  }
}
"""


async def _theme_id(gql: GraphQL, name: str) -> str:
    themes = (await gql(THEMES, {"audience": "PERSON"}))["data"]["themes"]
    return next(t["id"] for t in themes if t["name"] == name)


async def _all_pages(gql: GraphQL, query: str, variables: dict, path: str) -> list[dict]:
    nodes: list[dict] = []
    after = None
    while True:
        data = (await gql(query, {**variables, "after": after}))["data"][path]
        nodes.extend(edge["node"] for edge in data["edges"])
        if not data["pageInfo"]["hasNextPage"]:
            return nodes
        after = data["pageInfo"]["endCursor"]


async def test_services_of_a_theme_come_with_materials_and_forms(
    gql: GraphQL, client: httpx.AsyncClient
) -> None:
    # given
    theme = await _theme_id(gql, "生育收养")
    # when
    services = await _all_pages(gql, SERVICES_BY_THEME, {"theme": theme, "first": 7}, "services")
    # then
    assert len(services) >= 3
    assert all("生育收养" in [t["name"] for t in s["themes"]] for s in services)
    assert len({s["code"] for s in services}) == len(services)
    second_child = next(s for s in services if s["name"] == "再生育申请")
    assert second_child["steps"][0]["position"] == 1
    assert second_child["legalTimeLimit"]["text"].endswith(("工作日", "自然日"))
    forms = [m for m in second_child["materials"] if m["blankForm"] and m["sampleForm"]]
    assert forms, "再生育申请 carries its form and a sample form"
    blank = forms[0]["blankForm"]
    assert "再生育申请审批表" in blank["name"]
    assert blank["url"].startswith("http://test/files/")  # absolute: where the request came
    download = await client.get(blank["url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == blank["sha256"]
    sample = await client.get(forms[0]["sampleForm"]["url"])
    assert sample.status_code == 200
    assert "样" in sample.text


async def test_pages_cover_the_list_once_in_both_directions(gql: GraphQL) -> None:
    query = """
    query Page($first: Int, $after: String, $last: Int, $before: String) {
      services(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { code } }
      }
    }"""
    forward = await _all_pages(gql, query, {"first": 100}, "services")
    total = (await gql(query, {"first": 1}))["data"]["services"]["totalCount"]
    assert len(forward) == total >= 451
    assert len({n["code"] for n in forward}) == total
    # backwards from the end
    tail = (await gql(query, {"last": 5}))["data"]["services"]
    assert [e["node"]["code"] for e in tail["edges"]] == [n["code"] for n in forward[-5:]]
    assert tail["pageInfo"]["hasPreviousPage"] and not tail["pageInfo"]["hasNextPage"]
    before = (await gql(query, {"last": 3, "before": tail["pageInfo"]["startCursor"]}))["data"]
    assert [e["node"]["code"] for e in before["services"]["edges"]] == [
        n["code"] for n in forward[-8:-5]
    ]


async def test_page_size_above_the_maximum_is_refused(gql: GraphQL) -> None:
    body = await gql("{ services(first: 101) { totalCount } }", expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "100" in body["errors"][0]["message"]
    bad_cursor = await gql('{ services(after: "nope") { totalCount } }', expect_errors=True)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_filters_hold_for_every_item(gql: GraphQL) -> None:
    query = """
    query F($filter: ServiceFilter) {
      services(filter: $filter, first: 100) {
        totalCount
        edges { node { audience visits onlineDepth itemType org { id ancestors { id } } } }
      }
    }"""
    no_visit = (await gql(query, {"filter": {"maxVisits": 0}}))["data"]["services"]
    assert no_visit["totalCount"] > 0
    assert all(e["node"]["visits"] == 0 for e in no_visit["edges"])
    online = (await gql(query, {"filter": {"onlineDepthMin": 4}}))["data"]["services"]
    assert online["totalCount"] > 0
    assert all(e["node"]["onlineDepth"] == 4 for e in online["edges"])
    legal = (await gql(query, {"filter": {"audience": "LEGAL_ENTITY"}}))["data"]["services"]
    assert {e["node"]["audience"] for e in legal["edges"]} <= {"LEGAL_ENTITY", "BOTH"}
    everything = (await gql(query, {}))["data"]["services"]["totalCount"]
    assert no_visit["totalCount"] < everything


async def test_org_filter_takes_the_whole_subtree(gql: GraphQL) -> None:
    root = (await gql("{ rootOrg { id name children { id name } } }"))["data"]["rootOrg"]
    query = """
    query F($org: ID!) {
      services(filter: {org: $org}, first: 100) {
        totalCount
        edges { node { org { id ancestors { id } } } }
      }
    }"""
    everything = (await gql("{ services { totalCount } }"))["data"]["services"]["totalCount"]
    assert (await gql(query, {"org": root["id"]}))["data"]["services"]["totalCount"] == everything
    counted = 0
    for child in root["children"]:
        page = (await gql(query, {"org": child["id"]}))["data"]["services"]
        counted += page["totalCount"]
        for edge in page["edges"]:
            org = edge["node"]["org"]
            assert child["id"] == org["id"] or child["id"] in [a["id"] for a in org["ancestors"]]
    own = await gql("{ rootOrg { services { totalCount } } }")
    assert counted == everything - own["data"]["rootOrg"]["services"]["totalCount"]


async def test_nodes_round_trip_and_unknown_ids_are_clear(gql: GraphQL) -> None:
    page = (await gql("{ services(first: 3) { edges { node { id name } } } }"))["data"]
    ids = [e["node"]["id"] for e in page["services"]["edges"]]
    root = (await gql("{ rootOrg { id name } }"))["data"]["rootOrg"]
    nodes = (
        await gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on ServiceItem { name } "
            "... on Org { name } } }",
            {"ids": [*ids, root["id"]]},
        )
    )["data"]["nodes"]
    assert [n["id"] for n in nodes] == [*ids, root["id"]]
    assert nodes[-1]["name"] == root["name"]
    missing = await gql('{ node(id: "U2VydmljZUl0ZW06OTk5OTk5OQ") { id } }', expect_errors=True)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    garbage = await gql('{ node(id: "!!!") { id } }', expect_errors=True)
    assert garbage["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_sample_rows_only_for_unconditionally_open_datasets(gql: GraphQL) -> None:
    query = """
    query D($open: [OpenType!]) {
      datasets(filter: {openTypes: $open}, first: 20) {
        totalCount
        edges { node { code openType sampleRows fields { position name dataType }
                       provider { name } } }
      }
    }"""
    everything = (await gql("{ datasets { totalCount } }"))["data"]["datasets"]["totalCount"]
    assert everything == 1393
    open_ = (await gql(query, {"open": ["UNCONDITIONAL"]}))["data"]["datasets"]
    closed = (await gql(query, {"open": ["CONDITIONAL", "NONE"]}))["data"]["datasets"]
    assert open_["totalCount"] + closed["totalCount"] == everything
    assert all(e["node"]["sampleRows"] for e in open_["edges"])
    assert all(e["node"]["sampleRows"] is None for e in closed["edges"])
    assert all(e["node"]["fields"][0]["position"] == 1 for e in open_["edges"])


async def test_org_tree_reads_both_ways(gql: GraphQL) -> None:
    root = (await gql("{ rootOrg { code children { code } } }"))["data"]["rootOrg"]
    child_code = root["children"][0]["code"]
    child = (
        await gql(
            "query($c: String!) { org(code: $c) { depth parent { code } "
            "ancestors { code } kindLabel } }",
            {"c": child_code},
        )
    )["data"]["org"]
    assert child["depth"] == 1
    assert child["parent"]["code"] == root["code"]
    assert [a["code"] for a in child["ancestors"]] == [root["code"]]


async def test_a_missing_item_is_null_and_the_rest_of_the_answer_survives(gql: GraphQL) -> None:
    query = """
    {
      a: service(code: "S-WJJ-001") { name }
      b: service(code: "NOPE") { name }
      c: org(code: "NOPE") { name }
      d: dataset(code: "NOPE") { name }
      e: bundle(code: "NOPE") { name }
      f: node(id: "U2VydmljZUl0ZW06OTk5OTk5") { id }
    }
    """
    body = await gql(query, expect_errors=True)
    assert body["data"] == {
        "a": {"name": "再生育申请"},
        "b": None,
        "c": None,
        "d": None,
        "e": None,
        "f": None,
    }
    errors = {e["path"][0]: e["extensions"]["code"] for e in body["errors"]}
    assert errors == dict.fromkeys("bcdef", "NOT_FOUND")
    assert all(e["extensions"]["requestId"] for e in body["errors"])


async def test_a_bundle_by_code_and_the_bundles_of_a_life_event(gql: GraphQL) -> None:
    body = await gql(
        """
        {
          bundle(code: "B-JHSY") { name lifeEvent { name bundles { code } } items { name } }
          lifeEvents { name bundles { code } }
        }
        """
    )
    bundle = body["data"]["bundle"]
    assert bundle["name"] == "结婚生育一件事"
    assert bundle["lifeEvent"] == {"name": "结婚", "bundles": [{"code": "B-JHSY"}]}
    assert [i["name"] for i in bundle["items"]][:2] == ["婚前医学检查", "婚姻登记（结婚）"]
    by_event = {e["name"]: [b["code"] for b in e["bundles"]] for e in body["data"]["lifeEvents"]}
    assert by_event["出生"] == ["B-XSECS"] and by_event["落户"] == []


async def test_file_addresses_use_the_public_url(seeded_settings: Settings) -> None:
    settings = seeded_settings.model_copy(update={"public_url": "https://hub.yunxi.example/"})
    app = create_app(settings)
    query = '{ service(code: "S-WJJ-001") { materials { blankForm { url } } } }'
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://inside") as http:
            body = (await http.post("/graphql", json={"query": query})).json()
    urls = [m["blankForm"]["url"] for m in body["data"]["service"]["materials"] if m["blankForm"]]
    assert urls and all(u.startswith("https://hub.yunxi.example/files/") for u in urls)


async def test_dataset_providers_count_what_their_filter_finds(gql: GraphQL) -> None:
    providers = (await gql("{ datasetProviders { datasetCount org { id name } } }"))["data"][
        "datasetProviders"
    ]
    counts = [p["datasetCount"] for p in providers]
    assert len(providers) == 30 and counts == sorted(counts, reverse=True)
    query = "query($p: ID) { datasets(filter: {provider: $p}) { totalCount } }"
    for p in providers:  # a department with providing offices below it counts theirs too
        found = await gql(query, {"p": p["org"]["id"]})
        assert found["data"]["datasets"]["totalCount"] == p["datasetCount"], p["org"]["name"]
    by_name = {p["org"]["name"]: p["datasetCount"] for p in providers}
    assert by_name["云溪新区人力资源和社会保障局"] == 146  # 54 of its own
