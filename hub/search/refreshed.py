"""What each process keeps in memory and reads again from the database now and then: the
synonym table (:mod:`hub.search.synonyms`) and the vectors (:mod:`hub.search.semantic`), and
the ``search_state`` counters that tell them something changed (:func:`bump`)."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.models import SearchState

CHECK_SECONDS = 1.0
#: bumped with every batch of the outbox applied to the index (``hub.search.sync_apply``)
APPLIED_KEY = "outbox_applied"


async def bump(session: AsyncSession, key: str) -> int:
    """The counter ``key`` of ``search_state``, bumped by one in this transaction."""
    bumped = await session.exec(
        update(SearchState)
        .where(col(SearchState.key) == key)
        .values(value=col(SearchState.value) + 1)
        .returning(col(SearchState.value))
    )
    value = bumped.scalar_one_or_none()
    if value is None:
        session.add(SearchState(key=key, value=1))
        await session.flush()
        return 1
    return int(value)


async def counters(session: AsyncSession) -> dict[str, int]:
    """Every ``search_state`` counter, as the database has them now."""
    rows = await session.exec(select(SearchState.key, SearchState.value))
    return {str(key): int(value) for key, value in rows.all()}


class Refreshed:
    """A copy of something in the database, checked at most every :data:`CHECK_SECONDS`
    (at once with ``force``); one check at a time."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    def _due(self) -> bool:
        return time.monotonic() - self._checked_at >= CHECK_SECONDS

    async def refresh(self, *, force: bool = False) -> None:
        if not force and not self._due():
            return
        async with self._lock:
            if not force and not self._due():
                return
            async with self._factory() as session:
                await self._reload(session)
            self._checked_at = time.monotonic()

    async def _reload(self, session: AsyncSession) -> None:
        """Read what changed since the last check."""
        raise NotImplementedError
