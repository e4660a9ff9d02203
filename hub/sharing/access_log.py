"""The access log of served datasets: append-only and hash-chained.

Each entry carries the hash of the entry before it (``prev_hash``; the first carries
:data:`GENESIS`) and its own ``hash``, SHA-256 over its content and ``prev_hash``. Editing,
deleting or inserting an entry anywhere breaks the chain from there on, and :func:`verify_chain`
names the first entry that no longer fits. ``prev_hash`` is unique, so two writers can never
both follow the same entry: appends are serialised (SQLite's writer lock; a transaction-scoped
advisory lock on PostgreSQL) and a lost race is a unique violation, never a fork.

The key looked up is stored only as a keyed hash (HMAC-SHA-256 with a secret from settings),
so the log shows which calls asked for the same record without holding the record's key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.models import DatasetAccess
from hub.models.base import utcnow
from hub.models.enums import AccessMode, AccessOutcome

GENESIS = "0" * 64
#: Any 64-bit number: the advisory lock every append takes on PostgreSQL.
_CHAIN_LOCK = 7_300_115_001


@dataclass(frozen=True, slots=True)
class KeyHasher:
    secret: bytes

    def __call__(self, keys: Sequence[str]) -> str:
        """Each key's HMAC (hex, 16 bytes), comma-separated, in the order asked."""
        return ",".join(
            hmac.new(self.secret, key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
            for key in keys
        )


def _utc(at: datetime) -> datetime:
    """The same instant however the database hands it back (SQLite: naive UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def entry_digest(entry: DatasetAccess) -> str:
    """SHA-256 over everything an entry says, and the hash of the entry before it."""
    parts = [
        _utc(entry.at).isoformat(timespec="microseconds"),
        str(entry.staff_id),
        str(entry.org_id or ""),
        str(entry.grant_id or ""),
        str(entry.dataset_id),
        str(entry.mode),
        ",".join(entry.fields),
        str(entry.keys),
        str(entry.outcome),
        entry.request_id,
        entry.key_hash,
        entry.prev_hash,
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Call:
    """One call on a served dataset, as it will be logged."""

    staff_id: int
    org_id: int | None
    grant_id: int | None
    dataset_id: int
    mode: AccessMode
    fields: list[str]
    keys: int
    outcome: AccessOutcome
    request_id: str
    key_hash: str


async def append(session: AsyncSession, call: Call, at: datetime | None = None) -> DatasetAccess:
    """Add ``call`` at the end of the chain, in the caller's transaction."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    last = (
        await session.exec(
            select(DatasetAccess.hash).order_by(col(DatasetAccess.id).desc()).limit(1)
        )
    ).first()
    entry = DatasetAccess(
        at=at or utcnow(),
        staff_id=call.staff_id,
        org_id=call.org_id,
        grant_id=call.grant_id,
        dataset_id=call.dataset_id,
        mode=call.mode,
        fields=list(call.fields),
        keys=call.keys,
        outcome=call.outcome,
        request_id=call.request_id[:64],
        key_hash=call.key_hash,
        prev_hash=last or GENESIS,
        hash="",
    )
    entry.hash = entry_digest(entry)
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    first_broken: int | None  # id of the first entry that does not fit
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken is None


async def _entries(session: AsyncSession, batch: int) -> AsyncIterator[DatasetAccess]:
    after = 0
    while True:
        rows = (
            await session.exec(
                select(DatasetAccess)
                .where(col(DatasetAccess.id) > after)
                .order_by(col(DatasetAccess.id))
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].id or after


async def verify_chain(session: AsyncSession, batch: int = 5_000) -> ChainReport:
    """Walk the log in order and name the first entry whose hash or link does not fit."""
    expected_prev = GENESIS
    count = 0
    async for entry in _entries(session, batch):
        count += 1
        if entry.prev_hash != expected_prev:
            return ChainReport(count, entry.id, "does not follow the entry before it")
        if entry_digest(entry) != entry.hash:
            return ChainReport(count, entry.id, "its content does not match its hash")
        expected_prev = entry.hash
    return ChainReport(count, None)
