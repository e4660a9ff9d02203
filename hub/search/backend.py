"""The engine-neutral search interface: what goes in (documents, filters) and what comes out.

Two engines implement :class:`SearchBackend`: the embedded tantivy index (default, no extra
process) and Meilisearch. Both feed on the same analysis (:mod:`hub.search.analysis`), and
the shared contract tests hold them to the same behaviour. Both are an :class:`Engine`, which
does what every search and suggestion starts and ends with (analysing the query, its limits,
the page bounds, timing, the empty answer) and leaves the engine only the matching.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from hub.search.highlight import highlight_html, highlight_spans
from hub.search.query import AnalyzedQuery, analyze_query, clean_query

#: Facet names, in the order a client shows them.
FACETS: tuple[str, ...] = ("org", "theme", "audience", "online_depth", "visits")
#: Largest page, and deepest position (offset + limit) a client may ask for.
MAX_LIMIT = 100
MAX_WINDOW = 10_000
#: Most suggestions one call returns.
MAX_SUGGESTIONS = 50


class SearchError(RuntimeError):
    """The engine failed to answer or to apply a change; the message is one line."""


class SearchUnavailable(SearchError):
    """The engine cannot be reached (down, restarting, misconfigured)."""


@dataclass(frozen=True, slots=True)
class ServiceDocument:
    """What the engines know of a published service item."""

    id: int
    code: str
    name: str
    short_name: str | None
    aliases: list[str]
    description: str
    conditions: str
    materials: list[str]
    org_id: int
    org_name: str
    org_path_ids: list[int]  # root → implementing org, for "whole subtree" filters
    theme_ids: list[int]
    theme_names: list[str]
    audience: str  # "person" | "legal_entity" | "both"
    item_type: str
    online_depth: int  # 0–4
    visits: int  # 0–3
    life_event_ids: list[int] = field(default_factory=list)
    # names of its life events and of the published 一件事 bundles it belongs to, and their
    # descriptions: a life question (要结婚了) finds the items of 结婚 and 结婚生育一件事
    event_names: list[str] = field(default_factory=list)
    event_texts: list[str] = field(default_factory=list)
    # its passage's vector (see hub.search.semantic), for an engine that searches vectors
    # itself; loaded only for such an engine, None until the vector exists
    vector: Sequence[float] | None = None


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a query means (see :mod:`hub.search.semantic`): its vector, for an engine that
    searches vectors itself, and the services nearest to it, for one that fuses ranks."""

    vector: Sequence[float]
    neighbours: Sequence[tuple[int, float]]


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Conditions every hit must meet; ``None`` (or empty) means "any"."""

    org_id: int | None = None  # the org or anything below it
    theme_ids: Sequence[int] | None = None  # any of them
    audience: str | None = None  # "both" items match person and legal_entity
    item_types: Sequence[str] | None = None  # any of them
    online_depth_min: int | None = None
    max_visits: int | None = None
    life_event_id: int | None = None

    def audiences(self) -> tuple[str, ...] | None:
        """Audience values a hit may carry under this filter."""
        if self.audience is None:
            return None
        if self.audience in ("person", "legal_entity"):
            return (self.audience, "both")
        return (self.audience,)

    def matches(self, doc: ServiceDocument) -> bool:
        """The filter's meaning in plain Python (engines translate it; tests compare)."""
        audiences = self.audiences()
        return (
            (self.org_id is None or self.org_id in doc.org_path_ids)
            and (not self.theme_ids or bool(set(self.theme_ids) & set(doc.theme_ids)))
            and (audiences is None or doc.audience in audiences)
            and (not self.item_types or doc.item_type in self.item_types)
            and (self.online_depth_min is None or doc.online_depth >= self.online_depth_min)
            and (self.max_visits is None or doc.visits <= self.max_visits)
            and (self.life_event_id is None or self.life_event_id in doc.life_event_ids)
        )


class Suggestion(NamedTuple):
    """A service whose name completes what the user is typing."""

    id: int
    name: str
    prefix: bool  # the name (or its pinyin or initials) starts with it; else it contains it


class FacetCount(NamedTuple):
    """One facet value (ids and levels as strings, as Meilisearch reports them) and the
    number of matches that have it."""

    value: str
    count: int  # type: ignore[assignment]  # shadows tuple.count, on purpose: (value, count)


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    score: float
    name_highlighted: str  # HTML: matched parts in <em>, everything else escaped
    highlights: list[tuple[int, int]]  # character offsets [start, end) in the name


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[SearchHit]
    total: int  # exact number of matches
    facets: dict[str, list[FacetCount]]  # over all matches, by count descending
    took_ms: float
    query: str = ""  # the normalised query that was run ("" when browsing)
    truncated: bool = False  # the query was too long and was cut

    @classmethod
    def empty(
        cls, *, query: str = "", truncated: bool = False, took_ms: float = 0.0
    ) -> SearchResult:
        return cls(
            hits=[],
            total=0,
            facets={name: [] for name in FACETS},
            took_ms=took_ms,
            query=query,
            truncated=truncated,
        )


