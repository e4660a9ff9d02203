"""Counts per key in fixed time windows, in this process, bounded in keys: the address limits
of sign-in (:mod:`hub.auth.throttle`) and of the zero-result log
(:mod:`hub.search.zero_results`)."""

from __future__ import annotations

import time


class FixedWindows:
    """At most ``limit`` counts per key in a window of ``window`` seconds from its first count.

    Keys are dropped once their window has passed, as the map grows; past ``max_keys`` the
    oldest go too, so a caller inventing keys cannot grow it without bound.
    """

    def __init__(self, *, limit: int, window: float, max_keys: int) -> None:
        self.limit = limit
        self.window = window
        self._max = max_keys
        self._counts: dict[str, tuple[float, int]] = {}

    def take(self, key: str) -> float | None:
        """Count one for ``key``: None when counted, else the seconds until its window ends
        (nothing counted)."""
        now = time.monotonic()
        started, count = self._counts.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        if count >= self.limit:
            return started + self.window - now
        self._counts[key] = (started, count + 1)
        if len(self._counts) > self._max:
            self._prune(now)
        return None

    def give_back(self, key: str) -> None:
        """Undo one count of ``key`` in its current window."""
        entry = self._counts.get(key)
        if entry is not None and entry[1] > 0:
            self._counts[key] = (entry[0], entry[1] - 1)

    def _prune(self, now: float) -> None:
        for key in [k for k, (s, _) in self._counts.items() if now - s >= self.window]:
            del self._counts[key]
        while len(self._counts) > self._max:
            self._counts.pop(next(iter(self._counts)))
