"""The typed per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import ScalarResult
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from hub.auth.viewer import Viewer
from hub.graphql.loaders import Loaders
from hub.search.service import SearchService
from hub.settings import Settings

T = TypeVar("T")


@dataclass
class Context:
    """One request's view of the hub.

    Resolvers run concurrently, but an ``AsyncSession`` must not; reads go through
    :meth:`read`, which serialises them on one session. DataLoaders keep that to a small,
    fixed number of statements per request.

    A request can end while a read is under way (its deadline passed, its client left), and a
    DataLoader's batch runs in a task of its own that the request's end does not wait for.
    A read is never cancelled half-way, neither while it connects nor while its statement
    runs (a connection left so would be lost or broken): each runs in a task of its own,
    shielded from its caller, and the database bounds it (``statement_timeout`` on
    PostgreSQL, set by the app). :meth:`close` marks the request ended; a read that has not
    begun then never begins, and the read under way closes the session when it ends.
    """

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    viewer: Viewer
    request_id: str
    request: Request | None = None
    search: SearchService | None = None
    _session: AsyncSession | None = field(default=None, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _loaders: Loaders | None = field(default=None, repr=False)
    _zero_result_claimed: bool = field(default=False, repr=False)
    _closed: bool = field(default=False, repr=False)

    def claim_zero_result(self) -> bool:
        """The request's one zero-result log record: True the first time only."""
        if self._zero_result_claimed:
            return False
        self._zero_result_claimed = True
        return True

    @property
    def client_address(self) -> str:
        client = self.request.client if self.request is not None else None
        return client.host if client is not None else "-"

    @property
    def public_base(self) -> str:
        """Where clients reach hub, for absolute links: ``HUB_PUBLIC_URL``; outside production
        without it, the address the request came to; else nothing (links stay relative)."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        if self.settings.is_production or self.request is None:
            return ""
        return str(self.request.base_url).rstrip("/")

    @property
    def loaders(self) -> Loaders:
        """The request's DataLoaders (catalogue, and identity beside them), made on first use."""
        if self._loaders is None:
            self._loaders = Loaders(self)
        return self._loaders

    async def read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``fn`` on the request's session, one read at a time (see the class)."""
        if self._closed:  # a loader's batch scheduled before the request ended
            raise asyncio.CancelledError("the request has ended")
        running = asyncio.ensure_future(self._read(fn))
        _UNDER_WAY.add(running)
        running.add_done_callback(_done)
        return await asyncio.shield(running)

    async def _read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._lock:
            try:
                if not self._closed:
                    if self._session is None:
                        self._session = self.sessions()
                    await self._session.connection()
                if self._closed:
                    raise asyncio.CancelledError("the request has ended")
                assert self._session is not None
                return await fn(self._session)
            finally:
                if self._closed:  # the request ended meanwhile: the last read closes
                    await self._close_session()

    async def rows(self, statement: Any) -> list[Any]:
        """All rows of a SELECT; one ORM object per row when it selects one entity."""

        async def run(session: AsyncSession) -> list[Any]:
            result = await session.exec(statement)
            if isinstance(result, ScalarResult):  # sqlmodel's select of one entity
                return list(result.all())
            return list(result.scalars() if _single_entity(statement) else result.all())

        return await self.read(run)

    async def scalar(self, statement: Any) -> Any:
        async def run(session: AsyncSession) -> Any:
            return (await session.exec(statement)).scalar_one()

        return await self.read(run)

    async def close(self) -> None:
        """Give the request's connection back, or leave that to the read under way."""
        self._closed = True
        if self._loaders is not None:
            self._loaders.release()
            self._loaders = None
        if self._lock.locked():
            return
        async with self._lock:
            await self._close_session()

    async def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


#: Reads whose request may have ended: held here until they finish (the event loop keeps only
#: weak references to tasks).
_UNDER_WAY: set[asyncio.Future[Any]] = set()


async def reads_finished(timeout: float) -> None:
    """Wait, at most ``timeout`` seconds, for the reads this event loop still runs for ended
    requests: at shutdown, before their pool is disposed under them."""
    loop = asyncio.get_running_loop()
    under_way = [read for read in _UNDER_WAY if read.get_loop() is loop]
    if under_way:
        await asyncio.wait(under_way, timeout=timeout)


def _done(read: asyncio.Future[Any]) -> None:
    _UNDER_WAY.discard(read)
    if not read.cancelled():
        read.exception()  # a read whose request ended is nobody's error


def _single_entity(statement: Any) -> bool:
    return len(statement.column_descriptions) == 1
