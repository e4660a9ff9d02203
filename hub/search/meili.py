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
    FACETS,
    MAX_WINDOW,
    SearchBackend,
    SearchError,
    SearchFilter,
    SearchResult,
    SearchUnavailable,
    ServiceDocument,
    documents,
    make_hit,
    page_bounds,
    sorted_facets,
)
from hub.search.fields import flatten, index_fields
from hub.search.query import AnalyzedQuery, Variant, analyze_query, clean_query
from hub.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Searchable attributes, most important first (the ``attribute`` ranking rule uses the order).
SEARCHABLE = [
    "name",
    "name_words",
    "alias_exact",
    "name_grams",
    "alias_words",
    "alias_grams",
    "name_py_joined",
    "name_py",
    "alias_py_joined",
    "alias_py",
    "name_ini_joined",
    "name_ini",
    "alias_ini_joined",
    "alias_ini",
    "tag_words",
    "tag_grams",
    "text_words",
]
CHINESE = [
    "name",
    "name_words",
    "alias_exact",
    "name_grams",
    "alias_words",
    "alias_grams",
    "tag_words",
    "tag_grams",
    "text_words",
]
PINYIN = ["name_py_joined", "name_py", "alias_py_joined", "alias_py"]
INITIALS = ["name_ini_joined", "name_ini", "alias_ini_joined", "alias_ini"]
FILTERABLE = [
    "org_id",
    "org_path_ids",
    "theme_ids",
    "audience",
    "item_type",
    "online_depth",
    "visits",
    "life_event_ids",
]
SORTABLE = ["id", "online_depth", "visits"]
FACET_ATTRIBUTES = {
    "org": "org_id",
    "theme": "theme_ids",
    "audience": "audience",
    "online_depth": "online_depth",
    "visits": "visits",
}
MAX_FACET_VALUES = 10_000
#: Scores are scaled by the reading that found the hit: characters above pinyin above initials.
READING_WEIGHTS = {"typed": 1.0, "pinyin": 0.5, "initials": 0.4, "relaxed": 0.3}
TASK_TIMEOUT_MS = 120_000
BATCH = 1000


def index_settings(synonyms: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The settings the hub pushes to its index (a pure function, tested without a server)."""
    return {
        "searchableAttributes": SEARCHABLE,
        "displayedAttributes": ["id", "name"],
        "filterableAttributes": FILTERABLE,
        "sortableAttributes": SORTABLE,
        "rankingRules": ["words", "typo", "attribute", "proximity", "exactness", "sort"],
        "synonyms": {key: list(values) for key, values in synonyms.items()},
        "stopWords": [],
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            # homophones are matched by pinyin; edit distance on syllables, initials, codes
            # and single characters only adds noise
            "disableOnAttributes": [*PINYIN, *INITIALS, "alias_exact", "name_grams"],
        },
        "localizedAttributes": [{"attributePatterns": CHINESE, "locales": ["cmn"]}],
        "pagination": {"maxTotalHits": MAX_WINDOW},
        "faceting": {
            "maxValuesPerFacet": MAX_FACET_VALUES,
            "sortFacetValuesBy": {"*": "count"},
        },
        "proximityPrecision": "byWord",
    }


def to_meili_document(doc: ServiceDocument) -> dict[str, Any]:
    """A service as Meilisearch receives it: the shared pre-analysed fields as words."""
    f = index_fields(doc)
    return {
        "id": doc.id,
        "code": doc.code,
        "name": doc.name,
        "name_words": " ".join(f.name_words),
        "name_grams": " ".join(f.name_grams),
        "name_py": flatten(f.name_py),
        "name_ini": flatten(f.name_ini),
        "name_py_joined": f.name_py_joined,
        "name_ini_joined": f.name_ini_joined,
        "alias_exact": list(f.alias_exact),
        "alias_words": " ".join(f.alias_words),
        "alias_grams": " ".join(f.alias_grams),
        "alias_py": flatten(f.alias_py),
        "alias_ini": flatten(f.alias_ini),
        "alias_py_joined": list(f.alias_py_joined),
        "alias_ini_joined": list(f.alias_ini_joined),
        "tag_words": " ".join(f.tag_words),
        "tag_grams": " ".join(f.tag_grams),
        "text_words": " ".join(f.text_words),
        "org_id": doc.org_id,
        "org_path_ids": list(doc.org_path_ids) or [doc.org_id],
        "theme_ids": list(doc.theme_ids),
        "audience": doc.audience,
        "item_type": doc.item_type,
        "online_depth": doc.online_depth,
        "visits": doc.visits,
        "life_event_ids": list(doc.life_event_ids),
    }


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


def page_parameters(offset: int, limit: int) -> tuple[int, int, int]:
    """(page, hitsPerPage, hits to skip in the answer): page-based, so totals are exact."""
    if limit == 0:
        return 1, 0, 0
    if offset % limit == 0:
        return offset // limit + 1, limit, 0
    return 1, offset + limit, offset


def _facet_counts(distribution: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {
        name: {str(k): int(v) for k, v in distribution.get(attribute, {}).items()}
        for name, attribute in FACET_ATTRIBUTES.items()
    }


class MeiliBackend(SearchBackend):
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
        facets = sorted_facets(_facet_counts(answer.get("facetDistribution") or {}))
        return SearchResult(
            hits=hits,
            total=total,
            facets=facets if total else {name: [] for name in FACETS},
            took_ms=(time.perf_counter() - started) * 1000,
            query=analyzed.normalized,
            truncated=analyzed.truncated,
        )

    async def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        text, _ = clean_query(prefix)
        compact = text.replace(" ", "")
        limit = max(0, min(int(limit), 50))
        if not compact or limit == 0:
            return []
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
