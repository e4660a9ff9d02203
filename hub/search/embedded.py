"""The embedded engine: a tantivy index on disk under ``settings.index_dir``.

Text is analysed in Python by :mod:`hub.search.analysis` and indexed as ready-made tokens
(whitespace-joined, or :class:`tantivy.PreTokenizedString` where readings of one character
share a position), so both engines see the same tokens and highlights are computed in Python.

This module is the engine as the application sees it: writes serialised, tantivy work in
worker threads, and the query side (the plan, the page, the facets, suggestions). The
generations on disk and writing to them are in :mod:`hub.search.embedded_store`, the fields in
:mod:`hub.search.embedded_schema`, the ranking in :mod:`hub.search.embedded_query`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Query

from hub.search import analysis
from hub.search.backend import (
    FACETS,
    Engine,
    FacetCount,
    Matches,
    Meaning,
    SearchError,
    SearchFilter,
    SearchHit,
    ServiceDocument,
    Suggestion,
    documents,
    make_hit,
    sorted_facets,
)
from hub.search.embedded_fusion import fused
from hub.search.embedded_query import FILL, PREFIX_TIER, QueryBuilder, term_weight
from hub.search.embedded_schema import guard, stored
from hub.search.embedded_store import WRITER_HEAP, IndexStore
from hub.search.query import AnalyzedQuery, Term

log = logging.getLogger(__name__)


_REINDEX_BATCH = 500
_FACET_SIZE = 100_000  # larger than any number of distinct values: counts stay exact

_FACET_FIELDS = {
    "org": "org_id",
    "theme": "theme_ids",
    "audience": "audience",
    "online_depth": "online_depth",
    "visits": "visits",
}


class EmbeddedBackend(Engine):
    """tantivy on local disk. Writes are serialised; tantivy work runs in worker threads."""

    name = "embedded"

    def __init__(self, index_dir: Path, *, writer_heap: int = WRITER_HEAP) -> None:
        self.store = IndexStore(index_dir, writer_heap=writer_heap)
        self._queries = QueryBuilder(self.store.schema)
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, index_dir: Path) -> EmbeddedBackend:
        backend = cls(index_dir)
        await asyncio.to_thread(backend._open)
        return backend

    def _open(self) -> None:
        analysis.warm_up()
        self.store.open()

    # writing --------------------------------------------------------------------------

    async def upsert(self, docs: Sequence[ServiceDocument]) -> None:
        if not docs:
            return
        async with self._write_lock:
            await asyncio.to_thread(self.store.write, list(docs), [d.id for d in docs])

    async def delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        async with self._write_lock:
            await asyncio.to_thread(self.store.write, [], list(ids))

    async def reindex(
        self, docs: AsyncIterable[ServiceDocument] | Iterable[ServiceDocument]
    ) -> int:
        """Build a new generation beside the live one, then switch to it atomically."""
        store = self.store
        async with self._write_lock:
            generation, index, writer = await asyncio.to_thread(store.start_generation)
            count = 0
            try:
                batch: list[ServiceDocument] = []
                async for doc in documents(docs):
                    batch.append(doc)
                    if len(batch) >= _REINDEX_BATCH:
                        await asyncio.to_thread(store.add_batch, writer, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    await asyncio.to_thread(store.add_batch, writer, batch)
                    count += len(batch)
                await asyncio.to_thread(store.finish_generation, generation, index, writer)
            except BaseException:
                await asyncio.to_thread(store.discard_generation, generation)
                raise
            log.info("search index rebuilt: %d documents in %s", count, generation)
            return count

    # reading --------------------------------------------------------------------------

    async def _match(
        self,
        analyzed: AnalyzedQuery,
        filter: SearchFilter | None,
        offset: int,
        limit: int,
        meaning: Meaning | None = None,
    ) -> Matches:
        searcher = await asyncio.to_thread(self._searcher)
        q = self._queries
        weights: dict[Term, float] = {}

        def weigh(term: Term) -> float:
            if term not in weights:
                weights[term] = guard("weigh", lambda: term_weight(searcher, term))
            return weights[term]

        if analyzed.blank:
            plan = q.filtered(Query.all_query(), filter)
            hits, (total, facets) = await self._run(searcher, plan, analyzed, offset, limit)
            return Matches(hits, total, facets)
        plan = q.filtered(q.text_query(analyzed, weigh), filter)
        # few items have most of the query: the ones with some of it follow them (as
        # Meilisearch's matching strategy does when nothing has all of it)
        several = any(len(v.terms) > 1 for v in analyzed.variants)

        def filled() -> Query:
            return q.filtered(q.text_query(analyzed, weigh, fill=True), filter)

        neighbours = meaning.neighbours if meaning is not None else ()
        if neighbours:
            if several and await asyncio.to_thread(_count, searcher, plan) < FILL:
                plan = filled()
            near = q.filtered(q.id_set([i for i, _ in neighbours]), filter)
            return await fused(self, searcher, plan, near, analyzed, neighbours, offset, limit)
        hits, (total, facets) = await self._run(searcher, plan, analyzed, offset, limit)
        if several and total < FILL:
            hits, (total, facets) = await self._run(searcher, filled(), analyzed, offset, limit)
        return Matches(hits, total, facets)

    def _searcher(self) -> tantivy.Searcher:
        index = self.store.live_index()
        return guard("open searcher", index.searcher)

    async def _run(
        self,
        searcher: tantivy.Searcher,
        query: Query,
        analyzed: AnalyzedQuery,
        offset: int,
        limit: int,
    ) -> tuple[list[SearchHit], tuple[int, dict[str, list[FacetCount]]]]:
        """The page and the facets (with the total) at once: tantivy runs them in parallel
        threads, without the GIL."""
        return await asyncio.gather(
            asyncio.to_thread(self._page, searcher, query, analyzed, offset, limit),
            asyncio.to_thread(self._facets, searcher, query),
        )

    @staticmethod
    def _page(
        searcher: tantivy.Searcher,
        query: Query,
        analyzed: AnalyzedQuery,
        offset: int,
        limit: int,
    ) -> list[SearchHit]:
        if limit == 0:
            return []
        if analyzed.blank:
            found = guard(
                "search",
                lambda: searcher.search(
                    query,
                    limit=limit,
                    offset=offset,
                    count=False,
                    order_by_field="id",
                    order=tantivy.Order.Asc,
                ),
            )
        else:
            found = guard(
                "search", lambda: searcher.search(query, limit=limit, offset=offset, count=False)
            )
        hits = []
        for score, address in found.hits:
            doc_id, name = stored(searcher, address)
            hits.append(make_hit(analyzed, doc_id, 0.0 if analyzed.blank else float(score), name))
        return hits

    @staticmethod
    def _facets(
        searcher: tantivy.Searcher, query: Query
    ) -> tuple[int, dict[str, list[FacetCount]]]:
        """Exact total and facet counts over every match (one aggregation pass)."""
        request: dict[str, Any] = {
            name: {"terms": {"field": field, "size": _FACET_SIZE}}
            for name, field in _FACET_FIELDS.items()
        }
        request["total"] = {"value_count": {"field": "id"}}
        raw = guard("aggregate", lambda: searcher.aggregate(query, request))
        total = int(raw.get("total", {}).get("value") or 0)
        counts: dict[str, dict[str, int]] = {}
        for name in FACETS:
            buckets = raw.get(name, {}).get("buckets", [])
            counts[name] = {_bucket_key(b["key"]): int(b["doc_count"]) for b in buckets}
        return total, sorted_facets(counts)

    async def _suggest(self, compact: str, limit: int) -> list[Suggestion]:
        return await asyncio.to_thread(self._suggestions, compact, limit)

    def _suggestions(self, compact: str, limit: int) -> list[Suggestion]:
        query = self._queries.suggest_query(compact)
        searcher = guard("open searcher", self.store.live_index().searcher)
        found = guard("suggest", lambda: searcher.search(query, limit=limit * 4, count=False))
        # the integer part of a score is its tier; among equals, shorter names first
        ranked = sorted(
            ((int(score), *stored(searcher, address)) for score, address in found.hits),
            key=lambda item: (-item[0], len(item[2]), item[2], item[1]),
        )
        return [Suggestion(doc_id, name, tier >= PREFIX_TIER) for tier, doc_id, name in ranked]

    async def count(self) -> int:
        return await asyncio.to_thread(lambda: int(self.store.live_index().searcher().num_docs))

    async def is_stale(self) -> bool:
        await asyncio.to_thread(self.store.live_index)
        return self.store.stale

    async def ping(self) -> bool:
        try:
            await self.count()
        except SearchError:
            return False
        return True

    async def follow(self) -> None:
        # another process of this machine may have committed; its reader reloads on its own
        # a little later, this one now
        await asyncio.to_thread(lambda: self.store.live_index().reload())

    @contextlib.asynccontextmanager
    async def rebuilding(self) -> AsyncIterator[None]:
        # an advisory lock on a file beside the generations: the kernel drops it with the
        # process, so a worker that dies mid-rebuild blocks no one
        fd = os.open(self.store.root / "REBUILDING.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    async def close(self) -> None:
        async with self._write_lock:
            self.store.close()


def _count(searcher: tantivy.Searcher, query: Query) -> int:
    """How many documents match (a limit of 0 panics in tantivy: 1, and only the count)."""
    found = guard("count", lambda: searcher.search(query, limit=1, count=True))
    return int(getattr(found, "count", 0) or 0)


def _bucket_key(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
