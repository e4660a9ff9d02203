"""Keeping the index in step with the database through the ``search_outbox`` table.

A write that changes what a service looks like in search adds outbox rows in the *same*
transaction (:func:`enqueue`, :func:`enqueue_for_org`, :func:`enqueue_for_material`), so the
change and its "reindex me" note commit or roll back together. The :class:`OutboxWorker`
applies pending rows right after the commit (it is woken by the commit itself) or at the next
poll. Applying a row means "make the index show what the database holds now": published →
upsert, anything else → delete. That makes rows idempotent and lets duplicates collapse.

When the engine fails, rows stay pending with ``attempts``, ``last_error`` and a
``next_attempt_at`` that backs off exponentially (capped at a minute). The queue is applied
strictly in id order: while its head waits, so does everything behind it. Writes to the
database never wait for the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from hub.db import transaction
from hub.models import MaterialRequirement, Org, SearchOutbox, ServiceItem
from hub.models.base import utcnow
from hub.models.enums import OutboxOp
from hub.search.backend import SearchBackend, SearchError, SearchUnavailable, ServiceDocument
from hub.search.documents import load_documents

log = logging.getLogger(__name__)

BATCH = 500
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0

_DIRTY = "hub.search.outbox_dirty"
_workers: weakref.WeakSet[OutboxWorker] = weakref.WeakSet()


# --------------------------------------------------------------------------- enqueueing


async def enqueue(
    session: AsyncSession, service_ids: Iterable[int], op: str = OutboxOp.UPSERT
) -> int:
    """Note that these services must be re-read into the index. Never commits."""
    if op not in (OutboxOp.UPSERT, OutboxOp.DELETE):
        raise ValueError(f"outbox op must be 'upsert' or 'delete', not {op!r}")
    kind = OutboxOp.DELETE if op == OutboxOp.DELETE else OutboxOp.UPSERT
    rows = [SearchOutbox(service_id=int(i), op=kind) for i in dict.fromkeys(service_ids)]
    session.add_all(rows)
    if rows:
        _mark_dirty(session)
    return len(rows)


async def enqueue_for_org(session: AsyncSession, org_id: int) -> int:
    """Every service implemented by the org or an org below it (names and paths are in their
    documents). One ``INSERT … SELECT``; never commits."""
    path = (await session.exec(select(Org.path).where(col(Org.id) == org_id))).one_or_none()
    if path is None:
        return 0
    subtree = select(col(Org.id)).where(col(Org.path).startswith(path))
    services = select(col(ServiceItem.id)).where(col(ServiceItem.org_id).in_(subtree))
    return await _enqueue_select(session, services)


async def enqueue_for_material(session: AsyncSession, material_id: int) -> int:
    """Every service that requires the material (its name is in their documents)."""
    services = (
        select(col(MaterialRequirement.service_id))
        .where(col(MaterialRequirement.material_id) == material_id)
        .distinct()
    )
    return await _enqueue_select(session, services)


async def _enqueue_select(session: AsyncSession, service_ids: SelectOfScalar[Any]) -> int:
    subquery = service_ids.subquery()
    column = next(iter(subquery.c))
    statement = insert(SearchOutbox).from_select(
        ["service_id", "op", "created_at", "attempts"],
        sa_select(
            column,
            literal(OutboxOp.UPSERT.value),
            # typed, so that the column's own conversion (UTC) applies as for ORM rows
            literal(
                utcnow(), type_=SearchOutbox.metadata.tables["search_outbox"].c.created_at.type
            ),
            literal(0),
        ),
    )
    result = await session.exec(statement)
    count = int(result.rowcount or 0)
    if count:
        _mark_dirty(session)
    return count


def _mark_dirty(session: AsyncSession) -> None:
    session.sync_session.info[_DIRTY] = True


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    """A transaction that wrote outbox rows committed: apply them now, not at the next poll."""
    if session.info.pop(_DIRTY, False):
        for worker in list(_workers):
            worker.notify()


@event.listens_for(Session, "after_rollback")
def _forget_dirty(session: Session) -> None:
    session.info.pop(_DIRTY, None)


# --------------------------------------------------------------------------- applying


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at :data:`MAX_BACKOFF_SECONDS`."""
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts - 1)))


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
    if locking:
        async with transaction(session_factory) as session:
            claimed = await _claim(session, batch, now, lock=True)
            if claimed is None:
                return 0
            failure = await _apply(backend, claimed)
            await _mark(session, claimed, failure, now)
    else:
        async with session_factory() as session:  # a read: no writer lock
            claimed = await _claim(session, batch, now, lock=False)
        if claimed is None:
            return 0
        failure = await _apply(backend, claimed)
        async with transaction(session_factory) as session:
            await _mark(session, claimed, failure, now)
    if failure is not None:
        kind = type(failure) if isinstance(failure, SearchError) else SearchUnavailable
        raise kind(f"search outbox: {len(claimed.rows)} rows left pending: {failure}")
    return len(claimed.rows)


async def _claim(session: AsyncSession, batch: int, now: datetime, *, lock: bool) -> _Batch | None:
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
    docs = await load_documents(session, service_ids)
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
        _workers.add(self)
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
        _workers.discard(self)
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
