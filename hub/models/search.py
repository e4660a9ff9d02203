"""Search bookkeeping kept in the database: the outbox that keeps the index in step, and the
zero-result queries that show where the synonym table must grow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
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
