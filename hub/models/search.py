"""Search bookkeeping kept in the database: the outbox that keeps the index in step, the
zero-result queries that show where the synonym table must grow, and the synonym table itself
with its revision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from hub.models.base import check_in, utcnow
from hub.models.enums import OutboxOp


class SearchOutbox(SQLModel, table=True):
    __tablename__ = "search_outbox"
    __table_args__ = (
        check_in("op", OutboxOp, "ck_search_outbox_op"),
        Index("ix_search_outbox_pending", "processed_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int
    op: OutboxOp = Field(default=OutboxOp.UPSERT, sa_type=String(8))
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    processed_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_type=Text)


class ZeroResultQuery(SQLModel, table=True):
    __tablename__ = "zero_result_query"
    __table_args__ = (Index("ix_zero_result_normalized", "normalized", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    query: str = Field(sa_type=String(200))
    normalized: str = Field(sa_type=String(200))
    at: datetime = Field(default_factory=utcnow)


class SearchSynonym(SQLModel, table=True):
    """One-way: what citizens type (``phrase``, normalised) → words of official names."""

    __tablename__ = "search_synonym"

    id: int | None = Field(default=None, primary_key=True)
    phrase: str = Field(sa_type=String(32), unique=True)
    targets: list[Any] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="staff.id")
    version: int = 1


class SearchEmbedding(SQLModel, table=True):
    """A passage's vector, keyed by a hash of the model and the text: an unchanged text is
    never embedded twice. ``vector`` (float16) is empty until the embedding worker fills it,
    and ``seq`` tells the processes which vectors are new."""

    __tablename__ = "search_embedding"
    __table_args__ = (Index("ix_search_embedding_seq", "seq"),)

    text_hash: str = Field(sa_type=String(64), primary_key=True)
    passage: str = Field(sa_type=Text)
    vector: bytes | None = Field(default=None, sa_type=LargeBinary)
    seq: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class SearchSemanticDoc(SQLModel, table=True):
    """Which passage a published service is embedded as (none once it is not published);
    ``seq`` tells the processes which assignments are new."""

    __tablename__ = "search_semantic_doc"
    __table_args__ = (Index("ix_search_semantic_doc_seq", "seq"),)

    service_id: int = Field(primary_key=True)
    text_hash: str | None = Field(default=None, sa_type=String(64))
    seq: int = 0


class SearchState(SQLModel, table=True):
    """Counters search reads often: ``synonyms`` is the synonym table's revision, bumped in
    the transaction of every change to it."""

    __tablename__ = "search_state"

    key: str = Field(sa_type=String(32), primary_key=True)
    value: int = 0


class SearchQueryStat(SQLModel, table=True):
    """How often a query was searched on one day (the query log, aggregated): what people
    actually search, for hot searches and for ranking suggestions."""

    __tablename__ = "search_query_stat"
    __table_args__ = (Index("ix_search_query_stat_normalized", "normalized", "day"),)

    day: date = Field(primary_key=True)
    normalized: str = Field(sa_type=String(64), primary_key=True)
    searches: int = 0
    sources: int = 0  # distinct client addresses, summed over the log's flush windows
    hits: int = 0  # total of its most recent search
