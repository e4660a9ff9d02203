"""The embedded engine: a tantivy index on disk under ``settings.index_dir``.

Text is analysed in Python by :mod:`hub.search.analysis` and indexed as ready-made tokens
(whitespace-joined, or :class:`tantivy.PreTokenizedString` where readings of one character
share a position), so both engines see the same tokens and highlights are computed in Python.

Layout: ``index_dir/CURRENT`` (JSON: generation directory and the versions it was built
with) and one directory per generation. A full rebuild writes a new generation beside the
live one and switches ``CURRENT`` atomically, so searches never see a half-built index and
another process (the server, while ``hub search reindex`` runs) follows the switch. An index
left by an earlier process is opened as is; only a version change makes it stale.

Ranking: each query term scores the best *tier* it reaches (name word > name substring >
alias > name pinyin > name initials > theme and org names > description, conditions and
materials), a query scores the mean over its terms, an exact
name adds far more than any sum of terms, and a small BM25 share over the name breaks ties
in favour of shorter, more focused names.
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
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import tantivy
from tantivy import Occur, Query

from hub.search import analysis
from hub.search.analysis import AnalyzedQuery, Term, Variant, analyze_query
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
from hub.search.fields import index_fields

log = logging.getLogger(__name__)

#: Bump when the tantivy fields change; an index with another layout is rebuilt, not opened.
SCHEMA_VERSION = 4

_WRITER_HEAP = 64_000_000
_REINDEX_BATCH = 500
_FACET_SIZE = 100_000  # larger than any number of distinct values: counts stay exact

# score tiers (see the module docstring)
EXACT_NAME = 1000.0
EXACT_ALIAS = 600.0
EXACT_PINYIN = 500.0
EXACT_INITIALS = 400.0
EXACT_ALIAS_PINYIN = 300.0
EXACT_ALIAS_INITIALS = 200.0
NAME_WORD = 10.0
NAME_SUBSTRING = 8.0
ALIAS = 7.0
NAME_PINYIN = 4.0
ALIAS_PINYIN = 3.5
NAME_INITIALS = 3.0
ALIAS_INITIALS = 2.5
TAGS = 2.0  # theme and org names
TEXT = 1.0  # description, conditions, materials
CONTIGUOUS = 5.0  # every term of a multi-word query, in order, inside the name
TIE_BREAK = 0.02
MORE_EVIDENCE = 0.1  # share of the other tiers a term reaches, on top of its best one
# what was typed (even in an alias) beats what the synonym table guessed
SYNONYM_WEIGHT = 0.65

_FACET_FIELDS = {
    "org": "org_id",
    "theme": "theme_ids",
    "audience": "audience",
    "online_depth": "online_depth",
    "visits": "visits",
}

T = TypeVar("T")


def _is_panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException"


def _guard(action: str, fn: Callable[[], T]) -> T:
    """Run a tantivy call; a Rust panic (a BaseException) or error becomes SearchError."""
    try:
        return fn()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except SearchError:
        raise
    except BaseException as exc:
        if isinstance(exc, Exception) or _is_panic(exc):
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SearchError(f"embedded index: {action} failed: {message}") from None
        raise


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    sb.add_text_field("name", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("name_exact", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("name_words", tokenizer_name="whitespace")
    sb.add_text_field("name_grams", tokenizer_name="whitespace")
    sb.add_text_field("name_py", tokenizer_name="whitespace")
    sb.add_text_field("name_ini", tokenizer_name="whitespace")
    sb.add_text_field("name_py_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("name_ini_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("alias_exact", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("alias_words", tokenizer_name="whitespace")
    sb.add_text_field("alias_grams", tokenizer_name="whitespace")
    sb.add_text_field("alias_py", tokenizer_name="whitespace")
    sb.add_text_field("alias_ini", tokenizer_name="whitespace")
    sb.add_text_field("alias_py_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("alias_ini_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("tag_words", tokenizer_name="whitespace")
    sb.add_text_field("tag_grams", tokenizer_name="whitespace")
    sb.add_text_field("text_words", tokenizer_name="whitespace")
    sb.add_integer_field("org_id", indexed=True, fast=True)
    sb.add_integer_field("org_path", indexed=True)
    sb.add_integer_field("theme_ids", indexed=True, fast=True)
    sb.add_text_field("audience", tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field("item_type", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("online_depth", indexed=True, fast=True)
    sb.add_integer_field("visits", indexed=True, fast=True)
    sb.add_integer_field("life_event_ids", indexed=True)
    return sb.build()


def index_versions() -> dict[str, str]:
    return {"schema": str(SCHEMA_VERSION), "analysis": analysis.index_version()}


def _pre_tokenized(positions: Sequence[tuple[int, str]]) -> tantivy.PreTokenizedString:
    return tantivy.PreTokenizedString("", [tantivy.Token(t, p, 0, 0) for p, t in positions])


def to_tantivy(doc: ServiceDocument) -> tantivy.Document:
    """Analyse one service into index fields (the costly part of indexing)."""
    f = index_fields(doc)
    out = tantivy.Document(
        id=doc.id,
        name=doc.name,
        name_exact=f.name_exact,
        name_words=" ".join(f.name_words),
        name_grams=" ".join(f.name_grams),
        name_py_joined=f.name_py_joined,
        name_ini_joined=f.name_ini_joined,
        alias_words=" ".join(f.alias_words),
        alias_grams=" ".join(f.alias_grams),
        tag_words=" ".join(f.tag_words),
        tag_grams=" ".join(f.tag_grams),
        text_words=" ".join(f.text_words),
        org_id=doc.org_id,
        org_path=list(doc.org_path_ids) or [doc.org_id],
        audience=doc.audience,
        item_type=doc.item_type,
        online_depth=doc.online_depth,
        visits=doc.visits,
    )
    for field_name, values in (
        ("alias_exact", f.alias_exact),
        ("alias_py_joined", f.alias_py_joined),
        ("alias_ini_joined", f.alias_ini_joined),
    ):
        for value in values:
            out.add_text(field_name, value)
    for theme_id in doc.theme_ids:
        out.add_integer("theme_ids", theme_id)
    for event_id in doc.life_event_ids:
        out.add_integer("life_event_ids", event_id)
    out.add_pre_tokenized_text("name_py", _pre_tokenized(f.name_py))
    out.add_pre_tokenized_text("name_ini", _pre_tokenized(f.name_ini))
    out.add_pre_tokenized_text("alias_py", _pre_tokenized(f.alias_py))
    out.add_pre_tokenized_text("alias_ini", _pre_tokenized(f.alias_ini))
    return out


class _QueryBuilder:
    """Turns an analysed query and a filter into tantivy queries (no tantivy I/O here)."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    # leaves -----------------------------------------------------------------------------

    def term(self, field: str, value: Any) -> Query:
        return Query.term_query(self.schema, field, value)

    def phrase(self, field: str, words: Sequence[tuple[int, str]]) -> Query:
        # a one-word phrase panics in tantivy: fall back to a term query
        if len(words) == 1:
            return self.term(field, words[0][1])
        return Query.phrase_query(self.schema, field, list(words))

    def syllables(self, field: str, syllables: Sequence[str], prefix: bool) -> Query:
        if prefix:
            return Query.phrase_prefix_query(self.schema, field, list(syllables))
        return self.phrase(field, list(enumerate(syllables)))

    def substring(self, field: str, text: str) -> Query:
        return self.phrase(field, analysis.substring_phrase(text))

    @staticmethod
    def any_of(*queries: Query) -> Query:
        return Query.boolean_query([(Occur.Should, q) for q in queries])

    @staticmethod
    def tier(query: Query, score: float) -> Query:
        return Query.const_score_query(query, score)

    # terms and variants ---------------------------------------------------------------

    def term_query(self, term: Term) -> Query:
        tiers: list[Query] = [
            self.tier(self.term("name_words", term.text), NAME_WORD),
            self.tier(self.substring("name_grams", term.text), NAME_SUBSTRING),
            self.tier(
                self.any_of(
                    self.term("alias_words", term.text), self.substring("alias_grams", term.text)
                ),
                ALIAS,
            ),
            self.tier(
                self.any_of(
                    self.term("tag_words", term.text), self.substring("tag_grams", term.text)
                ),
                TAGS,
            ),
            self.tier(self.term("text_words", term.text), TEXT),
        ]
        tie_break = self.term("name_grams", term.text[:2])
        if term.syllables:
            syllables, partial = term.syllables, term.partial
            tiers.append(self.tier(self.syllables("name_py", syllables, partial), NAME_PINYIN))
            tiers.append(self.tier(self.syllables("alias_py", syllables, partial), ALIAS_PINYIN))
            if not term.cjk:
                tie_break = self.term("name_py", syllables[0])
        if len(term.initials) >= 2:
            initials = term.initials
            pairs = analysis.initials_phrase(initials)
            tiers.append(self.tier(self.phrase("name_ini", pairs), NAME_INITIALS))
            tiers.append(self.tier(self.phrase("alias_ini", pairs), ALIAS_INITIALS))
        best = Query.disjunction_max_query(tiers, tie_breaker=MORE_EVIDENCE)
        return Query.boolean_query(
            [(Occur.Must, best), (Occur.Should, Query.boost_query(tie_break, TIE_BREAK))]
        )

    def bonuses(self, variant: Variant) -> list[Query]:
        out = [
            self.tier(self.term("name_exact", variant.compact), EXACT_NAME),
            self.tier(self.term("alias_exact", variant.compact), EXACT_ALIAS),
        ]
        terms = variant.terms
        if all(t.cjk for t in terms) and len(terms) >= 2:
            out.append(self.tier(self.substring("name_grams", variant.compact), CONTIGUOUS))
        if all(not t.cjk and t.syllables and not t.partial for t in terms):
            joined = "".join(s for t in terms for s in t.syllables)
            out.append(self.tier(self.term("name_py_joined", joined), EXACT_PINYIN))
            out.append(self.tier(self.term("alias_py_joined", joined), EXACT_ALIAS_PINYIN))
        if len(terms) == 1 and terms[0].initials:
            initials = "".join(terms[0].initials)
            out.append(self.tier(self.term("name_ini_joined", initials), EXACT_INITIALS))
            out.append(self.tier(self.term("alias_ini_joined", initials), EXACT_ALIAS_INITIALS))
        return out

    def variant_query(self, variant: Variant, relaxed: bool) -> Query:
        occur = Occur.Should if relaxed else Occur.Must
        clauses = [(occur, self.term_query(t)) for t in variant.terms]
        clauses += [(Occur.Should, b) for b in self.bonuses(variant)]
        if relaxed:
            return Query.boolean_query(clauses, minimum_number_should_match=1)
        return Query.boolean_query(clauses)

    def text_query(self, query: AnalyzedQuery, relaxed: bool = False) -> Query:
        # a variant scores the mean of its terms, so that readings with different numbers of
        # words compare fairly (生 孩子 against 生育)
        variants = [
            Query.boost_query(
                self.variant_query(v, relaxed),
                (SYNONYM_WEIGHT if v.synonym else 1.0) / len(v.terms),
            )
            for v in query.variants
        ]
        if len(variants) == 1:
            return variants[0]
        return Query.boolean_query([(Occur.Should, v) for v in variants])

    # filters --------------------------------------------------------------------------

    def filters(self, flt: SearchFilter | None) -> list[Query]:
        if flt is None:
            return []
        out: list[Query] = []
        if flt.org_id is not None:
            out.append(self.term("org_path", flt.org_id))
        if flt.theme_ids:
            out.append(Query.term_set_query(self.schema, "theme_ids", list(flt.theme_ids)))
        audiences = flt.audiences()
        if audiences:
            out.append(Query.term_set_query(self.schema, "audience", list(audiences)))
        if flt.item_types:
            out.append(Query.term_set_query(self.schema, "item_type", list(flt.item_types)))
        if flt.online_depth_min is not None:
            out.append(self.int_range("online_depth", lower=flt.online_depth_min))
        if flt.max_visits is not None:
            out.append(self.int_range("visits", upper=flt.max_visits))
        if flt.life_event_id is not None:
            out.append(self.term("life_event_ids", flt.life_event_id))
        return out

    def int_range(self, field: str, lower: int | None = None, upper: int | None = None) -> Query:
        return Query.range_query(
            self.schema,
            field,
            tantivy.FieldType.Integer,
            lower_bound=lower if lower is not None else -(2**62),
            upper_bound=upper if upper is not None else 2**62,
        )

    def filtered(self, query: Query, flt: SearchFilter | None) -> Query:
        filters = self.filters(flt)
        if not filters:
            return query
        clauses = [(Occur.Must, query)]
        clauses += [(Occur.Must, Query.const_score_query(f, 0.0)) for f in filters]
        return Query.boolean_query(clauses)

    # suggestions ----------------------------------------------------------------------

    def suggest_query(self, compact: str) -> Query:
        """Names starting with what was typed first, then names containing it."""
        if all(analysis.is_cjk(ch) for ch in compact):
            tiers = [
                self.tier(Query.regex_query(self.schema, "name_exact", f"{compact}.*"), 100.0),
                self.tier(self.substring("name_grams", compact), 10.0),
                self.tier(Query.regex_query(self.schema, "alias_exact", f"{compact}.*"), 8.0),
            ]
            tie_break = self.term("name_grams", compact[:2])
        elif not (compact.isascii() and compact.isalnum()):
            tiers = [self.tier(self.substring("name_grams", compact), 10.0)]
            tie_break = self.term("name_grams", compact[:2])
        else:
            tiers = [
                self.tier(Query.regex_query(self.schema, "name_py_joined", f"{compact}.*"), 100.0),
                self.tier(Query.regex_query(self.schema, "name_ini_joined", f"{compact}.*"), 90.0),
                self.tier(Query.regex_query(self.schema, "name_exact", f"{compact}.*"), 90.0),
            ]
            tie_break = self.term("name_ini", compact[0])
            split = analysis.split_pinyin(compact) if compact.isalpha() else None
            if split is not None:
                syllables, partial = split
                tiers.append(self.tier(self.syllables("name_py", syllables, partial), 10.0))
                tie_break = self.term("name_py", syllables[0])
            if compact.isalpha() and len(compact) >= 2:
                pairs = analysis.initials_phrase(compact)
                tiers.append(self.tier(self.phrase("name_ini", pairs), 5.0))
        return Query.boolean_query(
            [
                (Occur.Must, self.any_of(*tiers)),
                (Occur.Should, Query.boost_query(tie_break, TIE_BREAK)),
            ]
        )


