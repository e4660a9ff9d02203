"""Writing semantic recall's vectors (see :mod:`hub.search.semantic`).

- :func:`assign`, in the transaction that marks outbox rows applied (and after a rebuild),
  records which passage each service is embedded as, and adds the passages never seen before
  with no vector yet. It only hashes texts: the lexical index is never held up.
- :class:`EmbeddingWorker`, a task in each process that has the encoder, embeds passages that
  have no vector yet, a batch at a time, in a worker thread. Several processes may do it at
  once: a vector is written only where none is, so each passage is embedded once in effect.

Both bump a counter in ``search_state`` so the processes' :class:`~hub.search.semantic.
VectorIndex` load only what is new.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.models import SearchEmbedding, SearchSemanticDoc
from hub.search.backend import ServiceDocument
from hub.search.refreshed import bump
from hub.search.semantic import DOCS_KEY, VECTORS_KEY, Encoder, passage, text_hash, to_bytes
from hub.search.sync import enqueue

log = logging.getLogger(__name__)

BATCH = 32
POLL_SECONDS = 2.0
CHUNK = 500


async def assign(
    session: AsyncSession, docs: Sequence[ServiceDocument], gone: Iterable[int] = ()
) -> None:
    """Services ``docs`` are embedded as their passages now; ``gone`` as nothing."""
    gone = list(gone)
    if not docs and not gone:
        return
    seq = await bump(session, DOCS_KEY)
    texts = {doc.id: passage(doc.name, doc.description) for doc in docs}
    hashes = {doc_id: text_hash(text) for doc_id, text in texts.items()}
    wanted = set(hashes.values())
    known: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = sorted(wanted)[start : start + CHUNK]
        known |= set(
            await session.exec(
                select(SearchEmbedding.text_hash).where(col(SearchEmbedding.text_hash).in_(chunk))
            )
        )
    added: set[str] = set()
    for doc_id, digest in hashes.items():
        if digest not in known and digest not in added:
            session.add(SearchEmbedding(text_hash=digest, passage=texts[doc_id]))
            added.add(digest)
    targets: dict[int, str | None] = {**hashes, **dict.fromkeys(gone)}
    ids = sorted(targets)
    existing: dict[int, SearchSemanticDoc] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await session.exec(
            select(SearchSemanticDoc).where(
                col(SearchSemanticDoc.service_id).in_(ids[start : start + CHUNK])
            )
        )
        existing.update({row.service_id: row for row in rows})
    for service_id, target in targets.items():
        row = existing.get(service_id) or SearchSemanticDoc(service_id=service_id)
        row.text_hash = target
        row.seq = seq
        session.add(row)
    await session.flush()


async def embed_pending(
    factory: async_sessionmaker[AsyncSession],
    encoder: Encoder,
    batch: int = BATCH,
    *,
    requeue: bool = False,
) -> int:
    """Embed up to ``batch`` passages that have no vector yet; returns how many. With
    ``requeue`` (an engine that keeps vectors in its documents) the services embedded as them
    are queued for the index again."""
    async with factory() as session:
        rows = list(
            await session.exec(
                select(SearchEmbedding.text_hash, SearchEmbedding.passage)
                .where(col(SearchEmbedding.vector).is_(None))
                .order_by(col(SearchEmbedding.created_at), col(SearchEmbedding.text_hash))
                .limit(batch)
            )
        )
    if not rows:
        return 0
    vectors = await asyncio.to_thread(encoder.encode, [text for _, text in rows])
    async with transaction(factory) as session:
        seq = await bump(session, VECTORS_KEY)
        for (digest, _), vector in zip(rows, vectors, strict=True):
            await session.exec(
                update(SearchEmbedding)
                .where(
                    col(SearchEmbedding.text_hash) == digest, col(SearchEmbedding.vector).is_(None)
                )
                .values(vector=to_bytes(vector), seq=seq)
            )
        if requeue:
            services = await session.exec(
                select(SearchSemanticDoc.service_id).where(
                    col(SearchSemanticDoc.text_hash).in_([digest for digest, _ in rows])
                )
            )
            await enqueue(session, list(services))
    return len(rows)


class EmbeddingWorker:
    """Embeds what :func:`assign` added, as long as the process runs."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        encoder: Encoder,
        *,
        poll_seconds: float = POLL_SECONDS,
        requeue: bool = False,
    ) -> None:
        self._factory = factory
        self._encoder = encoder
        self._requeue = requeue
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.embedded = 0
        self.last_error: str | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="search-embeddings")

    def notify(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Embed everything pending now (tests, commands)."""
        done = 0
        while embedded := await embed_pending(self._factory, self._encoder, requeue=self._requeue):
            done += embedded
        self.embedded += done
        return done

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                embedded = await embed_pending(self._factory, self._encoder, requeue=self._requeue)
                self.embedded += embedded
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the worker must outlive any one failure
                if self.last_error != str(exc):
                    log.warning("could not embed passages: %s", exc, exc_info=True)
                self.last_error = str(exc)
                embedded = 0
            if embedded >= BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
