"""Search bookkeeping kept in the database: the outbox that keeps the index in step, the
zero-result queries that show where the synonym table must grow, and the synonym table itself
with its revision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
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
