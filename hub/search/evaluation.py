"""Judged queries and the figures we hold search to: success@1, @3 and @k, and MRR@k.

Used by the relevance tests and by ``bench/search_bench.py``, so both count the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JudgedQuery:
    kind: str  # exact, partial, homophone, pinyin, initials, colloquial, traditional, question
    query: str
    expected: frozenset[str]  # service codes; any one in the top k is a success


@dataclass(frozen=True)
class Score:
    kind: str
    queries: int
    success: float  # share of queries with an expected item in the top k
    mrr: float  # mean of 1 / rank of the first expected item (0 when none in the top k)
    at1: float = 0.0  # share with an expected item first
    at3: float = 0.0  # share with an expected item in the top 3


def load_judged(path: Path) -> list[JudgedQuery]:
    """A TSV of ``kind, query, expected codes (space-separated)``; ``#`` lines are notes."""
    judged = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("kind\t"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[2].split():
            raise ValueError(f"{path.name} line {number}: expected kind, query, codes")
        judged.append(JudgedQuery(parts[0], parts[1], frozenset(parts[2].split())))
    return judged


def reciprocal_rank(found: Sequence[str], expected: frozenset[str], k: int = 10) -> float:
    for rank, code in enumerate(found[:k], start=1):
        if code in expected:
            return 1.0 / rank
    return 0.0


async def evaluate(
    judged: Sequence[JudgedQuery],
    top_codes: Callable[[str], Awaitable[Sequence[str]]],
    k: int = 10,
) -> tuple[list[Score], dict[str, float]]:
    """Scores per kind plus ``"all"``, and each query's reciprocal rank."""
    ranks: dict[str, float] = {}
    by_kind: dict[str, list[float]] = defaultdict(list)
    for item in judged:
        rr = reciprocal_rank(list(await top_codes(item.query)), item.expected, k)
        ranks[item.query] = rr
        by_kind[item.kind].append(rr)
    every = [rr for values in by_kind.values() for rr in values]
    scores = [_score(kind, values) for kind, values in by_kind.items()]
    scores.append(_score("all", every))
    return scores, ranks


def _score(kind: str, values: list[float]) -> Score:
    n = len(values)

    def share(at_least: float) -> float:
        return sum(1 for v in values if v >= at_least) / n if n else 0.0

    return Score(
        kind=kind,
        queries=n,
        success=sum(1 for v in values if v > 0) / n if n else 0.0,
        mrr=sum(values) / n if n else 0.0,
        at1=share(1.0),
        at3=share(1 / 3 - 1e-9),
    )


def table(scores: Sequence[Score], title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'kind':<12} {'queries':>7} {'S@1':>6} {'S@3':>6} {'S@10':>6} {'MRR@10':>7}")
    for s in scores:
        lines.append(
            f"{s.kind:<12} {s.queries:>7} {s.at1:>6.3f} {s.at3:>6.3f} {s.success:>6.3f}"
            f" {s.mrr:>7.3f}"
        )
    return "\n".join(lines)
