"""Automatic persisted queries: clients send a sha256 hash instead of the query text.

The store is in-process, or Redis when ``HUB_REDIS_URL`` is set so that several workers
share what any one of them learned. The endpoint learns a query only once it has passed
parsing, the limits and validation, and never one longer than ``HUB_MAX_QUERY_BYTES``. The
in-process store is bounded in entries and bytes; Redis keeps each query for
``HUB_PERSISTED_QUERY_TTL_SECONDS`` after it was last learned (registered queries from
``HUB_PERSISTED_QUERIES_DIR`` are registered again at every start).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from hub.settings import Settings


def query_hash(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


class PersistedQueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str, *, keep: bool = False) -> None:
        """Learn a query; ``keep`` (registered queries) exempts it from expiry in Redis."""

    async def aclose(self) -> None: ...


class MemoryStore:
    """An LRU bounded in entries and in bytes of query text."""

    def __init__(self, size: int = 10_000, max_bytes: int = 8 * 1024 * 1024) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._queries: OrderedDict[str, str] = OrderedDict()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._queries)

    async def get(self, sha256: str) -> str | None:
        query = self._queries.get(sha256)
        if query is not None:
            self._queries.move_to_end(sha256)
        return query

    async def put(self, sha256: str, query: str, *, keep: bool = False) -> None:
        if len(query) > self._max_bytes or sha256 in self._queries:
            return
        self._queries[sha256] = query
        self._bytes += len(query)
        while len(self._queries) > self._size or self._bytes > self._max_bytes:
            _, old = self._queries.popitem(last=False)
            self._bytes -= len(old)

    async def aclose(self) -> None:
        return None


class RedisStore:
    """Shared store; a small local LRU in front saves a round trip for hot queries."""

    PREFIX = "hub:pq:"

    def __init__(
        self, url: str, *, ttl_seconds: int = 30 * 24 * 3600, local_bytes: int = 2 * 1024 * 1024
    ) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._ttl = ttl_seconds
        self._local = MemoryStore(size=2_000, max_bytes=local_bytes)

    async def get(self, sha256: str) -> str | None:
        query = await self._local.get(sha256)
        if query is None:
            found = await self._redis.get(self.PREFIX + sha256)
            query = found if isinstance(found, str) else None
            if query is not None:
                await self._local.put(sha256, query)
        return query

    async def put(self, sha256: str, query: str, *, keep: bool = False) -> None:
        await self._redis.set(self.PREFIX + sha256, query, ex=None if keep else self._ttl)
        await self._local.put(sha256, query)

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_store(settings: Settings) -> PersistedQueryStore:
    if settings.redis_url:
        return RedisStore(settings.redis_url, ttl_seconds=settings.persisted_query_ttl_seconds)
    return MemoryStore(max_bytes=settings.persisted_query_bytes)


async def register_directory(store: PersistedQueryStore, directory: Path) -> int:
    """Register every ``*.graphql`` file of ``directory``; clients hash the same text."""
    count = 0
    for path in sorted(directory.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        await store.put(query_hash(query), query, keep=True)
        count += 1
    return count
