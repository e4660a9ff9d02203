"""Failed sign-ins per client address, so that one address cannot try password after
password across many accounts (each account also locks by itself, in the database).

A whole bureau often shares one NAT address, so the address limit is generous: ten times
the per-account threshold within the lockout window. The counter is in-process, or in Redis
when ``HUB_REDIS_URL`` is set so that all workers share it.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from hub.errors import TooManyRequests
from hub.settings import Settings

ADDRESS_LIMIT_FACTOR = 10


class AddressThrottle(Protocol):
    async def check(self, address: str) -> None:
        """Raise TOO_MANY_REQUESTS while ``address`` is blocked."""

    async def failure(self, address: str) -> None: ...

    async def aclose(self) -> None: ...


def _blocked(retry_after: float) -> TooManyRequests:
    seconds = max(1, math.ceil(retry_after))
    minutes = math.ceil(seconds / 60)
    return TooManyRequests(
        f"Too many failed sign-ins from your address; try again in {minutes} minute(s).",
        retryAfterSeconds=seconds,
    )


class MemoryThrottle:
    """Fixed windows per address; expired windows are dropped as the map grows."""

    def __init__(self, *, limit: int, window_seconds: float, max_addresses: int = 100_000):
        self.limit = limit
        self.window = window_seconds
        self._max = max_addresses
        self._windows: dict[str, tuple[float, int]] = {}

    async def check(self, address: str) -> None:
        entry = self._windows.get(address)
        if entry is None:
            return
        started, count = entry
        now = time.monotonic()
        if now - started >= self.window:
            del self._windows[address]
        elif count >= self.limit:
            raise _blocked(started + self.window - now)

    async def failure(self, address: str) -> None:
        now = time.monotonic()
        started, count = self._windows.get(address, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        self._windows[address] = (started, count + 1)
        if len(self._windows) > self._max:
            self._prune(now)

    def _prune(self, now: float) -> None:
        for key in [k for k, (s, _) in self._windows.items() if now - s >= self.window]:
            del self._windows[key]
        while len(self._windows) > self._max:
            self._windows.pop(next(iter(self._windows)))

    async def aclose(self) -> None:
        return None


class RedisThrottle:
    PREFIX = "hub:signin-failures:"

    def __init__(self, url: str, *, limit: int, window_seconds: int) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self.limit = limit
        self.window = window_seconds

    async def check(self, address: str) -> None:
        key = self.PREFIX + address
        count = await self._redis.get(key)
        if count is not None and int(count) >= self.limit:
            ttl = await self._redis.ttl(key)
            raise _blocked(ttl if ttl > 0 else self.window)

    async def failure(self, address: str) -> None:
        key = self.PREFIX + address
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window, nx=True)
            await pipe.execute()

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_throttle(settings: Settings) -> AddressThrottle:
    limit = settings.lockout_threshold * ADDRESS_LIMIT_FACTOR
    window = settings.lockout_minutes * 60
    if settings.redis_url:
        return RedisThrottle(settings.redis_url, limit=limit, window_seconds=window)
    return MemoryThrottle(limit=limit, window_seconds=window)
