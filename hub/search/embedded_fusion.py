"""The embedded engine's answer when a query has neighbours by meaning (see
:mod:`hub.search.semantic`): the lexical matches and the neighbours that pass the filter are
one answer, counted and faceted together, and its first :data:`WINDOW` positions are the
lexical ranking fused with the neighbours'; past them, the lexical order goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import tantivy
from tantivy import Occur, Query

from hub.search.backend import Matches, SearchHit, make_hit
from hub.search.embedded_query import NAME_CONTAINS
from hub.search.embedded_schema import guard, stored
from hub.search.query import AnalyzedQuery
from hub.search.semantic import RRF_K, WEIGHT, fuse

if TYPE_CHECKING:
    from hub.search.embedded import EmbeddedBackend

#: Lexical positions fused with the neighbours.
WINDOW = 50

Ranked = list[tuple[int, float, str]]  # (id, score, name)


def ranked(searcher: tantivy.Searcher, query: Query, offset: int, limit: int) -> Ranked:
    """Hits of ``query`` from ``offset``, best first, with their ids and names."""
    if limit <= 0:
        return []
    found = guard("search", lambda: searcher.search(query, limit=limit, offset=offset, count=False))

    out = []
    for score, address in found.hits:
        doc_id, name = stored(searcher, address)
        out.append((doc_id, float(score), name))
    return out


async def fused(
    engine: EmbeddedBackend,
    searcher: tantivy.Searcher,
    lexical_plan: Query,
    near_plan: Query,
    analyzed: AnalyzedQuery,
    neighbours: Sequence[tuple[int, float]],
    offset: int,
    limit: int,
) -> Matches:
    union = Query.boolean_query(
        [(Occur.Should, lexical_plan), (Occur.Should, Query.const_score_query(near_plan, 0.0))]
    )
    lexical, passing, (total, facets) = await asyncio.gather(
        asyncio.to_thread(ranked, searcher, lexical_plan, 0, WINDOW),
        asyncio.to_thread(ranked, searcher, near_plan, 0, len(neighbours)),
        asyncio.to_thread(engine._facets, searcher, union),
    )
    names = {doc_id: name for doc_id, _, name in (*lexical, *passing)}
    allowed = {doc_id for doc_id, _, _ in passing}
    scores = {doc_id: score for doc_id, score, _ in lexical}
    head = fuse(
        [(doc_id, score) for doc_id, score, _ in lexical],
        [(doc_id, cosine) for doc_id, cosine in neighbours if doc_id in allowed],
        WEIGHT,
        NAME_CONTAINS,
    )
    page: list[tuple[int, float]] = [
        (doc_id, _score(doc_id, position, scores))
        for position, doc_id in enumerate(head[offset : offset + limit], start=offset)
    ]
    wanted = offset + limit
    if len(page) < limit and wanted > len(head) and total > len(head):
        # past the fused head: the lexical order from WINDOW on, without what the head had
        seen = set(head)
        more = await asyncio.to_thread(
            ranked, searcher, lexical_plan, WINDOW, wanted - len(head) + len(allowed)
        )
        rest = [item for item in more if item[0] not in seen]
        skip = max(0, offset - len(head))
        for n, (doc_id, _, name) in enumerate(rest[skip : skip + limit - len(page)]):
            names[doc_id] = name
            page.append((doc_id, 1.0 / (RRF_K + WINDOW + skip + n + 1)))
    hits: list[SearchHit] = [
        make_hit(analyzed, doc_id, score, names.get(doc_id, "")) for doc_id, score in page
    ]
    return Matches(hits, total, facets)


def _score(doc_id: int, position: int, lexical: dict[int, float]) -> float:
    """A score that falls with the position: exact and near-exact names keep their lexical
    score (NAME_CONTAINS and up), the fused part gets the reciprocal of its rank."""
    score = lexical.get(doc_id, 0.0)
    if score >= NAME_CONTAINS:
        return score
    return 1.0 / (RRF_K + position + 1)
