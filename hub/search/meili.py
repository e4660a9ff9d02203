"""Meilisearch as the engine, through the official (synchronous) client run in threads.

The hub owns the index: it creates it, pushes the settings (searchable attributes in rank
order, filters, sorts, the synonym table, typo tolerance, Chinese locale, pagination,
faceting) and sends the same pre-analysed fields as the embedded engine (see
:mod:`hub.search.fields`), so pinyin, initials and n-grams are plain words to Meilisearch.

A query is tried as typed (Chinese words; synonyms applied by Meilisearch), then by its
pinyin, then by its initials, then with trailing words dropped, stopping at the first reading
that finds anything. Each is one page-based search, so ``totalHits`` and the facet counts
are exhaustive. Every write waits for its task and fails with the task's id and error. A full
reindex builds ``<index>_<timestamp>``, swaps it with the live index and deletes the old one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import meilisearch
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)

from hub.search import analysis
from hub.search.backend import (
    Engine,
    Matches,
    SearchError,
    SearchFilter,
    SearchUnavailable,
    ServiceDocument,
    documents,
    make_hit,
    sorted_facets,
)
from hub.search.meili_documents import to_meili_document
from hub.search.meili_query import facet_counts, filter_expression, page_parameters, readings
from hub.search.meili_settings import (
    BATCH,
    FACET_ATTRIBUTES,
    READING_WEIGHTS,
    TASK_TIMEOUT_MS,
    index_settings,
)
from hub.search.query import AnalyzedQuery
from hub.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


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
    ) -> None:
        self.url = url
        self.index_name = index
        self.meta_index = f"{index}__hub"
        self._client = client or meilisearch.Client(url, api_key, timeout=timeout_s)
        self._write_lock = asyncio.Lock()
        self._ensured = False

    @classmethod
    def from_settings(cls, settings: Settings) -> MeiliBackend:
        if not settings.meili_url:
            raise SearchError("HUB_SEARCH_BACKEND=meilisearch needs HUB_MEILI_URL")
        key = settings.meili_key.get_secret_value() if settings.meili_key else None
        return cls(settings.meili_url, key, settings.meili_index)

    # plumbing -------------------------------------------------------------------------

    async def _call(self, what: str, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(self._guarded, what, fn)

    def _guarded(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise SearchUnavailable(f"meilisearch at {self.url}: {what}: {exc}") from None
        except MeilisearchApiError as exc:
            raise SearchError(f"meilisearch: {what}: {exc.code}: {exc.message}") from None
        except OSError as exc:
            raise SearchUnavailable(f"meilisearch at {self.url}: {what}: {exc}") from None

    def _wait(self, task: Any, what: str) -> Any:
        uid = getattr(task, "task_uid", None)
        if uid is None:
            uid = task["taskUid"]
        done = self._client.wait_for_task(uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=50)
        if done.status != "succeeded":
            error = done.error or {}
            detail = f"{error.get('code', '')}: {error.get('message', '')}" if error else ""
            raise SearchError(f"meilisearch task {uid} ({what}) {done.status} {detail}".strip())
        return done

    def _exists(self, uid: str) -> bool:
        try:
            self._client.get_raw_index(uid)
        except MeilisearchApiError as exc:
            if exc.code == "index_not_found":
                return False
            raise
        return True

    def _create(self, uid: str) -> None:
        self._wait(self._client.create_index(uid, {"primaryKey": "id"}), f"create index {uid}")
        settings = index_settings(analysis.synonym_table().mapping)
        self._wait(self._client.index(uid).update_settings(settings), f"settings of {uid}")

    def _ensure_live(self) -> None:
        if not self._ensured:
            if not self._exists(self.index_name):
                self._create(self.index_name)
            self._ensured = True

    # writing --------------------------------------------------------------------------

    async def upsert(self, docs: Sequence[ServiceDocument]) -> None:
        if not docs:
            return
        payload = [to_meili_document(d) for d in docs]
        async with self._write_lock:
            await self._call("upsert", lambda: self._add(self.index_name, payload, ensure=True))

    def _add(self, uid: str, payload: list[dict[str, Any]], *, ensure: bool = False) -> None:
        if ensure:
            self._ensure_live()
        index = self._client.index(uid)
        for start in range(0, len(payload), BATCH):
            chunk = payload[start : start + BATCH]
            self._wait(index.add_documents(chunk, primary_key="id"), f"add documents to {uid}")

    async def delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return

        def run() -> None:
            self._ensure_live()
            task = self._client.index(self.index_name).delete_documents(list(ids))
            self._wait(task, f"delete documents from {self.index_name}")

        async with self._write_lock:
            await self._call("delete", run)

    async def reindex(
        self, docs: AsyncIterable[ServiceDocument] | Iterable[ServiceDocument]
    ) -> int:
        """Build ``<index>_<timestamp>`` beside the live index, swap, delete the old one."""
        async with self._write_lock:
            building = f"{self.index_name}_{time.strftime('%Y%m%d%H%M%S')}"
            await self._call("create", lambda: self._create(building))
            count = 0
            try:
                batch: list[dict[str, Any]] = []
                async for doc in documents(docs):
                    batch.append(to_meili_document(doc))
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

    def _swap_in(self, building: str) -> None:
        if not self._exists(self.index_name):
            self._wait(
                self._client.create_index(self.index_name, {"primaryKey": "id"}),
                f"create index {self.index_name}",
            )
        task = self._client.swap_indexes([{"indexes": [self.index_name, building]}])
        self._wait(task, f"swap {self.index_name} with {building}")
        # the old documents now live under the building name
        self._wait(self._client.delete_index(building), f"delete old index {building}")
        self._ensured = True
        self._write_version()

    def _write_version(self) -> None:
        if not self._exists(self.meta_index):
            self._wait(
                self._client.create_index(self.meta_index, {"primaryKey": "id"}),
                f"create index {self.meta_index}",
            )
        task = self._client.index(self.meta_index).add_documents(
            [{"id": "version", "value": analysis.index_version()}], primary_key="id"
        )
        self._wait(task, "record the index version")

    async def _drop_quietly(self, uid: str) -> None:
        try:
            await self._call("drop", lambda: self._wait(self._client.delete_index(uid), "drop"))
        except SearchError:
            log.warning("could not delete the half-built index %s", uid)

    async def drop(self) -> None:
        """Delete the index and its version record (tests clean up with it)."""
        for uid in (self.index_name, self.meta_index):
            await self._drop_quietly(uid)

    # reading --------------------------------------------------------------------------

    async def _match(
        self, analyzed: AnalyzedQuery, filter: SearchFilter | None, offset: int, limit: int
    ) -> Matches:
        page, per_page, skip = page_parameters(offset, limit)
        base: dict[str, Any] = {
            "page": page,
            "hitsPerPage": per_page,
            "filter": filter_expression(filter),
            "facets": list(FACET_ATTRIBUTES.values()),
            "attributesToRetrieve": ["id", "name"],
            "showRankingScore": True,
        }
        attempts: list[tuple[str, str, list[str] | None, str]]
        if analyzed.blank:
            attempts = [("typed", "", None, "all")]
            base["sort"] = ["id:asc"]
        else:
            attempts = readings(analyzed)
        answer: dict[str, Any] = {}
        weight = 1.0
        index = self._client.index(self.index_name)
        for reading, q, attributes, strategy in attempts:
            params = dict(base, matchingStrategy=strategy)
            if attributes is not None:
                params["attributesToSearchOn"] = attributes
            answer = await self._call(
                "search",
                lambda q=q, p=params: index.search(q, p),  # type: ignore[misc]
            )
            weight = READING_WEIGHTS[reading]
            if answer.get("totalHits"):
                break
        total = int(answer.get("totalHits") or 0)
        hits = [
            make_hit(
                analyzed,
                int(h["id"]),
                0.0 if analyzed.blank else weight * float(h.get("_rankingScore", 0.0)),
                str(h.get("name", "")),
            )
            for h in answer.get("hits", [])[skip:]
        ]
        facets = sorted_facets(facet_counts(answer.get("facetDistribution") or {}))
        return Matches(hits, total, facets)

    async def _suggest(self, compact: str, limit: int) -> list[str]:
        if all(analysis.is_cjk(ch) for ch in compact):
            attributes = ["name", "name_words", "name_grams", "alias_exact"]
        else:
            attributes = ["name_py_joined", "name_ini_joined", "name_py", "alias_py_joined"]
        params = {
            "limit": limit * 4,
            "attributesToSearchOn": attributes,
            "attributesToRetrieve": ["name", "name_py_joined", "name_ini_joined"],
        }
        index = self._client.index(self.index_name)
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
        return list(dict.fromkeys(str(h.get("name", "")) for h in ranked))[:limit]

    async def count(self) -> int:
        def run() -> int:
            if not self._exists(self.index_name):
                return 0
            return int(self._client.index(self.index_name).get_stats().number_of_documents)

        return await self._call("count", run)

    async def is_stale(self) -> bool:
        def run() -> bool:
            if not self._exists(self.index_name) or not self._exists(self.meta_index):
                return True
            try:
                record = self._client.index(self.meta_index).get_document("version")
            except MeilisearchApiError as exc:
                if exc.code == "document_not_found":
                    return True
                raise
            value = getattr(record, "value", None)
            if value is None and isinstance(record, Mapping):
                value = record.get("value")
            return value != analysis.index_version()

        return await self._call("version check", run)

    async def ping(self) -> bool:
        try:
            return bool(await self._call("health", self._client.is_healthy))
        except SearchError:
            return False

    async def ready(self) -> bool:
        try:
            return await self.ping() and await self._call(
                "index", lambda: self._exists(self.index_name)
            )
        except SearchError:
            return False

    async def close(self) -> None:
        return None
