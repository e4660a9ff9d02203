"""Applying the search outbox to the index: claiming the oldest pending rows, reading what
the database holds for their services, writing that to the engine, and marking the rows
applied (or backing them off); draining it, its status, and the :class:`OutboxWorker` task
that applies it while the app runs. The outbox's rules and how writes fill it are in
:mod:`hub.search.sync`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.models import SearchOutbox
from hub.models.base import utcnow
from hub.search.backend import SearchBackend, SearchError, SearchUnavailable, ServiceDocument
from hub.search.documents import load_documents
from hub.search.refreshed import APPLIED_KEY, bump
from hub.search.semantic_store import assign
from hub.search.sync import BATCH, POLL_SECONDS, backoff, stop_waking, wake_on_commit

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- applying


@dataclass
class _Batch:
    rows: list[SearchOutbox]
    docs: list[ServiceDocument]  # published services among the rows, as the database has them
    gone: list[int]  # services to remove: unpublished or deleted

    @property
    def ids(self) -> list[int]:
        return [int(r.id or 0) for r in self.rows]


async def sync_once(
    session_factory: async_sessionmaker[AsyncSession],
    backend: SearchBackend,
    *,
    batch: int = BATCH,
    now: datetime | None = None,
) -> int:
    """Apply the oldest pending outbox rows (up to ``batch``); returns how many were applied.

    Raises :class:`SearchError` when the engine failed; the rows then stay pending with their
    attempt recorded and a back-off, to be retried in the same order.

    On PostgreSQL the rows are claimed ``FOR UPDATE SKIP LOCKED`` for the whole round, so
    several processes share the work without applying a row twice at once. SQLite cannot
    hold a read transaction across the engine call and then write (another writer in between
    makes the upgrade fail), and it has one writer anyway: there the round reads, applies,
    then marks in a second short transaction.
    """
    now = now or utcnow()
    async with session_factory() as probe:
        locking = probe.bind is not None and probe.bind.dialect.name == "postgresql"
    vectors = backend.takes_vectors
    if locking:
        async with transaction(session_factory) as session:
            claimed = await _claim(session, batch, now, lock=True, vectors=vectors)
            if claimed is None:
                return 0
            failure = await _apply(backend, claimed)
            await _mark(session, claimed, failure, now)
    else:
        async with session_factory() as session:  # a read: no writer lock
            claimed = await _claim(session, batch, now, lock=False, vectors=vectors)
        if claimed is None:
            return 0
        failure = await _apply(backend, claimed)
        async with transaction(session_factory) as session:
            await _mark(session, claimed, failure, now)
    if failure is not None:
        kind = type(failure) if isinstance(failure, SearchError) else SearchUnavailable
        raise kind(f"search outbox: {len(claimed.rows)} rows left pending: {failure}")
    return len(claimed.rows)


async def _claim(
    session: AsyncSession, batch: int, now: datetime, *, lock: bool, vectors: bool = False
) -> _Batch | None:
    query = (
        select(SearchOutbox)
        .where(col(SearchOutbox.processed_at).is_(None))
        .order_by(col(SearchOutbox.id))
        .limit(batch)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    rows = list(await session.exec(query))
    if not rows:
        return None
    head = rows[0]
    if head.next_attempt_at is not None and head.next_attempt_at > now:
        return None  # backing off: the engine failed recently
    # whatever the rows say, the index is made to show what the database holds now
    service_ids = list(dict.fromkeys(r.service_id for r in rows))
    docs = await load_documents(session, service_ids, vectors=vectors)
    published = {d.id for d in docs}
    return _Batch(rows, docs, [sid for sid in service_ids if sid not in published])


async def _apply(backend: SearchBackend, claimed: _Batch) -> Exception | None:
    try:
        if claimed.gone:
            await backend.delete(claimed.gone)
        if claimed.docs:
            await backend.upsert(claimed.docs)
    except (SearchError, OSError, TimeoutError) as exc:
        return exc
    return None


async def _mark(
    session: AsyncSession, claimed: _Batch, failure: Exception | None, now: datetime
) -> None:
    statement = update(SearchOutbox).where(col(SearchOutbox.id).in_(claimed.ids))
    if failure is None:
        await session.exec(statement.values(processed_at=now, next_attempt_at=None))
        await bump(session, APPLIED_KEY)  # the index shows these rows: answers may follow
        # what each service is embedded as, for recall by meaning (hashes only: the
        # vectors follow, see hub.search.semantic_store)
        await assign(session, claimed.docs, claimed.gone)
        return
    attempts = max(r.attempts for r in claimed.rows) + 1
    await session.exec(
        statement.values(
            attempts=col(SearchOutbox.attempts) + 1,
            next_attempt_at=now + backoff(attempts),
            last_error=f"{type(failure).__name__}: {failure}"[:1000],
        )
    )


async def drain(
    session_factory: async_sessionmaker[AsyncSession],
    backend: SearchBackend,
    *,
    batch: int = BATCH,
) -> int:
    """Apply the outbox until nothing is due; returns how many rows were applied."""
    total = 0
    while applied := await sync_once(session_factory, backend, batch=batch):
        total += applied
    return total


async def requeue_processed_since(
    session_factory: async_sessionmaker[AsyncSession], since: datetime
) -> int:
    """Make rows applied since ``since`` pending again (after a full rebuild switched
    indexes, changes applied to the old one during the rebuild must reach the new one)."""
    async with transaction(session_factory) as session:
        result = await session.exec(
            update(SearchOutbox)
            .where(col(SearchOutbox.processed_at) >= since)
            .values(processed_at=None, next_attempt_at=None)
        )
        return int(result.rowcount or 0)


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    oldest_pending_at: datetime | None
    failing: int  # pending rows that have failed at least once
    max_attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


async def outbox_status(session: AsyncSession) -> OutboxStatus:
    pending = col(SearchOutbox.processed_at).is_(None)
    count, oldest, max_attempts = (
        await session.exec(
            select(
                func.count(),
                func.min(col(SearchOutbox.created_at)),
                func.coalesce(func.max(col(SearchOutbox.attempts)), 0),
            ).where(pending)
        )
    ).one()
    failing = (
        await session.exec(
            select(func.count())
            .select_from(SearchOutbox)
            .where(pending, col(SearchOutbox.attempts) > 0)
        )
    ).one()
    head = (
        await session.exec(
            select(col(SearchOutbox.next_attempt_at), col(SearchOutbox.last_error))
            .where(pending, col(SearchOutbox.attempts) > 0)
            .order_by(col(SearchOutbox.id))
            .limit(1)
        )
    ).first()
    return OutboxStatus(
        pending=int(count),
        oldest_pending_at=oldest,
        failing=int(failing),
        max_attempts=int(max_attempts),
        next_attempt_at=head[0] if head else None,
        last_error=head[1] if head else None,
    )


# --------------------------------------------------------------------------- the worker


class OutboxWorker:
    """An asyncio task that applies the outbox: woken right after commits that wrote outbox
    rows, otherwise polling every :data:`POLL_SECONDS`.

    ``before_each`` (optional) runs before each round until it succeeds once; the runtime
    uses it to build a missing index as soon as the engine is reachable.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        backend: SearchBackend,
        *,
        poll_seconds: float = POLL_SECONDS,
        batch: int = BATCH,
        before_each: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._factory = session_factory
        self._backend = backend
        self._poll = poll_seconds
        self._batch = batch
        self._before_each = before_each
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.applied = 0
        self.last_error: str | None = None

    @property
    def starting(self) -> bool:
        """The start-up hook has not succeeded yet (e.g. the first index build)."""
        return self._before_each is not None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        wake_on_commit(self)
        self._task = asyncio.create_task(self._run(), name="search-outbox")

    def notify(self) -> None:
        """Wake the worker (callable from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        self._stopping = True
        stop_waking(self)
        task, self._task = self._task, None
        if task is not None:
            self._wake.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> int:
        """One round: the start-up hook if still owed, then one batch of the outbox."""
        if self._before_each is not None:
            await self._before_each()
            self._before_each = None
        applied = await sync_once(self._factory, self._backend, batch=self._batch)
        self.applied += applied
        self.last_error = None
        return applied

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            applied = 0
            try:
                applied = await self.run_once()
            except asyncio.CancelledError:
                raise
            except SearchError as exc:
                if self.last_error != str(exc):
                    log.warning("search index is behind: %s", exc)
                self.last_error = str(exc)
            except Exception as exc:  # the worker must outlive any one failure
                log.exception("search outbox worker failed")
                self.last_error = f"{type(exc).__name__}: {exc}"
            if applied >= self._batch:
                continue  # more is waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