class SearchBackend(ABC):
    """A search engine over :class:`ServiceDocument`\\ s. Every method is safe to await from
    the event loop: blocking work runs in a thread."""

    name: str
    #: The engine searches vectors itself: documents carry theirs (ServiceDocument.vector).
    takes_vectors: bool = False

    @abstractmethod
    async def upsert(self, docs: Sequence[ServiceDocument]) -> None:
        """Add or replace documents (by id); searchable when this returns."""

    @abstractmethod
    async def delete(self, ids: Sequence[int]) -> None:
        """Remove documents; unknown ids are ignored."""

    @abstractmethod
    async def search(
        self,
        query: str,
        filter: SearchFilter | None = None,
        offset: int = 0,
        limit: int = 20,
        *,
        meaning: Meaning | None = None,
    ) -> SearchResult:
        """Ranked hits; a blank query browses everything (with facets). ``meaning``: what
        the query means (see :mod:`hub.search.semantic`); the services it brings count in
        the answer."""

    @abstractmethod
    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Services whose names complete what the user is typing (characters, pinyin or
        initials), one per name, best first."""

    @abstractmethod
    async def count(self) -> int:
        """Number of documents in the index."""

    @abstractmethod
    async def reindex(
        self, docs: AsyncIterable[ServiceDocument] | Iterable[ServiceDocument]
    ) -> int:
        """Replace the whole index with ``docs``; returns how many were indexed."""

    @abstractmethod
    async def is_stale(self) -> bool:
        """The index is missing or was built by an older analysis: it must be rebuilt."""

    @abstractmethod
    async def ping(self) -> bool:
        """The engine answers (never raises)."""

    async def ready(self) -> bool:
        """The engine answers and its index exists."""
        return await self.ping()

    async def follow(self) -> None:
        """Show what the index holds now: called when the outbox's ``applied`` counter moved,
        since another process may have written the index (a shared engine always does)."""
        return None

    @contextlib.asynccontextmanager
    async def rebuilding(self) -> AsyncIterator[None]:
        """Held while a starting process decides whether to rebuild, and rebuilds: processes
        that share one index on one machine (the embedded engine's, under ``hub serve
        --workers N``) take turns, so the first builds it and the others find it built. An
        engine with a server of its own shares nothing here."""
        yield

    @abstractmethod
    async def close(self) -> None:
        """Release files, threads and connections."""


class Matches(NamedTuple):
    """What an engine found for an analysed query: one page of hits, the exact total, and
    the facet counts over every match."""

    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetCount]]


class Engine(SearchBackend):
    """A backend that runs queries itself. The start and end of a search are the same for
    every engine and live here: the query analysed (normalised, cut to its longest length,
    question words dropped), nothing to look for answered at once, the page clamped, the time
    taken, and a result without matches given no facet values. The engine only matches."""

    async def search(
        self,
        query: str,
        filter: SearchFilter | None = None,
        offset: int = 0,
        limit: int = 20,
        *,
        meaning: Meaning | None = None,
    ) -> SearchResult:
        started = time.perf_counter()
        analyzed = analyze_query(query)
        if analyzed.empty:
            return SearchResult.empty(
                query=analyzed.normalized,
                truncated=analyzed.truncated,
                took_ms=_ms_since(started),
            )
        offset, limit = page_bounds(offset, limit)
        found = await self._match(analyzed, filter, offset, limit, meaning)
        return SearchResult(
            hits=found.hits,
            total=found.total,
            facets=found.facets if found.total else {name: [] for name in FACETS},
            took_ms=_ms_since(started),
            query=analyzed.normalized,
            truncated=analyzed.truncated,
        )

    @abstractmethod
    async def _match(
        self,
        analyzed: AnalyzedQuery,
        filter: SearchFilter | None,
        offset: int,
        limit: int,
        meaning: Meaning | None = None,
    ) -> Matches:
        """The page at ``offset`` (``limit`` hits, already clamped), the total and the facets
        for a query with something to look for (a blank one browses everything)."""

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        text, _ = clean_query(prefix)
        compact = text.replace(" ", "")
        limit = max(0, min(int(limit), MAX_SUGGESTIONS))
        if not compact or limit == 0:
            return []
        found = await self._suggest(compact, limit)
        first: dict[str, Suggestion] = {}
        for suggestion in found:  # one per name: the best of the services that share it
            first.setdefault(suggestion.name, suggestion)
        return list(first.values())[:limit]

    @abstractmethod
    async def _suggest(self, compact: str, limit: int) -> list[Suggestion]:
        """Services completing ``compact`` (the cleaned prefix, without spaces), best first;
        ``limit`` distinct names or more."""


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def page_bounds(offset: int, limit: int) -> tuple[int, int]:
    """Clamp a requested page into what every engine can serve."""
    offset = max(0, min(int(offset), MAX_WINDOW))
    limit = max(0, min(int(limit), MAX_LIMIT, MAX_WINDOW - offset))
    return offset, limit


def sorted_facets(counts: Mapping[str, Mapping[str, int]]) -> dict[str, list[FacetCount]]:
    """Facet counts by count descending (value ascending among equals), every facet present."""
    return {
        name: [
            FacetCount(value, count)
            for value, count in sorted(
                counts.get(name, {}).items(), key=lambda item: (-item[1], _value_key(item[0]))
            )
            if count > 0
        ]
        for name in FACETS
    }


def _value_key(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def make_hit(query: AnalyzedQuery, doc_id: int, score: float, name: str) -> SearchHit:
    """A hit with its name highlighted for the terms of ``query``."""
    spans = highlight_spans(name, query.terms()) if query.variants else []
    return SearchHit(
        id=doc_id,
        score=float(score),
        name_highlighted=highlight_html(name, spans),
        highlights=spans,
    )


async def documents(
    docs: AsyncIterable[ServiceDocument] | Iterable[ServiceDocument],
) -> AsyncIterator[ServiceDocument]:
    """Iterate either kind of document source (``reindex`` accepts both)."""
    if isinstance(docs, AsyncIterable):
        async for doc in docs:
            yield doc
    else:
        for doc in docs:
            yield doc
