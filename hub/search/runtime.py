"""Search as the application runs it: the configured engine, a full rebuild when (and only
when) the index is missing or stale, the outbox worker, and the :class:`SearchService`.

The app's lifespan calls :func:`open_search` on start-up and ``aclose()`` on shutdown; the
CLI uses :func:`open_backend` and :func:`rebuild` directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.models.base import utcnow
from hub.search.backend import SearchBackend, SearchError, ServiceDocument
from hub.search.documents import iter_documents, published_count
from hub.search.semantic import load_encoder
from hub.search.semantic_store import EmbeddingWorker, assign
from hub.search.service import SearchService
from hub.search.sync_apply import OutboxWorker, requeue_processed_since
from hub.settings import Settings

log = logging.getLogger(__name__)

ASSIGN_BATCH = 500


async def open_backend(settings: Settings) -> SearchBackend:
    """The engine ``settings.search_backend`` names, opened (no network round trip)."""
    if settings.search_backend == "meilisearch":
        from hub.search.meili import MeiliBackend  # deferred: its client loads only when chosen

        return MeiliBackend.from_settings(settings)
    from hub.search.embedded import EmbeddedBackend  # deferred: tantivy loads only when chosen

    return await EmbeddedBackend.open(settings.index_dir)


async def rebuild(session_factory: async_sessionmaker[AsyncSession], backend: SearchBackend) -> int:
    """Rebuild the whole index from the database; returns the number of documents.

    Outbox rows applied while the rebuild ran went to the old index; they are made pending
    again so that the new one gets them too. What each service is embedded as is recorded
    as the documents go by (the vectors follow, see :mod:`hub.search.semantic_store`).
    """
    started = utcnow()
    async with session_factory() as session:
        docs = iter_documents(session, vectors=backend.takes_vectors)
        count = await backend.reindex(_assigning(session_factory, docs))
    await requeue_processed_since(session_factory, started)
    return count


async def _assigning(
    session_factory: async_sessionmaker[AsyncSession], docs: AsyncIterator[ServiceDocument]
) -> AsyncIterator[ServiceDocument]:
    batch: list[ServiceDocument] = []
    async for doc in docs:
        batch.append(doc)
        yield doc
        if len(batch) >= ASSIGN_BATCH:
            async with transaction(session_factory) as session:
                await assign(session, batch)
            batch = []
    if batch:
        async with transaction(session_factory) as session:
            await assign(session, batch)


async def ensure_index(
    session_factory: async_sessionmaker[AsyncSession], backend: SearchBackend
) -> bool:
    """Rebuild if the index is stale, or empty while the database has published services.
    Returns whether it rebuilt. An index a previous process left is used as it is; so is
    one that a sibling worker built while this one waited its turn."""
    async with backend.rebuilding():
        stale = await backend.is_stale()
        if not stale:
            if await backend.count() > 0:
                return False
            async with session_factory() as session:
                if await published_count(session) == 0:
                    return False
        reason = "is stale" if stale else "is empty"
        log.info("search index %s: rebuilding from the database", reason)
        count = await rebuild(session_factory, backend)
        log.info("search index rebuilt with %d documents", count)
        return True


@dataclass
class SearchRuntime:
    backend: SearchBackend
    service: SearchService
    worker: OutboxWorker
    embeddings: EmbeddingWorker | None = None  # None: semantic recall is off

    async def ready(self) -> bool:
        """The index is built (or was found usable) and the engine answers."""
        if self.worker.starting:
            return False
        try:
            return await self.backend.ready()
        except SearchError:
            return False

    async def aclose(self) -> None:
        await self.worker.stop()
        if self.embeddings is not None:
            await self.embeddings.stop()
        await self.service.aclose()
        await self.backend.close()


async def open_search(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    start_worker: bool = True,
    rebuild_in_background: bool = False,
) -> SearchRuntime:
    """Open the configured engine, rebuild the index if needed, start the outbox worker.

    The rebuild (only when the index is missing, stale, or empty while the database has
    published services) takes about a minute per 100,000 services; by default start-up waits
    for it. With ``rebuild_in_background`` the worker does it first and :meth:`ready` says
    no until it is done. If the engine cannot be reached the app still starts: the worker
    retries, then applies the outbox as soon as the engine answers.
    """
    backend = await open_backend(settings)
    owed = rebuild_in_background
    if not owed:
        try:
            await ensure_index(session_factory, backend)
        except SearchError as exc:
            log.warning("search engine not reachable at start-up, will retry: %s", exc)
            owed = True

    async def first_round() -> None:
        await ensure_index(session_factory, backend)

    worker = OutboxWorker(session_factory, backend, before_each=first_round if owed else None)
    if start_worker:
        worker.start()
    encoder = load_encoder() if settings.search_semantic else None
    if encoder is not None:
        await asyncio.to_thread(encoder.warm_up)  # like the dictionaries: never on a request
    service = SearchService(
        backend,
        session_factory,
        zero_result_queue=settings.zero_result_queue,
        zero_result_per_address=settings.zero_result_per_address,
        encoder=encoder,
    )
    await service.synonyms.refresh(force=True)  # the database's table from the first query
    embeddings = (
        EmbeddingWorker(session_factory, encoder, requeue=backend.takes_vectors)
        if encoder is not None
        else None
    )
    if embeddings is not None and start_worker:
        embeddings.start()
    return SearchRuntime(backend=backend, service=service, worker=worker, embeddings=embeddings)
