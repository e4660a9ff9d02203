"""Sign-in attempts counted outside the database: per client address, and per login number
that no account has.

**Per address**, so that one address cannot try password after password across many
accounts. A whole bureau often shares one NAT address, so the limit is generous: ten times
the per-account threshold within the lockout window. An attempt is *reserved* before its
password is checked (counted first, refused once the count would pass the limit) and given
back when it signs in or never has its password checked: the count is of failed checks plus
those in flight, so parallel requests cannot all pass a check made before any of them counts.

**Per unknown login number**, so that a login number without an account locks after as many
failures, with the same answer, as an account does (an account's count is in its staff row,
see :mod:`hub.auth.sessions`). Both count attempts in a window of ``lockout_minutes`` from the
first one; the attempt that reaches the threshold locks for ``lockout_minutes`` from then, and
while locked nothing is counted or checked.

In-process, or in Redis when ``HUB_REDIS_URL`` is set so that all workers share the counts
(each operation one Lua script, so atomic). Run several workers only with Redis: in-process
counts are per worker, where an account's are not.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from hub.errors import TooManyRequests
from hub.settings import Settings
from hub.windows import FixedWindows

ADDRESS_LIMIT_FACTOR = 10


@dataclass(frozen=True, slots=True)
class LoginWindow:
    """One attempt's place in its login number's window."""

    count: int  # attempts counted in the window, this one included (when counted)
    until: datetime  # the window's end; the lock's end once ``count`` reached the threshold
    counted: bool  # False: refused, the login number is locked; nothing was counted


def window_end(now: datetime, minutes: int) -> datetime:
    """The end of a window or lock starting ``now``, in whole seconds (so that every store
    keeps it alike, and answers show it alike)."""
    return now.astimezone(UTC).replace(microsecond=0) + timedelta(minutes=minutes)


def next_window(
    count: int, until: datetime | None, now: datetime, fresh: datetime, threshold: int
) -> LoginWindow:
    """The counting rule, shared by the in-process store (Redis and SQL spell it again)."""
    if until is None or until <= now:
        return LoginWindow(1, fresh, True)
    if count >= threshold:
        return LoginWindow(count, until, False)
    count += 1
    return LoginWindow(count, fresh if count >= threshold else until, True)


def login_key(login_no: str) -> str:
    """Login numbers are kept hashed: bounded keys, and no typed passwords-as-logins."""
    return hashlib.sha256(login_no.encode("utf-8")).hexdigest()


class AddressThrottle(Protocol):
    async def reserve(self, address: str) -> None:
        """Count one attempt from ``address`` before its password is checked; over the limit,
        count nothing and raise TOO_MANY_REQUESTS."""

    async def release(self, address: str) -> None:
        """Give a reservation back: the attempt signed in, or had no password checked."""

    async def reserve_login(self, login_no: str, now: datetime) -> LoginWindow:
        """Count one attempt on a login number that no account has (see the module)."""

    async def aclose(self) -> None: ...


def _blocked(retry_after: float) -> TooManyRequests:
    seconds = max(1, math.ceil(retry_after))
    minutes = math.ceil(seconds / 60)
    return TooManyRequests(
        f"Too many failed sign-ins from your address; try again in {minutes} minute(s).",
        retryAfterSeconds=seconds,
    )


class MemoryThrottle:
    """Fixed windows per address and per unknown login number, in this process; expired
    entries are dropped as the maps grow."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        threshold: int = 5,
        max_addresses: int = 100_000,
    ):
        self.limit = limit
        self.window = window_seconds
        self.threshold = threshold
        self._max = max_addresses
        self._addresses = FixedWindows(limit=limit, window=window_seconds, max_keys=max_addresses)
        self._logins: dict[str, tuple[int, datetime]] = {}

    async def reserve(self, address: str) -> None:
        wait = self._addresses.take(address)
        if wait is not None:
            raise _blocked(wait)

    async def release(self, address: str) -> None:
        self._addresses.give_back(address)

    async def reserve_login(self, login_no: str, now: datetime) -> LoginWindow:
        key = login_key(login_no)
        count, until = self._logins.get(key, (0, None))
        fresh = window_end(now, math.ceil(self.window / 60))
        window = next_window(count, until, now, fresh, self.threshold)
        if window.counted:
            self._logins[key] = (window.count, window.until)
            if len(self._logins) > self._max:
                for stale in [k for k, (_, end) in self._logins.items() if end <= now]:
                    del self._logins[stale]
                while len(self._logins) > self._max:
                    self._logins.pop(next(iter(self._logins)))
        return window

    async def aclose(self) -> None:
        return None


# KEYS[1] the address; ARGV: window ms, limit. Returns {1, 0} when counted, else {0, pttl}.
_RESERVE_ADDRESS = """
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  redis.call('DECR', KEYS[1])
  return {0, redis.call('PTTL', KEYS[1])}
end
return {1, 0}
"""

_RELEASE_ADDRESS = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return n
"""

# KEYS[1] the login number's key; ARGV: now ms, a fresh window's end ms, threshold.
# Returns {count, until ms, counted}: next_window() in Lua.
_RESERVE_LOGIN = """
local now = tonumber(ARGV[1])
local fresh = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'count', 'until')
local count = tonumber(state[1] or '0')
local ends = tonumber(state[2] or '0')
if ends <= now then
  count = 1
  ends = fresh
elseif count >= threshold then
  return {count, ends, 0}
else
  count = count + 1
  if count >= threshold then ends = fresh end
end
redis.call('HSET', KEYS[1], 'count', count, 'until', ends)
redis.call('PEXPIREAT', KEYS[1], ends)
return {count, ends, 1}
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisThrottle:
    PREFIX = "hub:signin-failures:"
    LOGIN_PREFIX = "hub:signin-login:"

    def __init__(self, url: str, *, limit: int, window_seconds: int, threshold: int = 5) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self.limit = limit
        self.window = window_seconds
        self.threshold = threshold
        self._reserve: Any = self._redis.register_script(_RESERVE_ADDRESS)
        self._release: Any = self._redis.register_script(_RELEASE_ADDRESS)
        self._reserve_login: Any = self._redis.register_script(_RESERVE_LOGIN)

    async def reserve(self, address: str) -> None:
        counted, pttl = await self._reserve(
            keys=[self.PREFIX + address], args=[self.window * 1000, self.limit]
        )
        if not int(counted):
            raise _blocked(int(pttl) / 1000 if int(pttl) > 0 else self.window)

    async def release(self, address: str) -> None:
        await self._release(keys=[self.PREFIX + address])

    async def reserve_login(self, login_no: str, now: datetime) -> LoginWindow:
        fresh = window_end(now, math.ceil(self.window / 60))
        count, until_ms, counted = await self._reserve_login(
            keys=[self.LOGIN_PREFIX + login_key(login_no)],
            args=[_ms(now), _ms(fresh), self.threshold],
        )
        until = datetime.fromtimestamp(int(until_ms) / 1000, UTC)
        return LoginWindow(int(count), until, bool(int(counted)))

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_throttle(settings: Settings) -> AddressThrottle:
    limit = settings.lockout_threshold * ADDRESS_LIMIT_FACTOR
    window = settings.lockout_minutes * 60
    threshold = settings.lockout_threshold
    if settings.redis_url:
        return RedisThrottle(
            settings.redis_url, limit=limit, window_seconds=window, threshold=threshold
        )
    return MemoryThrottle(limit=limit, window_seconds=window, threshold=threshold)
