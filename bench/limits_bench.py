"""What the checks before a query runs cost, in-process: parsing alone (the baseline) against
parsing plus the depth, alias, duplicate and cost walk, for ordinary and hostile documents.

The walk must be linear in the document: a fragment bomb of 30 levels (2**30 spreads once
expanded) must cost about what 20 levels cost, and both about what parsing them costs.

    python bench/limits_bench.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from graphql import get_introspection_query, parse

from hub.graphql.schema import build_schema
from hub.http.limits import Limits, QueryLimiter

PAGE = """
query Page($first: Int) { services(first: $first) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id code name shortName org { id name parent { name } } themes { name }
    materials { material { id code name kind } necessity originals copies } } } } }
"""


def bomb(levels: int) -> str:
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ __typename }}"


def wide(copies: int) -> str:
    return "{ " + " ".join(f"a{i % 30}: rootOrg {{ name }}" for i in range(copies)) + " }"


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    schema = build_schema()._schema
    limiter = QueryLimiter(
        schema, Limits(max_depth=12, max_aliases=30, max_cost=25_000, max_page=100)
    )
    cases = {
        "page of 20 (the app's query)": PAGE,
        "standard introspection": get_introspection_query(descriptions=True),
        "fragment bomb, 10 levels": bomb(10),
        "fragment bomb, 20 levels": bomb(20),
        "fragment bomb, 30 levels": bomb(30),
        "400 repeated selections": wide(400),
    }
    print(f"median of {args.repeat} runs, microseconds\n")
    print(f"{'document':34} {'chars':>6} {'parse':>8} {'walk':>8} {'walk/parse':>10}  verdict")
    for name, text in cases.items():
        document = parse(text, max_tokens=5000)
        parse_us = timed(lambda t=text: parse(t, max_tokens=5000), args.repeat)
        walk_us = timed(lambda d=document: limiter.measure(d), args.repeat)
        figures = limiter.measure(document)
        try:
            limiter.check(figures)
            verdict = f"runs (cost {figures.cost}, introspection {figures.introspection_cost})"
        except Exception as exc:
            verdict = "refused: " + str(exc).split(";")[0]
        print(
            f"{name:34} {len(text):6d} {parse_us:8.0f} {walk_us:8.0f} {walk_us / parse_us:10.2f}"
            f"  {verdict}"
        )


if __name__ == "__main__":
    main()
