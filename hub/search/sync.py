"""Keeping the index in step with the database through the ``search_outbox`` table: the
outbox's rules, and how writes fill it.

A write that changes what a service looks like in search adds outbox rows in the *same*
transaction (:func:`enqueue`, :func:`enqueue_for_org`, :func:`enqueue_for_material`), so the
change and its "reindex me" note commit or roll back together. The
:class:`~hub.search.sync_apply.OutboxWorker` applies pending rows right after the commit (it
is woken by the commit itself, through :func:`wake_on_commit`) or at the next poll. Applying
a row means "make the index show what the database holds now": published → upsert, anything
else → delete. That makes rows idempotent and lets duplicates collapse. How rows are claimed,
applied and marked is in :mod:`hub.search.sync_apply`.

When the engine fails, rows stay pending with ``attempts``, ``last_error`` and a
``next_attempt_at`` that backs off exponentially (:func:`backoff`, capped at a minute). The
queue is applied strictly in id order: while its head waits, so does everything behind it.
Writes to the database never wait for the engine.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import event, insert, literal
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from hub.models import MaterialRequirement, Org, SearchOutbox, ServiceItem
from hub.models.base import utcnow
from hub.models.enums import OutboxOp

BATCH = 500
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at :data:`MAX_BACKOFF_SECONDS`."""
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts - 1)))


class Wakeable(Protocol):
    def notify(self) -> None:
        """Apply the outbox soon (callable from any thread)."""


_DIRTY = "hub.search.outbox_dirty"
_workers: weakref.WeakSet[Wakeable] = weakref.WeakSet()


def wake_on_commit(worker: Wakeable) -> None:
    """Notify ``worker`` after every commit that wrote outbox rows (until it is forgotten)."""
    _workers.add(worker)


def stop_waking(worker: Wakeable) -> None:
    _workers.discard(worker)


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
