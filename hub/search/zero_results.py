"""The zero-result query log: where the synonym table must grow, written without letting an
anonymous caller write to the database at will.

Searches that find nothing are *offered* to this log; the answer never waits for it.
What bounds it:
- the caller allows at most one record per request (see ``SearchService.search``'s
  ``claim``);
- each client address may add at most ``per_address`` records a minute;
- the queue holds at most ``queue_size`` records; beyond that records are dropped, and
  counted;
- one background task writes what is queued in batches (one INSERT of up to ``batch``
  rows, at most every ``interval`` seconds), so a burst of misses costs a few statements,
  not one transaction each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.models import ZeroResultQuery
from hub.models.base import utcnow
from hub.windows import FixedWindows

log = logging.getLogger(__name__)

QUERY_LOG_CHARS = 200  # the column width of zero_result_query.query/normalized
WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000


class ZeroResultLog:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        *,
        queue_size: int = 1000,
        per_address: int = 30,
        batch: int = 200,
        interval: float = 1.0,
    ) -> None:
        self._factory = factory
        self._queue: deque[tuple[str, str, datetime]] = deque()
        self._queue_size = queue_size
        self._batch = batch
        self._interval = interval
        self._addresses = FixedWindows(
            limit=per_address, window=WINDOW_SECONDS, max_keys=MAX_ADDRESSES
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()
        self.dropped = 0
        self.written = 0

    @property
    def queued(self) -> int:
        return len(self._queue)

    def offer(self, query: str, normalized: str, address: str = "-") -> bool:
        """Queue one record; False (and counted as dropped) when a bound says no."""
        if self._addresses.take(address) is not None or len(self._queue) >= self._queue_size:
            self.dropped += 1
            return False
        self._queue.append(
            (query.strip()[:QUERY_LOG_CHARS], normalized[:QUERY_LOG_CHARS], utcnow())
        )
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="zero-result-log")
        if len(self._queue) >= self._batch:
            self._wake.set()
        return True

    async def _run(self) -> None:
        while self._queue:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write everything queued now (the writer calls it; tests and shutdown too)."""
        async with self._writing:
            while self._queue:
                rows = [self._queue.popleft() for _ in range(min(self._batch, len(self._queue)))]
                try:
                    async with transaction(self._factory) as session:
                        await session.exec(
                            insert(ZeroResultQuery).values(
                                [{"query": q, "normalized": n, "at": at} for q, n, at in rows]
                            )
                        )
                except Exception:  # a lost log line must never surface as a failed search
                    self.dropped += len(rows)
                    log.warning("could not record %d zero-result queries", len(rows), exc_info=True)
                    return
                self.written += len(rows)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
