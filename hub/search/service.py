"""What the GraphQL layer calls: search and suggestions, plus the zero-result query log.

Queries that find nothing are where the synonym table must grow; they are written to
``zero_result_query`` in the background, so logging never holds up the answer.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.models import ZeroResultQuery
from hub.search.analysis import normalize
from hub.search.backend import SearchBackend, SearchFilter, SearchResult

log = logging.getLogger(__name__)

QUERY_LOG_CHARS = 200  # the column width of zero_result_query.query/normalized


class SearchService:
    def __init__(
        self,
        backend: SearchBackend,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        log_zero_results: bool = True,
    ) -> None:
        self.backend = backend
        self._factory = session_factory
        self._log_zero_results = log_zero_results
        self._pending: set[asyncio.Task[None]] = set()

    async def search(
        self,
        query: str,
        filter: SearchFilter | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> SearchResult:
        result = await self.backend.search(query, filter, offset, limit)
        if self._log_zero_results and result.total == 0 and offset == 0 and query.strip():
            normalized = result.query or " ".join(normalize(query).split())
            task = asyncio.create_task(self._record_zero_result(query, normalized))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return result

    async def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        return await self.backend.suggest(prefix, limit)

    async def top_zero_result_queries(self, limit: int = 20) -> list[tuple[str, int, datetime]]:
        """(normalised query, times seen, last seen), most frequent first."""
        count = func.count().label("n")
        last = func.max(col(ZeroResultQuery.at)).label("last_at")
        normalized = col(ZeroResultQuery.normalized)
        async with self._factory() as session:
            rows = await session.exec(
                select(normalized, count, last)
                .group_by(normalized)
                .order_by(count.desc(), last.desc(), normalized)
                .limit(limit)
            )
            return [(str(n), int(c), at) for n, c, at in rows.all()]

    async def flush(self) -> None:
        """Wait for zero-result records still being written (tests, shutdown)."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def aclose(self) -> None:
        await self.flush()

    async def _record_zero_result(self, query: str, normalized: str) -> None:
        try:
            async with transaction(self._factory) as session:
                session.add(
                    ZeroResultQuery(
                        query=query.strip()[:QUERY_LOG_CHARS],
                        normalized=normalized[:QUERY_LOG_CHARS],
                    )
                )
        except Exception:  # a lost log line must never surface as a failed search
            log.warning("could not record a zero-result query", exc_info=True)