class EmbeddedBackend(SearchBackend):
    """tantivy on local disk. Writes are serialised; tantivy work runs in worker threads."""

    name = "embedded"

    def __init__(self, index_dir: Path, *, writer_heap: int = _WRITER_HEAP) -> None:
        self.root = Path(index_dir)
        self._writer_heap = writer_heap
        self._schema = build_schema()
        self._queries = _QueryBuilder(self._schema)
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
                    self._index = _guard(
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
                    self._index = _guard(
                        "open", lambda: tantivy.Index(self._schema, path=str(path), reuse=True)
                    )
                    self._generation = generation
                    self._stale = current.get("analysis") != index_versions()["analysis"]
                self._current_stamp = stamp
            if self._index is None:
                raise SearchError("embedded index is not open")
            return self._index

    def _remove_old_generations(self, keep: set[str]) -> None:
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("g") and child.name not in keep:
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
            writer = index.writer(self._writer_heap, 1)
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

        _guard("write", write)

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
        index = _guard(
            "create", lambda: tantivy.Index(self._schema, path=str(self.root / generation))
        )
        threads = max(1, min(4, (os.cpu_count() or 1)))
        writer = _guard("open writer", lambda: index.writer(self._writer_heap * threads, threads))
        return generation, index, writer

    @staticmethod
    def _add_batch(writer: Any, docs: list[ServiceDocument]) -> None:
        prepared = [to_tantivy(d) for d in docs]

        def add() -> None:
            for doc in prepared:
                writer.add_document(doc)

        _guard("index", add)

    def _finish_generation(self, generation: str, index: tantivy.Index, writer: Any) -> None:
        def finish() -> None:
            writer.commit()
            writer.wait_merging_threads()
            index.reload()

        _guard("commit", finish)
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
        return _guard("open searcher", index.searcher)

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
            found = _guard(
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
            found = _guard(
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
        raw = _guard("aggregate", lambda: searcher.aggregate(query, request))
        total = int(raw.get("total", {}).get("value") or 0)
        counts: dict[str, dict[str, int]] = {}
        for name in FACETS:
            buckets = raw.get(name, {}).get("buckets", [])
            counts[name] = {_bucket_key(b["key"]): int(b["doc_count"]) for b in buckets}
        return total, sorted_facets(counts)

    async def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        text, _ = analysis.clean_query(prefix)
        compact = text.replace(" ", "")
        limit = max(0, min(int(limit), 50))
        if not compact or limit == 0:
            return []
        return await asyncio.to_thread(self._suggest, compact, limit)

    def _suggest(self, compact: str, limit: int) -> list[str]:
        query = self._queries.suggest_query(compact)
        searcher = _guard("open searcher", self._live_index().searcher)
        found = _guard("suggest", lambda: searcher.search(query, limit=limit * 4, count=False))
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

    return _guard("read", read)


def _bucket_key(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
