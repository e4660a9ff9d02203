"""What the GraphQL layer calls: search and suggestions, plus the zero-result query log.

Queries that find nothing are where the synonym table must grow; they are offered to the
bounded, batched :class:`~hub.search.zero_results.ZeroResultLog`, so logging never holds up
the answer and no caller can make it write at will.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.permissions import require_staff
from hub.auth.viewer import Viewer
from hub.catalogue.services import ServiceFilterArgs
from hub.models import ZeroResultQuery
from hub.search.analysis import is_cjk, normalize
from hub.search.backend import Meaning, SearchBackend, SearchFilter, SearchResult, Suggestion
from hub.search.cards import CardIndex, Cards
from hub.search.query import MAX_QUERY_CHARS, analyze_query
from hub.search.query_log import QueryLog
from hub.search.refreshed import APPLIED_KEY
from hub.search.semantic import DOCS_KEY, VECTORS_KEY, Encoder, VectorIndex
from hub.search.synonyms import REVISION_KEY, SynonymStore, clean_phrase, clean_targets
from hub.search.zero_results import ZeroResultLog


@dataclass(frozen=True, slots=True)
class SynonymEffect:
    """One query as a synonym would change it."""

    query: str  # normalised
    times_seen: int  # in the zero-result log (0 for the phrase itself when never logged)
    total_now: int
    total_with: int
    service_ids: list[int]  # the first hits with the synonym


@dataclass(frozen=True, slots=True)
class LogOffer:
    """What one search offered to the logs, kept with a cached answer so that serving it
    again counts as a search (hot searches, suggestion order, zero-result queries)."""

    query: str
    normalized: str
    total: int


_offers: ContextVar[list[LogOffer] | None] = ContextVar("search_log_offers", default=None)


@contextlib.contextmanager
def recording_offers() -> Iterator[list[LogOffer]]:
    """The log offers the searches inside the block make (the response cache keeps them)."""
    offers: list[LogOffer] = []
    token = _offers.set(offers)
    try:
        yield offers
    finally:
        _offers.reset(token)


def search_filter(args: ServiceFilterArgs) -> SearchFilter:
    """The catalogue's service filter as the engines take it."""
    return SearchFilter(
        org_id=args.org_id,
        theme_ids=list(args.theme_ids) or None,
        audience=args.audience,
        item_types=list(args.item_types) or None,
        online_depth_min=args.online_depth_min,
        max_visits=args.max_visits,
        life_event_id=args.life_event_id,
    )


