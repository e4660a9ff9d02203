"""Automatic persisted queries: clients send a sha256 hash instead of the query text.

The store is in-process, or Redis when ``HUB_REDIS_URL`` is set so that several workers
share what any one of them learned.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Protocol


def query_hash(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


class PersistedQueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryStore:
    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._queries: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        query = self._queries.get(sha256)
        if query is not None:
            self._queries.move_to_end(sha256)
        return query

    async def put(self, sha256: str, query: str) -> None:
        self._queries[sha256] = query
        if len(self._queries) > self._size:
            self._queries.popitem(last=False)

    async def aclose(self) -> None:
        return None


class RedisStore:
    """Shared store; a small local LRU in front saves a round trip for hot queries."""

    PREFIX = "hub:pq:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._local = MemoryStore(size=2_000)

    async def get(self, sha256: str) -> str | None:
        query = await self._local.get(sha256)
        if query is None:
            found = await self._redis.get(self.PREFIX + sha256)
            query = found if isinstance(found, str) else None
            if query is not None:
                await self._local.put(sha256, query)
        return query

    async def put(self, sha256: str, query: str) -> None:
        await self._redis.set(self.PREFIX + sha256, query)
        await self._local.put(sha256, query)

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_store(redis_url: str | None) -> PersistedQueryStore:
    return RedisStore(redis_url) if redis_url else MemoryStore()


async def register_directory(store: PersistedQueryStore, directory: Path) -> int:
    """Register every ``*.graphql`` file of ``directory``; clients hash the same text."""
    count = 0
    for path in sorted(directory.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        await store.put(query_hash(query), query)
        count += 1
    return count
