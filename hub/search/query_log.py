"""The query log: what people actually search, counted per query and day, for hot searches
and for ranking suggestions, written without letting an anonymous caller write at will.

Searches are *offered* (first pages with something typed); the answer never waits. What
bounds it:
- one record per request (the caller's ``claim``) and ``per_address`` records a minute per
  client address;
- at most ``max_pending`` distinct queries wait in memory; more are dropped, and counted;
- one background task adds them up into ``search_query_stat`` (one row per query and day) at
  most every ``interval`` seconds, in one upsert;
- at most ``max_daily`` distinct queries a day get a row; beyond that only known ones count;
- rows older than ``keep_days`` are deleted as the writer goes.

Hot searches are the queries searched most over the last week that found something, from at
least ``MIN_SOURCES`` client addresses (so that one caller cannot put words on a public list);
they and the popularity that ranks suggestions are read again at most every
``CACHE_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.models import SearchQueryStat
from hub.models.base import utcnow
from hub.windows import FixedWindows

log = logging.getLogger(__name__)

MAX_QUERY = 64  # characters of a normalised query (the column width)
MIN_SOURCES = 3
HOT_DAYS = 7
POPULAR_DAYS = 30
POPULAR_SIZE = 5000
CACHE_SECONDS = 60.0
MAX_ADDRESSES = 10_000
MAX_SOURCES_PER_QUERY = 100  # addresses remembered per query and window


@dataclass
class _Pending:
    searches: int = 0
    hits: int = 0
    sources: set[str] = field(default_factory=set)


class QueryLog:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        *,
        per_address: int = 30,
        max_pending: int = 2000,
        max_daily: int = 20_000,
        keep_days: int = 90,
        interval: float = 5.0,
    ) -> None:
        self._factory = factory
        self._pending: dict[str, _Pending] = {}
        self._max_pending = max_pending
        self._max_daily = max_daily
        self._keep_days = keep_days
        self._interval = interval
        self._addresses = FixedWindows(limit=per_address, window=60.0, max_keys=MAX_ADDRESSES)
        self._task: asyncio.Task[None] | None = None
        self._writing = asyncio.Lock()
        self._pruned_on: date | None = None
        self._hot: tuple[float, list[tuple[str, int]]] | None = None
        self._popular: tuple[float, dict[str, int]] | None = None
        self.dropped = 0
        self.written = 0

    # writing ------------------------------------------------------------------------

    def offer(self, normalized: str, hits: int, address: str = "-") -> bool:
        """Count one search of ``normalized`` that found ``hits``; False when a bound says no."""
        query = normalized.strip()[:MAX_QUERY]
        if not query:
            return False
        known = self._pending.get(query)
        if self._addresses.take(address) is not None or (
            known is None and len(self._pending) >= self._max_pending
        ):
            self.dropped += 1
            return False
        entry = known if known is not None else self._pending.setdefault(query, _Pending())
        entry.searches += 1
        entry.hits = hits
        if len(entry.sources) < MAX_SOURCES_PER_QUERY:
            entry.sources.add(address)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="query-log")
        return True

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self._interval)
            await self.flush()

    async def flush(self) -> None:
        """Add what is pending to today's rows (the writer calls it; tests and shutdown too)."""
        async with self._writing:
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            today = utcnow().date()
            try:
                async with transaction(self._factory) as session:
                    await self._upsert(session, today, pending)
                    if self._pruned_on != today:
                        cutoff = today - timedelta(days=self._keep_days)
                        await session.exec(
                            delete(SearchQueryStat).where(col(SearchQueryStat.day) < cutoff)
                        )
                        self._pruned_on = today
            except Exception:  # a lost count must never surface as a failed search
                self.dropped += sum(p.searches for p in pending.values())
                log.warning("could not record %d searched queries", len(pending), exc_info=True)
                return
            self.written += sum(p.searches for p in pending.values())

    async def _upsert(
        self, session: AsyncSession, today: date, pending: Mapping[str, _Pending]
    ) -> None:
        keys = list(pending)
        existing = set(
            await session.exec(
                select(SearchQueryStat.normalized).where(
                    col(SearchQueryStat.day) == today, col(SearchQueryStat.normalized).in_(keys)
                )
            )
        )
        rows_today = int(
            (
                await session.exec(
                    select(func.count())
                    .select_from(SearchQueryStat)
                    .where(col(SearchQueryStat.day) == today)
                )
            ).one()
        )
        room = max(0, self._max_daily - rows_today)
        values = []
        for key in keys:
            if key not in existing:
                if room == 0:
                    self.dropped += pending[key].searches
                    continue
                room -= 1
            entry = pending[key]
            values.append(
                {
                    "day": today,
                    "normalized": key,
                    "searches": entry.searches,
                    "sources": len(entry.sources),
                    "hits": entry.hits,
                }
            )
        if not values:
            return
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(SearchQueryStat).values(values)
        table = SearchQueryStat.__table__.c  # type: ignore[attr-defined]
        statement = statement.on_conflict_do_update(
            index_elements=["day", "normalized"],
            set_={
                "searches": table.searches + statement.excluded.searches,
                "sources": table.sources + statement.excluded.sources,
                "hits": statement.excluded.hits,
            },
        )
        await session.exec(statement)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    # reading ------------------------------------------------------------------------

    async def hot(self, limit: int) -> list[tuple[str, int]]:
        """(query, searches) most searched over the last HOT_DAYS that found something, from
        at least MIN_SOURCES addresses; read again at most every CACHE_SECONDS."""
        now = time.monotonic()
        if self._hot is None or now - self._hot[0] >= CACHE_SECONDS:
            since = utcnow().date() - timedelta(days=HOT_DAYS)
            searches = func.sum(SearchQueryStat.searches).label("searches")
            normalized = col(SearchQueryStat.normalized)
            async with self._factory() as session:
                rows = await session.exec(
                    select(normalized, searches)
                    .where(col(SearchQueryStat.day) >= since, col(SearchQueryStat.hits) > 0)
                    .group_by(normalized)
                    .having(func.sum(SearchQueryStat.sources) >= MIN_SOURCES)
                    .order_by(searches.desc(), normalized)
                    .limit(100)
                )
                self._hot = (now, [(str(q), int(n)) for q, n in rows.all()])
        return self._hot[1][:limit]

    async def popularity(self) -> dict[str, int]:
        """Searches per query over the last POPULAR_DAYS (the POPULAR_SIZE most searched)."""
        now = time.monotonic()
        if self._popular is None or now - self._popular[0] >= CACHE_SECONDS:
            since = utcnow().date() - timedelta(days=POPULAR_DAYS)
            searches = func.sum(SearchQueryStat.searches).label("searches")
            normalized = col(SearchQueryStat.normalized)
            async with self._factory() as session:
                rows = await session.exec(
                    select(normalized, searches)
                    .where(col(SearchQueryStat.day) >= since)
                    .group_by(normalized)
                    .order_by(searches.desc())
                    .limit(POPULAR_SIZE)
                )
                self._popular = (now, {str(q): int(n) for q, n in rows.all()})
        return self._popular[1]
