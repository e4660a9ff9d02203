"""Engine and session factory.

The caller owns the transaction: domain functions never commit; :func:`transaction` and
:func:`unit_of_work` (which also turns lost races into CONFLICT) are where one begins and ends.

On SQLite a transaction that will write says so up front (:func:`transaction`, or a
connection or engine with the :data:`WRITES` execution option, see :func:`writer`): it begins
with ``BEGIN IMMEDIATE``, which takes the database's one writer lock at once, waiting up to
the busy timeout while another connection (another process, the server's outbox worker) holds
it. Without that, the driver begins a *deferred* transaction at the first INSERT/UPDATE/DELETE
(and none at all for a SAVEPOINT): the reads before it see a snapshot, and once another
connection commits in between, the write fails at once with "database is locked"
(SQLITE_BUSY_SNAPSHOT), which no busy timeout waits out. Reads begin nothing and take no lock.

Within one process, writers to a SQLite database also queue on an asyncio lock, first come
first served, before they ask for the writer lock: SQLite's own busy handler retries with
sleeps and serves nobody in order, so at 16 concurrent writers some waited seconds while others
went through. Other processes (the import command) still meet at SQLite's lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.errors import Conflict
from hub.settings import Settings

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")

#: Execution option: this connection's transactions will write (SQLite: ``BEGIN IMMEDIATE``).
WRITES = "hub_writes"
#: How long a writer waits for SQLite's writer lock before "database is locked", ms.
SQLITE_BUSY_MS = 10_000


class DatabaseConfigError(RuntimeError):
    """A database setting is wrong or the database cannot be reached; the message is one line."""


def _check_url(url: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"HUB_DATABASE_URL is not a database URL: {exc}") from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise DatabaseConfigError(
            f"HUB_DATABASE_URL uses driver {parsed.drivername!r}; "
            f"use one of {', '.join(SUPPORTED_DRIVERS)}"
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """A writer's transaction takes the writer lock first (the module docstring says why).

    Run on the DBAPI cursor, as SQLAlchemy runs COMMIT and ROLLBACK: transaction control, not
    a statement of the caller's (statement counters and ``before_cursor_execute`` hooks do not
    see it). The driver sees the open transaction and adds no BEGIN of its own; its COMMIT
    and ROLLBACK end this one.
    """
    if not conn.get_execution_options().get(WRITES):
        return
    dbapi = conn.dialect.loaded_dbapi
    connection = conn.connection.dbapi_connection
    assert connection is not None, "begin on a closed connection"
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except dbapi.Error as exc:
        raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, dbapi.Error) from exc
    finally:
        cursor.close()


def create_engine(settings: Settings, *, statement_timeout: float | None = None) -> AsyncEngine:
    """The engine for ``settings``' database. ``statement_timeout`` (seconds, PostgreSQL only)
    makes the server stop any statement running longer: the web app's bound on a read that
    outlives its request (:meth:`hub.graphql.context.Context.read`)."""
    url = settings.resolved_database_url
    _check_url(url)
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    try:
        connect_args: dict[str, Any] = {}
        if statement_timeout is not None:
            milliseconds = str(round(statement_timeout * 1000))
            connect_args["server_settings"] = {"statement_timeout": milliseconds}
        return create_async_engine(
            url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args
        )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseConfigError(f"HUB_DATABASE_URL is not usable: {exc}") from None


async def check_connection(engine: AsyncEngine) -> None:
    """Raise a one-line :class:`DatabaseConfigError` naming the setting when unreachable."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseConfigError(f"HUB_DATABASE_URL={where} cannot be reached: {reason}") from None


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, whose transactions will write (see :data:`WRITES`)."""
    return engine.execution_options(**{WRITES: True})


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


#: SQLite writers of this process queue here, per event loop and engine (see the module doc).
_WRITER_QUEUES: WeakKeyDictionary[asyncio.AbstractEventLoop, WeakKeyDictionary[Any, asyncio.Lock]]
_WRITER_QUEUES = WeakKeyDictionary()


def _writer_queue(factory: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    bind = factory.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return None
    queues = _WRITER_QUEUES.setdefault(asyncio.get_running_loop(), WeakKeyDictionary())
    return queues.setdefault(bind.sync_engine, asyncio.Lock())


@asynccontextmanager
async def transaction(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work that writes: commit on success, roll back on any error.

    On SQLite it begins with ``BEGIN IMMEDIATE`` (the writer lock, waited for, in arrival order
    within the process); a read-only round should use a plain ``factory()`` session instead
    and take no lock.
    """
    async with AsyncExitStack() as stack:
        queue = _writer_queue(factory)
        if queue is not None:
            await stack.enter_async_context(queue)
        session = await stack.enter_async_context(factory())
        await stack.enter_async_context(session.begin())
        await session.connection(execution_options={WRITES: True})
        yield session


_CONTENTION_SQLSTATES = {"40001", "40P01", "55P03"}


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    for attr in ("sqlstate", "pgcode"):
        value = getattr(orig, attr, None) or getattr(getattr(orig, "__cause__", None), attr, None)
        if isinstance(value, str):
            return value
    return None


def _integrity_conflict(exc: IntegrityError) -> Conflict | None:
    text = str(exc.orig).lower()
    if "uq_membership_one_active_primary" in text or "membership.staff_id" in text:
        return Conflict(
            "The staff member already has an active primary membership (a concurrent change "
            "won); reload and retry."
        )
    if "uq_transfer_application_pending" in text or "transfer_application.staff_id" in text:
        return Conflict(
            "The staff member already has a pending transfer application (a concurrent one "
            "won); it must be decided or withdrawn before another one is made.",
            reason="PENDING_APPLICATION",
        )
    if "login_no" in text:
        return Conflict("That login number is already taken.")
    if "unique" in text or "duplicate key" in text:
        return Conflict("A concurrent change got there first; reload and retry.")
    return None


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on any error. Losing a race to another
    writer (unique index, lock timeout, deadlock, serialisation) answers CONFLICT."""
    try:
        async with transaction(factory) as session:
            yield session
    except IntegrityError as exc:
        conflict = _integrity_conflict(exc)
        if conflict is None:
            raise
        raise conflict from None
    except DBAPIError as exc:
        locked = "database is locked" in str(exc.orig).lower()
        if locked or _sqlstate(exc) in _CONTENTION_SQLSTATES:
            raise Conflict("Another change to the same records is in progress; retry.") from None
        raise
