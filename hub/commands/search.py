"""``hub search sync|reindex|status``: the search index, by hand."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub import migrate
from hub.db import check_connection, create_engine, session_factory
from hub.models.base import utcnow
from hub.search.backend import SearchBackend, SearchError
from hub.search.documents import published_count
from hub.search.runtime import open_backend, rebuild
from hub.search.service import SearchService
from hub.search.sync_apply import drain, outbox_status
from hub.settings import Settings, get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("search", help="the search index: sync, reindex, status")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("sync", help="apply the outbox backlog now").set_defaults(func=_sync)
    actions.add_parser("reindex", help="rebuild the index from the database").set_defaults(
        func=_reindex
    )
    actions.add_parser("status", help="engine, documents, outbox backlog").set_defaults(
        func=_status
    )


@asynccontextmanager
async def search_context(
    settings: Settings,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], SearchBackend]]:
    """The database (migrated when it is the embedded SQLite, as the app does) and the
    configured engine, closed afterwards."""
    engine = create_engine(settings)
    try:
        await check_connection(engine)
        if settings.is_sqlite:
            await migrate.upgrade(engine, settings)
        backend = await open_backend(settings)
        try:
            yield session_factory(engine), backend
        finally:
            await backend.close()
    finally:
        await engine.dispose()


def _fail(exc: SearchError) -> int:
    print(f"hub: {exc}", file=sys.stderr)
    return 1


def _sync(_args: argparse.Namespace) -> int:
    async def run() -> int:
        async with search_context(get_settings()) as (sessions, backend):
            return await drain(sessions, backend)

    try:
        applied = asyncio.run(run())
    except SearchError as exc:
        return _fail(exc)
    print(f"applied {applied} outbox rows")
    return 0


def _reindex(_args: argparse.Namespace) -> int:
    async def run() -> tuple[int, int]:
        async with search_context(get_settings()) as (sessions, backend):
            count = await rebuild(sessions, backend)
            return count, await drain(sessions, backend)

    try:
        count, applied = asyncio.run(run())
    except SearchError as exc:
        return _fail(exc)
    print(f"indexed {count} published services; applied {applied} outbox rows since")
    return 0


def _age(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "-"
    if at.tzinfo is None:  # SQLite hands naive UTC back in some set-ups
        at = at.replace(tzinfo=now.tzinfo)
    seconds = max(0, int((now - at).total_seconds()))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds}s"


def _status(_args: argparse.Namespace) -> int:
    settings = get_settings()

    async def run() -> list[str]:
        async with search_context(settings) as (sessions, backend):
            where = (
                str(settings.index_dir.resolve())
                if backend.name == "embedded"
                else f"{settings.meili_url} index {settings.meili_index}"
            )
            lines = [f"backend:    {backend.name} ({where})"]
            async with sessions() as session:
                published = await published_count(session)
                outbox = await outbox_status(session)
            try:
                documents = str(await backend.count())
                stale = "yes, rebuild it" if await backend.is_stale() else "no"
            except SearchError as exc:
                documents, stale = f"unknown: {exc}", "unknown"
            now = utcnow()
            oldest = _age(outbox.oldest_pending_at, now)
            failures = f"{outbox.failing} rows failed at least once"
            if outbox.failing and outbox.next_attempt_at is not None:
                failures += (
                    f" (up to {outbox.max_attempts} attempts; next try"
                    f" {outbox.next_attempt_at:%H:%M:%S} UTC; last error: {outbox.last_error})"
                )
            lines += [
                f"documents:  {documents} (published in the database: {published})",
                f"stale:      {stale}",
                f"outbox:     {outbox.pending} pending"
                + (f", the oldest {oldest} old" if outbox.pending else ""),
                f"failures:   {failures}",
            ]
            top = await SearchService(backend, sessions).top_zero_result_queries(5)
            if top:
                listed = ", ".join(f"{q} ×{n}" for q, n, _ in top)
                lines.append(f"no results: {listed}")
            return lines

    print("\n".join(asyncio.run(run())))
    return 0
