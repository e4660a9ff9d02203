"""A nested query costs the same number of SQL statements for 10 items as for 100."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL

NESTED = """
query Nested($first: Int!) {
  services(first: $first) {
    totalCount
    edges { node {
      name
      themes { name }
      lifeEvents { name }
      materials {
        necessity
        material { name sourceDataset { name provider { name } } }
        blankForm { url }
        sampleForm { url }
      }
      org { name parent { name parent { name } } }
      relatedItems { name org { name } }
      bundles { name leadOrg { name } }
    } }
  }
}
"""


async def test_statement_count_does_not_grow_with_the_page(
    gql: GraphQL, count_statements: Any
) -> None:
    counts = {}
    for size in (10, 100):
        with count_statements() as counter:
            body = await gql(NESTED, {"first": size})
        assert len(body["data"]["services"]["edges"]) == size
        counts[size] = counter.count
    assert counts[10] == counts[100], counts
    assert counts[100] <= 20, counts
