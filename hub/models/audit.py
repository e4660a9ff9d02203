"""Append-only audit trail. Database triggers (see the migration) refuse UPDATE and DELETE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_org_at", "org_path", "at"),
        Index("ix_audit_target", "target_type", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="staff.id")
    action: str = Field(sa_type=String(48))
    target_type: str = Field(sa_type=String(32))
    target_id: int
    org_id: int | None = Field(default=None, foreign_key="org.id")
    org_path: str = Field(
        default="", sa_type=String(255), description="Path of org_id, for subtree scoping."
    )
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reason: str = Field(default="", sa_type=Text)
    request_id: str = Field(default="", sa_type=String(64))
