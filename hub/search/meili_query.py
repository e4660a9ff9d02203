"""A query in Meilisearch terms: its filter expression, its readings (as typed, pinyin,
initials, relaxed), the page parameters and the facet counts of an answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.search.backend import Meaning, SearchFilter
from hub.search.meili_settings import (
    EMBEDDER,
    FACET_ATTRIBUTES,
    INITIALS,
    PINYIN,
    SEMANTIC_RATIO,
)
from hub.search.query import AnalyzedQuery, Variant


def filter_expression(flt: SearchFilter | None) -> list[str]:
    """Meilisearch filter clauses (ANDed) for a :class:`SearchFilter`."""
    if flt is None:
        return []
    out: list[str] = []
    if flt.org_id is not None:
        out.append(f"org_path_ids = {int(flt.org_id)}")
    if flt.theme_ids:
        out.append(f"theme_ids IN [{', '.join(str(int(t)) for t in flt.theme_ids)}]")
    audiences = flt.audiences()
    if audiences:
        out.append(f"audience IN [{', '.join(_quoted(a) for a in audiences)}]")
    if flt.item_types:
        out.append(f"item_type IN [{', '.join(_quoted(t) for t in flt.item_types)}]")
    if flt.online_depth_min is not None:
        out.append(f"online_depth >= {int(flt.online_depth_min)}")
    if flt.max_visits is not None:
        out.append(f"visits <= {int(flt.max_visits)}")
    if flt.life_event_id is not None:
        out.append(f"life_event_ids = {int(flt.life_event_id)}")
    return out


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def readings(query: AnalyzedQuery) -> list[tuple[str, str, list[str] | None, str]]:
    """The searches to try in turn: (reading, q, attributesToSearchOn, matchingStrategy).

    Only the query as typed goes in (question words dropped): Meilisearch applies the
    synonym table itself.
    """
    typed: Variant = next((v for v in query.variants if not v.synonym), query.variants[0])
    words = [t.text for t in typed.terms]
    out: list[tuple[str, str, list[str] | None, str]] = []
    if any(t.cjk or not (t.syllables or t.initials) for t in typed.terms):
        out.append(("typed", " ".join(words), None, "all"))
    syllables = [s for t in typed.terms for s in t.syllables]
    if syllables:
        out.append(("pinyin", " ".join(syllables), PINYIN, "all"))
        out.append(("pinyin", "".join(syllables), PINYIN, "all"))
    letters = [c for t in typed.terms for c in t.initials]
    if letters:
        out.append(("initials", "".join(letters), INITIALS, "all"))
        out.append(("initials", " ".join(letters), INITIALS, "all"))
    if len(words) > 1:
        out.append(("relaxed", " ".join(words), None, "last"))
    return out


def hybrid(meaning: Meaning | None) -> dict[str, Any]:
    """Search parameters for a query with a meaning: Meilisearch's hybrid search over the
    user-provided vectors, fed the query's vector (the same encoder as the documents')."""
    if meaning is None:
        return {}
    return {
        "hybrid": {"embedder": EMBEDDER, "semanticRatio": SEMANTIC_RATIO},
        "vector": [float(x) for x in meaning.vector],
    }


def page_parameters(offset: int, limit: int) -> tuple[list[tuple[int, int]], int]:
    """([(page, hitsPerPage), ...], hits to skip in them): page-based, so totals are exact,
    and never more than ``2 * limit`` hits: the smallest page of ``limit`` to ``2 * limit``
    hits that holds the whole window, else the two pages of ``limit`` hits that do."""
    if limit == 0:
        return [(1, 0)], 0
    for size in range(limit, 2 * limit + 1):
        if offset % size + limit <= size:
            return [(offset // size + 1, size)], offset % size
    page = offset // limit + 1
    return [(page, limit), (page + 1, limit)], offset % limit


def facet_counts(distribution: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {
        name: {str(k): int(v) for k, v in distribution.get(attribute, {}).items()}
        for name, attribute in FACET_ATTRIBUTES.items()
    }
