"""Meilisearch as the engine, through the official (synchronous) client run in threads.

Needs Meilisearch v1.10 or newer (``localizedAttributes``); the first call checks the server's
version and refuses an older one (see :mod:`hub.search.meili_client`).

The hub owns the index: it creates it, pushes the settings (searchable attributes in rank
order, filters, sorts, the synonym table, typo tolerance, Chinese locale, pagination,
faceting) and sends the same pre-analysed fields as the embedded engine (see
:mod:`hub.search.fields`), so pinyin, initials and n-grams are plain words to Meilisearch.
The settings go to the live index once per process, before its first write, and count only
once their task has succeeded; the index version records them, so an index built with other
settings is stale and rebuilt.

A query is tried as typed (Chinese words; synonyms applied by Meilisearch), then by its
pinyin, then by its initials, then with trailing words dropped, stopping at the first reading
that finds anything. Each is a page-based search (one page of at most twice the requested
number of hits, or two pages of that number when no single page holds the window), so the
facet counts are exhaustive. ``totalHits`` is exact only below ``maxTotalHits``
(:data:`~hub.search.meili_settings.MAX_TOTAL_HITS`, which is MAX_WINDOW): the server counts
every match but reports at most that many, while facet counts are not capped. As every
document has exactly one ``online_depth``, the counts of that facet add up to the exact
total, which is what the hub reports when it is larger.

Every write waits for its task and fails with the task's id and error. A full reindex builds
``<index>_<timestamp>_<random>``, swaps it with the live index and deletes the old one; if
anything fails on the way (creating it included) the building index is deleted and the live
one is left as it was. Reads and writes use separate clients (see
:mod:`hub.search.meili_client` for why).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from meilisearch.errors import MeilisearchApiError

from hub.search import analysis
from hub.search.backend import (
    Engine,
    Matches,
    Meaning,
    SearchError,
    SearchFilter,
    ServiceDocument,
    Suggestion,
    documents,
    make_hit,
    sorted_facets,
)
from hub.search.meili_client import (
    MIN_VERSION,
    MIN_VERSION_SEMANTIC,
    Connection,
    make_client,
)
from hub.search.meili_documents import id_filter, to_meili_document
from hub.search.meili_query import (
    facet_counts,
    filter_expression,
    hybrid,
    page_parameters,
    readings,
)
from hub.search.meili_settings import (
    BATCH,
    COUNTING_FACET,
    FACET_ATTRIBUTES,
    HIT_FIELDS,
    READING_WEIGHTS,
    SUGGEST_FIELDS,
    index_settings,
    settings_fingerprint,
)
from hub.search.query import AnalyzedQuery
from hub.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


def exact_total(answer: Mapping[str, Any]) -> int:
    """The number of matches: ``totalHits`` stops at ``maxTotalHits``, the counts of the one
    facet every document has exactly one value of do not."""
    reported = int(answer.get("totalHits") or 0)
    counts = (answer.get("facetDistribution") or {}).get(COUNTING_FACET) or {}
    return max(reported, sum(int(n) for n in counts.values()))


class MeiliBackend(Engine):
    name = "meilisearch"

    def __init__(
        self,
        url: str,
        api_key: str | None,
        index: str = "services",
        *,
        timeout_s: int = 10,
        client: Any = None,
        writer: Any = None,
        semantic: bool = False,
    ) -> None:
        """``client`` (reads) and ``writer`` replace the real clients in tests; a stand-in
        given as ``client`` alone serves both. ``semantic``: documents carry their vectors
        and Chinese queries search hybrid (hub.search.semantic)."""
        self.takes_vectors = semantic
        self.url = url
        self.index_name = index
        self.meta_index = f"{index}__hub"
        # two clients, not one: a client's headers dict is rewritten by every request, so a
        # health check could strip the Content-Type of a swap in flight (see meili_client)
        reader = client or make_client(url, api_key, timeout_s)
        writer = writer or client or make_client(url, api_key, timeout_s)
        minimum = MIN_VERSION_SEMANTIC if semantic else MIN_VERSION
        self._conn = Connection(url, reader, writer, minimum)
        self._write_lock = asyncio.Lock()
        self._ensured = False  # the live index exists and its settings task has succeeded
        self._synonyms_pushed: str | None = None  # version of the table the live index has

    @classmethod
    def from_settings(cls, settings: Settings) -> MeiliBackend:
        if not settings.meili_url:
            raise SearchError("HUB_SEARCH_BACKEND=meilisearch needs HUB_MEILI_URL")
        key = settings.meili_key.get_secret_value() if settings.meili_key else None
        return cls(settings.meili_url, key, settings.meili_index, semantic=settings.search_semantic)

    # plumbing -------------------------------------------------------------------------

    async def _call(self, what: str, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(self._conn.guarded, what, fn)

    def _settings(self) -> dict[str, Any]:
        return index_settings(analysis.synonym_table().mapping, self.takes_vectors)

    def _version(self) -> str:
        """What the index depends on: the analysis and the settings it was built with (the
        synonyms aside: they change without a rebuild, see :meth:`_current_synonyms`)."""
        built = {k: v for k, v in self._settings().items() if k != "synonyms"}
        return f"{analysis.index_version()};settings={settings_fingerprint(built)}"

    async def _current_synonyms(self) -> None:
        """Push the synonym table to the live index when it changed since the last push (the
        staff's table in the database, see hub.search.synonyms): no reindex, one task."""
        table = analysis.synonym_table()
        if table.version == self._synonyms_pushed:
            return
        synonyms = {key: list(values) for key, values in table.mapping.items()}
        try:
            async with self._write_lock:
                pushed = await self._call(
                    "synonyms", lambda: self._conn.push_synonyms(self.index_name, synonyms)
                )
        except SearchError as exc:  # the search says what is wrong; the next one tries again
            log.warning("could not push the synonym table: %s", exc)
            return
        if pushed:
            self._synonyms_pushed = table.version

    def _apply_settings(self, uid: str) -> None:
        task = self._conn.writer.index(uid).update_settings(self._settings())
        self._conn.wait(task, f"settings of {uid}, not applied")

    def _ensure_live(self) -> None:
        """The live index exists and has the hub's settings. They are pushed once per
        process (the server does nothing when they are unchanged) and count only once their
        task has succeeded: after a failure the next write pushes them again."""
        if not self._ensured:
            self._conn.ensure_index(self.index_name)
            self._apply_settings(self.index_name)
            self._ensured = True

    # writing --------------------------------------------------------------------------

    async def upsert(self, docs: Sequence[ServiceDocument]) -> None:
        if not docs:
            return
        payload = [to_meili_document(d, self.takes_vectors) for d in docs]
        async with self._write_lock:
            await self._call("upsert", lambda: self._add(self.index_name, payload, ensure=True))

    def _add(self, uid: str, payload: list[dict[str, Any]], *, ensure: bool = False) -> None:
        if ensure:
            self._ensure_live()
        index = self._conn.writer.index(uid)
        for start in range(0, len(payload), BATCH):
            chunk = payload[start : start + BATCH]
            self._conn.wait(index.add_documents(chunk, primary_key="id"), f"add documents to {uid}")

    async def delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        wanted = list(ids)

        def run() -> None:
            self._ensure_live()
            index = self._conn.writer.index(self.index_name)
            for start in range(0, len(wanted), BATCH):
                task = index.delete_documents(filter=id_filter(wanted[start : start + BATCH]))
                self._conn.wait(task, f"delete documents from {self.index_name}")

        async with self._write_lock:
            await self._call("delete", run)

    async def reindex(
        self, docs: AsyncIterable[ServiceDocument] | Iterable[ServiceDocument]
    ) -> int:
        """Build ``<index>_<timestamp>_<random>`` beside the live index, swap, delete the old
        one. Whatever fails, creating the building index included, that index is deleted and
        the live one is untouched."""
        async with self._write_lock:
            stamp = time.strftime("%Y%m%d%H%M%S")
            building = f"{self.index_name}_{stamp}_{secrets.token_hex(3)}"  # never someone else's
            count = 0
            try:
                await self._call("create", lambda: self._create_building(building))
                batch: list[dict[str, Any]] = []
                async for doc in documents(docs):
                    batch.append(to_meili_document(doc, self.takes_vectors))
                    if len(batch) >= BATCH:
                        chunk, batch = batch, []
                        await self._call("reindex", lambda c=chunk: self._add(building, c))  # type: ignore[misc]
                        count += len(chunk)
                if batch:
                    await self._call("reindex", lambda: self._add(building, batch))
                    count += len(batch)
                await self._call("swap", lambda: self._swap_in(building))
            except BaseException:
                await asyncio.shield(self._drop_quietly(building))
                raise
            return count

    def _create_building(self, uid: str) -> None:
        self._conn.create_index(uid, existing_ok=False)
        self._apply_settings(uid)

    def _swap_in(self, building: str) -> None:
        self._conn.ensure_index(self.index_name)  # swapping needs both
        task = self._conn.writer.swap_indexes([{"indexes": [self.index_name, building]}])
        self._conn.wait(task, f"swap {self.index_name} with {building}")
        # the old documents now live under the building name
        self._conn.delete_index(building)
        self._ensured = True
        self._write_version()

    def _write_version(self) -> None:
        self._conn.ensure_index(self.meta_index)
        task = self._conn.writer.index(self.meta_index).add_documents(
            [{"id": "version", "value": self._version()}], primary_key="id"
        )
        self._conn.wait(task, "record the index version")

    async def _drop_quietly(self, uid: str) -> None:
        try:
            await self._call("drop", lambda: self._conn.delete_index(uid))
        except SearchError:
            log.warning("could not delete the index %s", uid)

    async def drop(self) -> None:
        """Delete the index and its version record (tests clean up with it)."""
        async with self._write_lock:
            for uid in (self.index_name, self.meta_index):
                await self._drop_quietly(uid)
            self._ensured = False

    # reading --------------------------------------------------------------------------

    async def _match(
        self,
        analyzed: AnalyzedQuery,
        filter: SearchFilter | None,
        offset: int,
        limit: int,
        meaning: Meaning | None = None,
    ) -> Matches:
        await self._current_synonyms()
        pages, skip = page_parameters(offset, limit)
        (first, per_page), *more = pages
        base: dict[str, Any] = {
            "page": first,
            "hitsPerPage": per_page,
            "filter": filter_expression(filter),
            "facets": list(FACET_ATTRIBUTES.values()),
            "attributesToRetrieve": HIT_FIELDS,
            "showRankingScore": True,
            **(hybrid(meaning) if self.takes_vectors else {}),
        }
        attempts: list[tuple[str, str, list[str] | None, str]]
        if analyzed.blank:
            attempts = [("typed", "", None, "all")]
            base["sort"] = ["id:asc"]
        else:
            attempts = readings(analyzed)
        answer: dict[str, Any] = {}
        weight = 1.0
        query, params = "", base
        index = self._conn.reader.index(self.index_name)  # its own headers: see meili_client
        for reading, q, attributes, strategy in attempts:
            query, params = q, dict(base, matchingStrategy=strategy)
            if attributes is not None:
                params["attributesToSearchOn"] = attributes
            answer = await self._call(
                "search",
                lambda q=q, p=params: index.search(q, p),  # type: ignore[misc]
            )
            weight = READING_WEIGHTS[reading]
            if answer.get("totalHits"):
                break
        total = exact_total(answer)
        found = list(answer.get("hits", []))
        for page, size in more:  # the window runs on into the next page
            if total > (page - 1) * size:
                rest = {k: v for k, v in params.items() if k != "facets"}
                rest.update(page=page, hitsPerPage=size)
                extra = await self._call(
                    "search",
                    lambda q=query, p=rest: index.search(q, p),  # type: ignore[misc]
                )
                found.extend(extra.get("hits", []))
        hits = [
            make_hit(
                analyzed,
                int(h["id"]),
                0.0 if analyzed.blank else weight * float(h.get("_rankingScore", 0.0)),
                str(h.get("name", "")),
            )
            for h in found[skip : skip + limit]
        ]
        facets = sorted_facets(facet_counts(answer.get("facetDistribution") or {}))
        return Matches(hits, total, facets)

    async def _suggest(self, compact: str, limit: int) -> list[Suggestion]:
        if all(analysis.is_cjk(ch) for ch in compact):
            attributes = ["name", "name_words", "name_grams", "alias_exact"]
        else:
            attributes = ["name_py_joined", "name_ini_joined", "name_py", "alias_py_joined"]
        params = {
            "limit": limit * 4,
            "attributesToSearchOn": attributes,
            "attributesToRetrieve": SUGGEST_FIELDS,  # all displayed: see meili_settings
        }
        index = self._conn.reader.index(self.index_name)
        answer = await self._call("suggest", lambda: index.search(compact, params))

        def rank(hit: Mapping[str, Any]) -> tuple[int, int]:
            name = str(hit.get("name", ""))
            starts = (
                analysis.normalize(name).startswith(compact)
                or str(hit.get("name_py_joined", "")).startswith(compact)
                or str(hit.get("name_ini_joined", "")).startswith(compact)
            )
            return (0 if starts else 1, len(name))

        ranked = sorted(answer.get("hits", []), key=rank)  # stable: engine order among equals
        return [Suggestion(int(h["id"]), str(h.get("name", "")), rank(h)[0] == 0) for h in ranked]

    async def count(self) -> int:
        def run() -> int:
            reader = self._conn.reader
            if not self._conn.exists(reader, self.index_name):
                return 0
            return int(reader.index(self.index_name).get_stats().number_of_documents)

        return await self._call("count", run)

    async def is_stale(self) -> bool:
        def run() -> bool:
            reader = self._conn.reader
            if not all(
                self._conn.exists(reader, uid) for uid in (self.index_name, self.meta_index)
            ):
                return True
            try:
                record = reader.index(self.meta_index).get_document("version")
            except MeilisearchApiError as exc:
                if exc.code == "document_not_found":
                    return True
                raise
            value = getattr(record, "value", None)
            if value is None and isinstance(record, Mapping):
                value = record.get("value")
            return value != self._version()

        return await self._call("version check", run)

    async def ping(self) -> bool:
        try:
            return bool(await self._call("health", self._conn.reader.is_healthy))
        except SearchError:
            return False

    async def ready(self) -> bool:
        try:
            return await self.ping() and await self._call(
                "index", lambda: self._conn.exists(self._conn.reader, self.index_name)
            )
        except SearchError:
            return False

    async def close(self) -> None:
        return None
