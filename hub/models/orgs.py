"""The org tree: one record per department, whether it implements services, provides data
or employs staff. ``path`` is a materialised path of ids (``/1/7/42/``) so that a whole
subtree is one indexed ``LIKE 'prefix%'`` query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlmodel import Field, SQLModel

from hub.models.base import check_in, utcnow
from hub.models.enums import OrgKind, OrgStatus


class Org(SQLModel, table=True):
    __tablename__ = "org"
    __table_args__ = (
        check_in("kind", OrgKind, "ck_org_kind"),
        check_in("status", OrgStatus, "ck_org_status"),
        CheckConstraint("uscc IS NULL OR length(uscc) = 18", name="ck_org_uscc_length"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="ck_org_not_own_parent"),
        Index("ix_org_path", "path"),
        Index("ix_org_parent_sort", "parent_id", "sort_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="org.id", ondelete="RESTRICT")
    path: str = Field(sa_type=String(255), description="Ids from the root, '/1/7/42/'.")
    depth: int = Field(default=0, ge=0)
    code: str = Field(sa_type=String(32), unique=True)
    uscc: str | None = Field(default=None, sa_type=String(18), unique=True)
    name: str = Field(sa_type=String(100))
    short_name: str | None = Field(default=None, sa_type=String(50))
    kind: OrgKind = Field(sa_type=String(24))
    region_code: str = Field(sa_type=String(12))
    status: OrgStatus = Field(default=OrgStatus.ACTIVE, sa_type=String(16))
    sort_order: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def child_path(parent_path: str, org_id: int) -> str:
    return f"{parent_path}{org_id}/"


def ancestor_ids(path: str) -> list[int]:
    """Ids on the path from the root down to (and including) the org itself."""
    return [int(part) for part in path.strip("/").split("/") if part]
