"""Data sharing between departments: the demand list, requests, grants, the records the hub
serves, and the append-only, hash-chained log of every call on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.models.base import check_in, utcnow
from hub.models.enums import AccessMode, AccessOutcome, GrantStatus, RequestStatus


class DemandListEntry(SQLModel, table=True):
    """需求清单: a dataset an org means to request, with the fields it needs; shared by the
    org's staff and kept until it is requested or removed."""

    __tablename__ = "demand_list_entry"
    __table_args__ = (Index("uq_demand_list_org_dataset", "org_id", "dataset_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", ondelete="CASCADE")
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="CASCADE")
    field_names: list[str] = Field(default_factory=list, sa_type=JSON)
    added_by_id: int = Field(foreign_key="staff.id", ondelete="RESTRICT")
    added_at: datetime = Field(default_factory=utcnow)


class DatasetRequest(SQLModel, table=True):
    """One department asks another for fields of a dataset."""

    __tablename__ = "dataset_request"
    __table_args__ = (
        check_in("status", RequestStatus, "ck_dataset_request_status"),
        check_in("access_mode", AccessMode, "ck_dataset_request_access_mode"),
        Index("ix_dataset_request_dataset", "dataset_id", "status"),
        Index("ix_dataset_request_requester", "requester_org_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="RESTRICT")
    requester_org_id: int = Field(foreign_key="org.id", ondelete="RESTRICT")
    requested_by_id: int = Field(foreign_key="staff.id", ondelete="RESTRICT")
    fields: list[str] = Field(default_factory=list, sa_type=JSON)
    purpose: str = Field(sa_type=Text)
    legal_basis: str = Field(default="", sa_type=Text)
    access_mode: AccessMode = Field(default=AccessMode.VERIFY, sa_type=String(16))
    requested_until: date | None = None
    service_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    #: 10 working days after submission for a conditional share; None when decided at once.
    due_on: date | None = None
    status: RequestStatus = Field(default=RequestStatus.SUBMITTED, sa_type=String(16))
    #: Decided by the rules (无条件共享), not by a reviewer.
    automatic: bool = False
    decided_by_id: int | None = Field(default=None, foreign_key="staff.id")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DatasetGrant(SQLModel, table=True):
    """What a request won: fields of a dataset an org may use, how, and until when."""

    __tablename__ = "dataset_grant"
    __table_args__ = (
        check_in("status", GrantStatus, "ck_dataset_grant_status"),
        check_in("access_mode", AccessMode, "ck_dataset_grant_access_mode"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ck_grant_dates"),
        CheckConstraint("daily_quota IS NULL OR daily_quota > 0", name="ck_grant_daily_quota"),
        Index("ix_dataset_grant_grantee", "grantee_org_id", "status"),
        Index("ix_dataset_grant_dataset", "dataset_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="dataset_request.id", unique=True)
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="RESTRICT")
    grantee_org_id: int = Field(foreign_key="org.id", ondelete="RESTRICT")
    fields: list[str] = Field(default_factory=list, sa_type=JSON)
    access_mode: AccessMode = Field(default=AccessMode.VERIFY, sa_type=String(16))
    starts_on: date
    #: Last day the grant holds (China time); None for no end.
    ends_on: date | None = None
    daily_quota: int | None = None
    status: GrantStatus = Field(default=GrantStatus.ACTIVE, sa_type=String(16))
    revoked_by_id: int | None = Field(default=None, foreign_key="staff.id")
    revoked_at: datetime | None = None
    revoke_reason: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class DatasetRecord(SQLModel, table=True):
    """One record of a dataset the hub serves, looked up by the dataset's key field."""

    __tablename__ = "dataset_record"
    __table_args__ = (Index("uq_dataset_record_key", "dataset_id", "key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="CASCADE")
    key: str = Field(sa_type=String(64))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class DatasetAccess(SQLModel, table=True):
    """One call on a served dataset, answered or denied. Append-only and hash-chained: each
    entry's ``hash`` covers its own content and ``prev_hash``, the hash of the entry before.
    The key looked up is kept only as a keyed hash (HMAC), never in clear."""

    __tablename__ = "dataset_access"
    __table_args__ = (
        check_in("mode", AccessMode, "ck_dataset_access_mode"),
        check_in("outcome", AccessOutcome, "ck_dataset_access_outcome"),
        Index("ix_dataset_access_dataset", "dataset_id", "at"),
        Index("ix_dataset_access_org", "org_id", "at"),
        Index("ix_dataset_access_grant", "grant_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    staff_id: int = Field(foreign_key="staff.id", ondelete="RESTRICT")
    org_id: int | None = Field(default=None, foreign_key="org.id", ondelete="RESTRICT")
    grant_id: int | None = Field(default=None, foreign_key="dataset_grant.id")
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="RESTRICT")
    mode: AccessMode = Field(sa_type=String(16))
    fields: list[str] = Field(default_factory=list, sa_type=JSON)
    keys: int = 0
    outcome: AccessOutcome = Field(sa_type=String(24))
    request_id: str = Field(default="", sa_type=String(64))
    key_hash: str = Field(default="", sa_type=Text)
    #: Unique: two entries can never follow the same one, so the log is one line, not a tree.
    prev_hash: str = Field(sa_type=String(64), unique=True)
    hash: str = Field(sa_type=String(64), unique=True)
