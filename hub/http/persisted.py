"""Automatic persisted queries: clients send a sha256 hash instead of the query text.

The store is in-process, or Redis when ``HUB_REDIS_URL`` is set so that several workers
share what any one of them learned. The endpoint learns a query only once it has passed
parsing, the limits and validation, and never one longer than ``HUB_MAX_QUERY_BYTES``. The
in-process store is bounded in entries and bytes; Redis keeps each query for
``HUB_PERSISTED_QUERY_TTL_SECONDS`` after it was last learned and at most
``HUB_PERSISTED_QUERY_SHARED_BYTES`` of them, the oldest evicted first (registered queries
from ``HUB_PERSISTED_QUERIES_DIR`` are kept apart from that, and registered again at every
start).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

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


# KEYS: learned at (sorted set: entry key -> seconds), order (sorted set: entry key -> a
# sequence number), sizes (hash: entry key -> bytes), the byte total, the sequence.
# ARGV: entry key, query, ttl s, now s, max bytes, max entries.
# Forgets entries whose TTL ran out, learns the query (or renews a known one; a registered one,
# kept without expiry and outside the index, stays as it is), then evicts the least recently
# learned while over either bound. Returns 1 when the query was new.
_LEARN = """
local ttl = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local function forget(key)
  local size = tonumber(redis.call('HGET', KEYS[3], key) or '0')
  redis.call('HDEL', KEYS[3], key)
  redis.call('ZREM', KEYS[1], key)
  redis.call('ZREM', KEYS[2], key)
  redis.call('DEL', key)
  return redis.call('DECRBY', KEYS[4], size)
end
local function touch(key)
  redis.call('ZADD', KEYS[1], now, key)
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5]), key)
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)) do
  forget(key)
end
local exists = redis.call('EXISTS', ARGV[1]) == 1
local indexed = redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1
if exists and not indexed then return 0 end
if exists then
  touch(ARGV[1])
  redis.call('EXPIRE', ARGV[1], ttl)
  return 0
end
if indexed then forget(ARGV[1]) end
local size = string.len(ARGV[2])
redis.call('SET', ARGV[1], ARGV[2], 'EX', ttl)
touch(ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], size)
local total = redis.call('INCRBY', KEYS[4], size)
while total > tonumber(ARGV[5]) or redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[6]) do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #oldest == 0 then break end
  total = forget(oldest[1])
end
return 1
"""


class RedisStore:
    """Shared store; a small local LRU in front saves a round trip for hot queries.

    Learned queries expire ``ttl_seconds`` after they were last learned, and the store keeps
    at most ``max_bytes`` of them (and ``max_entries``), evicting the oldest first, in one
    atomic script per learn. Registered queries (``keep``) never expire and are not counted.
    """

    PREFIX = "hub:pq:"

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: int = 30 * 24 * 3600,
        max_bytes: int = 64 * 1024 * 1024,
        max_entries: int = 100_000,
        local_bytes: int = 2 * 1024 * 1024,
        prefix: str = PREFIX,
    ) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._ttl = ttl_seconds
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self.prefix = prefix
        self.index_keys = [
            prefix + f"~{name}" for name in ("learned", "order", "sizes", "bytes", "sequence")
        ]
        self._learn: Any = self._redis.register_script(_LEARN)
        self._local = MemoryStore(size=2_000, max_bytes=local_bytes)

    async def get(self, sha256: str) -> str | None:
        query = await self._local.get(sha256)
        if query is None:
            found = await self._redis.get(self.prefix + sha256)
            query = found if isinstance(found, str) else None
            if query is not None:
                await self._local.put(sha256, query)
        return query

    async def put(self, sha256: str, query: str, *, keep: bool = False) -> None:
        if keep:
            await self._redis.set(self.prefix + sha256, query)
        else:
            await self._learn(
                keys=self.index_keys,
                args=[
                    self.prefix + sha256,
                    query,
                    self._ttl,
                    int(time.time()),
                    self._max_bytes,
                    self._max_entries,
                ],
            )
        await self._local.put(sha256, query)

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_store(settings: Settings) -> PersistedQueryStore:
    if settings.redis_url:
        return RedisStore(
            settings.redis_url,
            ttl_seconds=settings.persisted_query_ttl_seconds,
            max_bytes=settings.persisted_query_shared_bytes,
        )
    return MemoryStore(max_bytes=settings.persisted_query_bytes)


async def register_directory(store: PersistedQueryStore, directory: Path) -> int:
    """Register every ``*.graphql`` file of ``directory``; clients hash the same text."""
    count = 0
    for path in sorted(directory.glob("*.graphql")):
        query = path.read_text(encoding="utf-8")
        await store.put(query_hash(query), query, keep=True)
        count += 1
    return count
