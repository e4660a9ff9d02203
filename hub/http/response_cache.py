"""The exact response cache: anonymous answers kept until the data they show changes.

An answer is kept under a key made of everything it depends on (:func:`response_key`): the
schema and release, the document's hash, the operation and its variables, the public
version (:mod:`hub.models.cache`, bumped by the database in the transaction of every public
write and read again for every request), and for search documents the index's and synonym
table's counters (:meth:`hub.search.service.SearchService.follow`). A committed write makes
every older key unreachable at once, in every process; nothing waits for an expiry. Only
answers without errors to anonymous callers are kept, and only of documents
:mod:`hub.http.cacheable` allows.

Two tiers: an LRU in memory, bounded in bytes, dropping what an older version keyed as soon as
a newer one is seen; and, with ``HUB_REDIS_URL``, a shared tier that every worker and host
reads. Shared entries expire after ``HUB_RESPONSE_CACHE_SHARED_TTL_SECONDS`` (only to free
the room of unreachable versions) and the bytes written to it are bounded per hour, so the
shared tier holds at most about twice that. Redis failing or slow is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.search.service import LogOffer
from hub.settings import Settings

log = logging.getLogger("hub.response_cache")

# KEYS: the entry, this hour's byte budget. ARGV: the value, its size, the budget, the TTL.
_PUT = """
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], 7200)
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[4]))
return 1
"""


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    etag: str
    offers: tuple[LogOffer, ...] = ()

    @classmethod
    def of(cls, body: bytes | memoryview, offers: Iterable[LogOffer] = ()) -> Entry:
        """An entry for an answer's bytes, kept as an exact copy: orjson hands back a buffer
        up to several times longer than its data (the rest unused), which a kept answer would
        hold on to, outside what :attr:`size` counts."""
        exact = bytes(memoryview(body))
        return cls(exact, etag_of(exact), tuple(offers))

    @property
    def size(self) -> int:
        return len(self.body) + 200

    def dump(self) -> bytes:
        head = json.dumps([self.etag, [[o.query, o.normalized, o.total] for o in self.offers]])
        return head.encode("utf-8") + b"\n" + self.body

    @classmethod
    def load(cls, raw: bytes) -> Entry:
        head, _, body = raw.partition(b"\n")
        etag, offers = json.loads(head)
        return cls(body, str(etag), tuple(LogOffer(str(q), str(n), int(t)) for q, n, t in offers))


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match holds ``etag`` (weak comparison, RFC 9110 13.1.2) or is ``*``."""
    tags = {t.strip().removeprefix("W/") for t in header[:2048].split(",")}
    return etag.removeprefix("W/") in tags or "*" in tags


def response_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def canonical(variables: dict[str, Any] | None) -> str:
    """The variables as one text, whatever order the client sent them in."""
    if not variables:
        return ""
    return json.dumps(variables, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ResponseCache:
    """Entries by key, in memory and optionally in Redis (see the module)."""

    PREFIX = "hub:rc:"

    def __init__(
        self,
        *,
        max_bytes: int,
        max_entry_bytes: int,
        redis_url: str | None = None,
        shared_bytes_per_hour: int = 256 * 1024 * 1024,
        shared_ttl_seconds: int = 3600,
        prefix: str = PREFIX,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._version: str | None = None
        self.size_bytes = 0
        self.prefix = prefix
        self._budget = shared_bytes_per_hour
        self._ttl = shared_ttl_seconds
        self._redis: Any = None
        self._failures: tuple[type[Exception], ...] = (OSError,)
        if redis_url:
            import redis.asyncio as redis  # only with a shared tier
            from redis.exceptions import RedisError

            self._failures = (RedisError, OSError, TimeoutError)
            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=0.25, socket_connect_timeout=0.25
            )
            self._put_script: Any = self._redis.register_script(_PUT)
        self.shared_errors = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def _see(self, version: str) -> bool:
        """Forget entries of older versions when a newer one shows up; False when
        ``version`` is older than the newest seen (a request that started before a write)."""
        if version == self._version:
            return True
        if self._version is not None and _older(version, self._version):
            return False
        self._entries.clear()
        self.size_bytes = 0
        self._version = version
        return True

    async def get(self, key: str, version: str) -> tuple[Entry | None, str]:
        """The entry and where it was found (``memory``, ``shared``), or None and ``miss``."""
        if self._see(version):
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry, "memory"
        if self._redis is None:
            return None, "miss"
        try:
            raw = await self._redis.get(self.prefix + key)
        except self._failures as exc:  # a shared tier down is a miss
            self._shared_failed(exc)
            return None, "miss"
        if raw is None:
            return None, "miss"
        entry = Entry.load(raw)
        self._keep(key, version, entry)
        return entry, "shared"

    async def put(self, key: str, version: str, entry: Entry) -> bool:
        """Keep an entry; False when it is too large or of an older version."""
        if not self._keep(key, version, entry):
            return False
        if self._redis is not None:
            raw = entry.dump()
            hour = int(time.time() // 3600)
            try:
                await self._put_script(
                    keys=[self.prefix + key, f"{self.prefix}~bytes:{hour}"],
                    args=[raw, len(raw), self._budget, self._ttl],
                )
            except self._failures as exc:  # kept in memory all the same
                self._shared_failed(exc)
        return True

    def _keep(self, key: str, version: str, entry: Entry) -> bool:
        if not self.enabled or entry.size > self.max_entry_bytes or not self._see(version):
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.size_bytes -= old.size
        self._entries[key] = entry
        self.size_bytes += entry.size
        while self.size_bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self.size_bytes -= dropped.size
        return True

    def _shared_failed(self, exc: Exception) -> None:
        self.shared_errors += 1
        if self.shared_errors in (1, 10, 100) or self.shared_errors % 1000 == 0:
            log.warning("response cache: Redis failed (%d times): %s", self.shared_errors, exc)

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def open_response_cache(settings: Settings) -> ResponseCache:
    return ResponseCache(
        max_bytes=settings.response_cache_bytes,
        max_entry_bytes=settings.response_cache_entry_bytes,
        redis_url=settings.redis_url,
        shared_bytes_per_hour=settings.response_cache_shared_bytes_per_hour,
        shared_ttl_seconds=settings.response_cache_shared_ttl_seconds,
    )


def _older(version: str, than: str) -> bool:
    epoch, _, n = version.partition(":")
    other_epoch, _, other_n = than.partition(":")
    return epoch == other_epoch and int(n) < int(other_n)
