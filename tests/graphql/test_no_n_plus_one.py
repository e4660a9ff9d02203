"""A nested query costs the same number of SQL statements for 10 items as for 100."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL

SERVICES_MATERIALS_FORMS_ORGS = """
query Nested($first: Int!) {
  services(first: $first) {
    totalCount
    edges { node {
      name
      materials { necessity material { name } blankForm { url } sampleForm { url } }
      org { name parent { name } }
    } }
  }
}
"""

EVERY_RELATION = """
query Everything($first: Int!) {
  services(first: $first) {
    edges { node {
      themes { name }
      lifeEvents { name }
      materials { material { name sourceDataset { name provider { name } } } }
      org { name parent { name parent { name } } }
      relatedItems { name org { name } }
      bundles { name leadOrg { name } }
    } }
  }
}
"""


async def _statements(gql: GraphQL, count_statements: Any, query: str, size: int) -> int:
    async with count_statements() as counter:
        body = await gql(query, {"first": size})
    assert len(body["data"]["services"]["edges"]) == size
    return int(counter.count)


async def test_statement_count_does_not_grow_with_the_page(
    gql: GraphQL, count_statements: Any
) -> None:
    # given the nested query: services → materials → forms, and → org → parent
    # when it runs at page sizes 10 and 100
    ten = await _statements(gql, count_statements, SERVICES_MATERIALS_FORMS_ORGS, 10)
    hundred = await _statements(gql, count_statements, SERVICES_MATERIALS_FORMS_ORGS, 100)
    # then: count, page, requirements, materials, files, orgs, parents
    assert ten == hundred == 7


EXEMPTIONS = """
query Exemptions($first: Int!) {
  services(first: $first) {
    edges { node {
      materials { exempt exemptionBackedBy { name } exemptionMissing { name provider { name } } }
    } }
  }
}
"""


async def test_the_exemption_check_is_batched(gql: GraphQL, count_statements: Any) -> None:
    # whether each 免提交 holds (a grant behind it) is one check a page, not one a material
    ten = await _statements(gql, count_statements, EXEMPTIONS, 10)
    hundred = await _statements(gql, count_statements, EXEMPTIONS, 100)
    assert hundred == ten, (ten, hundred)


async def test_every_relation_is_batched(gql: GraphQL, count_statements: Any) -> None:
    # A DataLoader batches what is asked for in the same tick, so a deep query may split a
    # level into two batches at one page size and not another; it never grows with the page.
    ten = await _statements(gql, count_statements, EVERY_RELATION, 10)
    hundred = await _statements(gql, count_statements, EVERY_RELATION, 100)
    assert hundred <= ten <= 14, (ten, hundred)


NESTED_PAGES = """
query NestedPages($audience: Audience) {
  themes(audience: $audience) {
    name
    services(first: 3) { totalCount edges { node { name org { name } } } }
  }
  rootOrg { children {
    services(first: 2) { totalCount edges { node { name } } }
    datasets(first: 2) { totalCount edges { node { name } } }
  } }
}
"""


async def test_connections_nested_in_lists_are_batched(gql: GraphQL, count_statements: Any) -> None:
    counts = {}
    for audience in ("LEGAL_ENTITY", None):
        async with count_statements() as counter:
            body = await gql(NESTED_PAGES, {"audience": audience})
        counts[audience] = (counter.count, len(body["data"]["themes"]))
    (few_statements, few_themes), (all_statements, all_themes) = counts.values()
    assert all_themes > few_themes
    assert few_statements == all_statements, counts
    themes = body["data"]["themes"]
    assert all(len(t["services"]["edges"]) == min(3, t["services"]["totalCount"]) for t in themes)
