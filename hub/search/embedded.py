"""The embedded engine: a tantivy index on disk under ``settings.index_dir``.

Text is analysed in Python by :mod:`hub.search.analysis` and indexed as ready-made tokens
(whitespace-joined, or :class:`tantivy.PreTokenizedString` where readings of one character
share a position), so both engines see the same tokens and highlights are computed in Python.

Layout: ``index_dir/CURRENT`` (JSON: generation directory and the versions it was built
with) and one directory per generation. A full rebuild writes a new generation beside the
live one and switches ``CURRENT`` atomically, so searches never see a half-built index and
another process (the server, while ``hub search reindex`` runs) follows the switch. An index
left by an earlier process is opened as is; only a version change makes it stale.

The fields are in :mod:`hub.search.embedded_schema`, the ranking in
:mod:`hub.search.embedded_query`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import AsyncIterable, Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Query

from hub.search import analysis
from hub.search.backend import (
    FACETS,
    FacetCount,
    SearchBackend,
    SearchError,
    SearchFilter,
    SearchHit,
    SearchResult,
    ServiceDocument,
    documents,
    make_hit,
    page_bounds,
    sorted_facets,
)
from hub.search.embedded_query import QueryBuilder
from hub.search.embedded_schema import (
    SCHEMA_VERSION,
    build_schema,
    guard,
    open_writer,
    to_tantivy,
)
from hub.search.query import AnalyzedQuery, analyze_query, clean_query

log = logging.getLogger(__name__)


_WRITER_HEAP = 64_000_000
_REINDEX_BATCH = 500
_FACET_SIZE = 100_000  # larger than any number of distinct values: counts stay exact

_FACET_FIELDS = {
    "org": "org_id",
    "theme": "theme_ids",
    "audience": "audience",
    "online_depth": "online_depth",
    "visits": "visits",
}


def index_versions() -> dict[str, str]:
    return {"schema": str(SCHEMA_VERSION), "analysis": analysis.index_version()}


class EmbeddedBackend(SearchBackend):
    """tantivy on local disk. Writes are serialised; tantivy work runs in worker threads."""

    name = "embedded"

    def __init__(self, index_dir: Path, *, writer_heap: int = _WRITER_HEAP) -> None:
        self.root = Path(index_dir)
        self._writer_heap = writer_heap
        self._schema = build_schema()
        self._queries = QueryBuilder(self._schema)
        self._state_lock = threading.Lock()
        self._write_lock = asyncio.Lock()
        self._index: tantivy.Index | None = None
        self._generation: str | None = None
        self._current_stamp: int | None = None
        self._stale = True
        self._closed = False

    # opening --------------------------------------------------------------------------

    @classmethod
    async def open(cls, index_dir: Path) -> EmbeddedBackend:
        backend = cls(index_dir)
        await asyncio.to_thread(backend._open)
        return backend

    @property
    def _current_file(self) -> Path:
        return self.root / "CURRENT"

    def _read_current(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._current_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _open(self) -> None:
        """Open the generation named by CURRENT, or start an empty one (marked stale)."""
        self.root.mkdir(parents=True, exist_ok=True)
        analysis.warm_up()
        with self._state_lock:
            current = self._read_current()
            versions = index_versions()
            if current is not None and current.get("schema") == versions["schema"]:
                path = self.root / str(current.get("generation", ""))
                if current.get("generation") and tantivy.Index.exists(str(path)):
                    self._index = guard(
                        "open", lambda: tantivy.Index(self._schema, path=str(path), reuse=True)
                    )
                    self._generation = str(current["generation"])
                    self._current_stamp = self._stamp()
                    self._stale = current.get("analysis") != versions["analysis"]
                    if self._stale:
                        log.info("search index %s is stale (analysis changed)", path)
                    return
            log.info("no usable search index under %s: starting an empty one", self.root)
            generation = self._new_generation()
            self._index = tantivy.Index(self._schema, path=str(self.root / generation))
            self._switch_current(generation)
            self._stale = True

    def _stamp(self) -> int | None:
        try:
            return self._current_file.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _new_generation(self) -> str:
        base = time.strftime("g%Y%m%d%H%M%S")
        for n in range(1000):
            name = f"{base}-{os.getpid()}-{n}"
            path = self.root / name
            if not path.exists():
                path.mkdir(parents=True)
                return name
        raise SearchError(f"embedded index: cannot create a generation under {self.root}")

    def _switch_current(self, generation: str) -> None:
        tmp = self._current_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"generation": generation, **index_versions()}), "utf-8")
        os.replace(tmp, self._current_file)
        self._generation = generation
        self._current_stamp = self._stamp()

    def _live_index(self) -> tantivy.Index:
        """The index to use now, following a switch another process made to CURRENT."""
        if self._closed:
            raise SearchError("embedded index is closed")
        stamp = self._stamp()
        with self._state_lock:
            if stamp != self._current_stamp and stamp is not None:
                current = self._read_current() or {}
                generation = str(current.get("generation", ""))
                path = self.root / generation
                if generation and generation != self._generation and path.is_dir():
                    self._index = guard(
                        "open", lambda: tantivy.Index(self._schema, path=str(path), reuse=True)
                    )
                    self._generation = generation
                    self._stale = current.get("analysis") != index_versions()["analysis"]
                self._current_stamp = stamp
            if self._index is None:
                raise SearchError("embedded index is not open")
            return self._index

    def _remove_old_generations(self, keep: set[str]) -> None:
        """Delete generations older than those kept (names sort by time); a newer one may be
        another process's rebuild in progress."""
        cutoff = min(name for name in keep if name)
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("g") and child.name < cutoff:
                shutil.rmtree(child, ignore_errors=True)

    # writing --------------------------------------------------------------------------

    async def upsert(self, docs: Sequence[ServiceDocument]) -> None:
        if not docs:
            return
        async with self._write_lock:
            await asyncio.to_thread(self._write, list(docs), [d.id for d in docs])

    async def delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        async with self._write_lock:
            await asyncio.to_thread(self._write, [], list(ids))

    def _write(self, docs: list[ServiceDocument], delete_ids: list[int]) -> None:
        prepared = [to_tantivy(d) for d in docs]
        index = self._live_index()

        def write() -> None:
            writer = open_writer(index, self._writer_heap, 1)
            try:
                for doc_id in dict.fromkeys(delete_ids):
                    writer.delete_documents_by_term("id", doc_id)
                for doc in prepared:
                    writer.add_document(doc)
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                with contextlib.suppress(BaseException):
                    writer.rollback()
                raise
            finally:
                del writer
            index.reload()

        guard("write", write)

    async def reindex(
        self, docs: AsyncIterable[ServiceDocument] | Iterable[ServiceDocument]
    ) -> int:
        """Build a new generation beside the live one, then switch to it atomically."""
        async with self._write_lock:
            generation, index, writer = await asyncio.to_thread(self._start_generation)
            count = 0
            try:
                batch: list[ServiceDocument] = []
                async for doc in documents(docs):
                    batch.append(doc)
                    if len(batch) >= _REINDEX_BATCH:
                        await asyncio.to_thread(self._add_batch, writer, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    await asyncio.to_thread(self._add_batch, writer, batch)
                    count += len(batch)
                await asyncio.to_thread(self._finish_generation, generation, index, writer)
            except BaseException:
                await asyncio.to_thread(shutil.rmtree, self.root / generation, True)
                raise
            log.info("search index rebuilt: %d documents in %s", count, generation)
            return count

    def _start_generation(self) -> tuple[str, tantivy.Index, Any]:
        self.root.mkdir(parents=True, exist_ok=True)
        generation = self._new_generation()
        index = guard(
            "create", lambda: tantivy.Index(self._schema, path=str(self.root / generation))
        )
        threads = max(1, min(4, (os.cpu_count() or 1)))
        writer = guard(
            "open writer", lambda: open_writer(index, self._writer_heap * threads, threads)
        )
        return generation, index, writer

    @staticmethod
    def _add_batch(writer: Any, docs: list[ServiceDocument]) -> None:
        prepared = [to_tantivy(d) for d in docs]

        def add() -> None:
            for doc in prepared:
                writer.add_document(doc)

        guard("index", add)

    def _finish_generation(self, generation: str, index: tantivy.Index, writer: Any) -> None:
        def finish() -> None:
            writer.commit()
            writer.wait_merging_threads()
            index.reload()

        guard("commit", finish)
        with self._state_lock:
            previous = self._generation
            self._index = index
            self._switch_current(generation)
            self._stale = False
        # keep the previous generation for readers in other processes that have not switched
        self._remove_old_generations({generation, previous or ""})

    # reading --------------------------------------------------------------------------

    async def search(
        self,
        query: str,
        filter: SearchFilter | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> SearchResult:
        started = time.perf_counter()
        analyzed = analyze_query(query)
        if analyzed.empty:
            return SearchResult.empty(
                query=analyzed.normalized,
                truncated=analyzed.truncated,
                took_ms=(time.perf_counter() - started) * 1000,
            )
        offset, limit = page_bounds(offset, limit)
        searcher = await asyncio.to_thread(self._searcher)
        q = self._queries
        if analyzed.blank:
            plan = q.filtered(Query.all_query(), filter)
        else:
            plan = q.filtered(q.text_query(analyzed), filter)
        hits, (total, facets) = await self._run(searcher, plan, analyzed, offset, limit)
        if total == 0 and any(len(v.terms) > 1 for v in analyzed.variants):
            # nothing has every word: settle for the best that has some (as Meilisearch's
            # matching strategy does)
            plan = q.filtered(q.text_query(analyzed, relaxed=True), filter)
            hits, (total, facets) = await self._run(searcher, plan, analyzed, offset, limit)
        return SearchResult(
            hits=hits,
            total=total,
            facets=facets,
            took_ms=(time.perf_counter() - started) * 1000,
            query=analyzed.normalized,
            truncated=analyzed.truncated,
        )

    def _searcher(self) -> tantivy.Searcher:
        index = self._live_index()
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
            doc_id, name = _stored(searcher, address)
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

    async def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        text, _ = clean_query(prefix)
        compact = text.replace(" ", "")
        limit = max(0, min(int(limit), 50))
        if not compact or limit == 0:
            return []
        return await asyncio.to_thread(self._suggest, compact, limit)

    def _suggest(self, compact: str, limit: int) -> list[str]:
        query = self._queries.suggest_query(compact)
        searcher = guard("open searcher", self._live_index().searcher)
        found = guard("suggest", lambda: searcher.search(query, limit=limit * 4, count=False))
        # the integer part of a score is its tier; among equals, shorter names first
        ranked = sorted(
            ((int(score), _stored(searcher, address)[1]) for score, address in found.hits),
            key=lambda item: (-item[0], len(item[1]), item[1]),
        )
        return list(dict.fromkeys(name for _, name in ranked))[:limit]

    async def count(self) -> int:
        return await asyncio.to_thread(lambda: int(self._live_index().searcher().num_docs))

    async def is_stale(self) -> bool:
        await asyncio.to_thread(self._live_index)
        return self._stale

    async def ping(self) -> bool:
        try:
            await self.count()
        except SearchError:
            return False
        return True

    async def close(self) -> None:
        async with self._write_lock:
            with self._state_lock:
                self._closed = True
                self._index = None


def _stored(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> tuple[int, str]:
    """The id and name stored with a hit."""

    def read() -> tuple[int, str]:
        doc = searcher.doc(address)
        return int(doc.get_first("id") or 0), str(doc.get_first("name") or "")

    return guard("read", read)


def _bucket_key(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
