"""How the endpoint uses the response cache: the key of a request, the lookup, the entry kept,
and the logs a cached search still feeds (see :mod:`hub.http.response_cache`)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from hub import __version__
from hub.auth.grants import today
from hub.db import transaction
from hub.http.cacheable import CacheKind
from hub.http.documents import PreparedDocument
from hub.http.response_cache import Entry, ResponseCache, canonical, response_key
from hub.models import PublicVersion
from hub.search.refreshed import counters
from hub.search.service import SearchService
from hub.settings import Settings


@dataclass(frozen=True, slots=True)
class Lookup:
    key: str
    version: str
    entry: Entry | None
    found: str  # "memory", "shared" or "miss"


async def ensure_public_version(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The public version's row, made with a new epoch if it is missing (migration 0011 makes
    it; a database emptied by hand loses it). Without it nothing is cached."""
    async with sessions() as session:
        if (await session.exec(select(PublicVersion.id))).first() is not None:
            return
    async with transaction(sessions) as session:
        if (await session.exec(select(PublicVersion.id))).first() is None:
            session.add(PublicVersion(id=1, epoch=uuid.uuid4().hex, n=0))


class Answers:
    def __init__(
        self,
        cache: ResponseCache,
        sessions: async_sessionmaker[AsyncSession],
        search: SearchService,
        settings: Settings,
        schema_sdl: str,
    ) -> None:
        self.cache = cache
        self.sessions = sessions
        self.search = search
        self.settings = settings
        self.schema_version = response_key(__version__, schema_sdl)

    async def lookup(
        self,
        request: Request,
        prepared: PreparedDocument,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Lookup | None:
        """The key of an anonymous request and what the cache holds under it; None when its
        answers are never cached (or the public version is missing)."""
        kind = prepared.cache_kind
        if kind is None or not self.cache.enabled:
            return None
        async with self.sessions() as session:
            row = (
                await session.exec(
                    select(PublicVersion.epoch, PublicVersion.n).where(PublicVersion.id == 1)
                )
            ).first()
            state = await counters(session) if kind >= CacheKind.SEARCH else None
        if row is None:
            return None
        version = f"{row[0]}:{row[1]}"
        operation = prepared.operation(operation_name)
        parts: list[object] = [
            self.schema_version,
            prepared.digest,
            # the operation run, named or not by the caller: a page and an app share answers
            operation.name.value if operation is not None and operation.name else "",
            canonical(variables),
            version,
            today().isoformat(),  # a grant or membership ends with the day
        ]
        if state is not None:
            parts.append(await self.search.follow(state, version))
        if kind is CacheKind.STATS:
            parts.append(int(time.time() // 60))  # the query log is read once a minute
        if not self.settings.public_url and not self.settings.is_production:
            parts.append(request.base_url)  # File.url names the address asked
        key = response_key(*parts)
        entry, found = await self.cache.get(key, version)
        return Lookup(key, version, entry, found)

    async def keep(self, lookup: Lookup, entry: Entry) -> bool:
        return await self.cache.put(lookup.key, lookup.version, entry)

    def replay(self, entry: Entry, address: str) -> None:
        """A cached search counts as a search: its log offers again, from this address."""
        for offer in entry.offers:
            self.search.offer(offer, address)

    async def aclose(self) -> None:
        await self.cache.aclose()