class SearchService:
    def __init__(
        self,
        backend: SearchBackend,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        log_zero_results: bool = True,
        zero_result_queue: int = 1000,
        zero_result_per_address: int = 30,
        encoder: Encoder | None = None,
    ) -> None:
        self.backend = backend
        self._factory = session_factory
        self._log_zero_results = log_zero_results
        self.zero_results = ZeroResultLog(
            session_factory, queue_size=zero_result_queue, per_address=zero_result_per_address
        )
        self.cards = CardIndex(session_factory)
        self.synonyms = SynonymStore(session_factory)
        self.query_log = QueryLog(session_factory)
        self.encoder = encoder  # None: lexical search alone
        self.vectors = VectorIndex(session_factory)
        self._applied_seen: int | None = None
        #: told how long each engine call took (the app's metrics), by call
        self.observe: Callable[[str, float], None] | None = None
        self._cards_public: str | None = None

    async def search(
        self,
        query: str,
        filter: SearchFilter | None = None,
        offset: int = 0,
        limit: int = 20,
        *,
        address: str = "-",
        claim: Callable[[], bool] | None = None,
        log: bool = True,
    ) -> SearchResult:
        """Search; a first page with something typed is offered to the query log and, when
        it finds nothing, to the zero-result log, when ``claim`` (the request's one slot,
        checked and taken at once) allows it."""
        await self.synonyms.refresh()
        meaning = await self.meaning(query)
        started = time.perf_counter()
        result = await self.backend.search(query, filter, offset, limit, meaning=meaning)
        if self.observe is not None:
            self.observe("search", time.perf_counter() - started)
        first = log and self._log_zero_results and offset == 0 and bool(query.strip())
        if first and (claim is None or claim()):
            normalized = result.query or " ".join(normalize(query).split())
            offer = LogOffer(query, normalized, result.total)
            self.offer(offer, address)
            recorded = _offers.get()
            if recorded is not None:
                recorded.append(offer)
        return result

    def offer(self, offer: LogOffer, address: str) -> None:
        """Offer one search to the query log and, when it found nothing, to the zero-result
        log (each bounded per address)."""
        if not self._log_zero_results:
            return
        self.query_log.offer(offer.normalized, offer.total, address)
        if offer.total == 0:
            self.zero_results.offer(offer.query, offer.normalized, address)

    async def follow(self, state: Mapping[str, int], public: str) -> str:
        """Bring what this process holds in memory up to the database's ``search_state``
        counters and public version, before an answer is computed or looked up by them:
        the synonym table, the index's reader, the 一件事 cards and the vectors. Returns
        what search answers depend on beyond the public version, as a key part."""
        revision = state.get(REVISION_KEY, 0)
        if self.synonyms.revision != revision:
            await self.synonyms.refresh(force=True)
        applied = state.get(APPLIED_KEY, 0)
        if applied != self._applied_seen:
            await self.backend.follow()
            self._applied_seen = applied
        if public != self._cards_public:
            self.cards.expire()
            self._cards_public = public
        docs, vectors = state.get(DOCS_KEY, 0), state.get(VECTORS_KEY, 0)
        if self.encoder is not None and self.vectors.seen != (docs, vectors):
            await self.vectors.refresh(force=True)
        return f"{applied}.{revision}.{docs}.{vectors}.{int(self.encoder is not None)}"

    async def meaning(self, query: str) -> Meaning | None:
        """A Chinese query's vector and the services nearest to it (None without the encoder,
        for Latin-letter queries, or before any vector exists)."""
        text = " ".join(normalize(query).split())[:MAX_QUERY_CHARS]
        if self.encoder is None or not any(is_cjk(ch) for ch in text):
            return None
        await self.vectors.refresh()
        if not self.vectors.ready:
            return None
        encoder, vectors = self.encoder, self.vectors

        def run() -> Meaning:
            vector = encoder.encode([text])[0]
            return Meaning(vector=vector, neighbours=vectors.nearest(vector))

        return await asyncio.to_thread(run)

    async def cards_for(self, query: str, audience: str | None = None) -> Cards:
        """The 一件事 bundles and life events ``query`` is about (see :mod:`hub.search.cards`)."""
        await self.synonyms.refresh()
        return await self.cards.match(analyze_query(query), audience)

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Services completing ``prefix``: names that start with it first, then by how often
        people search for them (the query log), then the engine's order."""
        if not prefix.strip():
            return []
        started = time.perf_counter()
        found = await self.backend.suggest(prefix, limit * 2)
        if self.observe is not None:
            self.observe("suggest", time.perf_counter() - started)
        popular = await self.query_log.popularity()
        order = {s.id: n for n, s in enumerate(found)}
        found.sort(key=lambda s: (not s.prefix, -popular.get(normalize(s.name), 0), order[s.id]))
        return found[:limit]

    async def hot_searches(self, limit: int = 10) -> list[tuple[str, int]]:
        """What people search most this week (see :mod:`hub.search.query_log`)."""
        return await self.query_log.hot(limit)

    async def zero_result_queries_for(
        self, viewer: Viewer, limit: int = 20
    ) -> list[tuple[str, int, datetime]]:
        """:meth:`top_zero_result_queries` for a request: staff only."""
        require_staff(viewer)
        return await self.top_zero_result_queries(limit)

    async def top_zero_result_queries(self, limit: int = 20) -> list[tuple[str, int, datetime]]:
        """(normalised query, times seen, last seen), most frequent first (the operator's
        ``hub search`` command asks this directly)."""
        count = func.count().label("n")
        last = func.max(col(ZeroResultQuery.at)).label("last_at")
        normalized = col(ZeroResultQuery.normalized)
        async with self._factory() as session:
            rows = await session.exec(
                select(normalized, count, last)
                .group_by(normalized)
                .order_by(count.desc(), last.desc(), normalized)
                .limit(limit)
            )
            return [(str(n), int(c), at) for n, c, at in rows.all()]

    async def synonym_preview(
        self, viewer: Viewer, phrase: str, targets: list[str], limit: int = 10
    ) -> list[SynonymEffect]:
        """What adding ``phrase`` → ``targets`` would change (staff only): the phrase itself
        and the most frequent zero-result queries containing it, each with its total now and
        with the synonym (its best reading), and the first hits it would bring."""
        require_staff(viewer)
        key = clean_phrase(phrase)
        words = clean_targets(targets, key)
        normalized = col(ZeroResultQuery.normalized)
        count = func.count().label("n")
        async with self._factory() as session:
            rows = await session.exec(
                select(normalized, count)
                .where(normalized.contains(key))
                .group_by(normalized)
                .order_by(count.desc(), normalized)
                .limit(limit)
            )
            logged = [(str(q), int(n)) for q, n in rows.all()]
        asked = [(key, 0), *((q, n) for q, n in logged if q != key)]
        effects = []
        for query, seen in asked:
            now = await self.backend.search(query, None, 0, 0)
            best: SearchResult | None = None
            for word in words:
                found = await self.backend.search(query.replace(key, f" {word} "), None, 0, 3)
                if best is None or found.total > best.total:
                    best = found
            assert best is not None
            effects.append(
                SynonymEffect(query, seen, now.total, best.total, [h.id for h in best.hits])
            )
        return effects

    async def flush(self) -> None:
        """Write the log records still queued (tests, shutdown)."""
        await self.zero_results.flush()
        await self.query_log.flush()

    async def aclose(self) -> None:
        await self.zero_results.aclose()
        await self.query_log.aclose()
