"""Staff, their memberships in orgs, and their sign-in sessions.

At most one *active primary* membership per staff member is a partial unique index, so the
database refuses a second one on SQLite and PostgreSQL alike, whatever the Python code does.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, text
from sqlmodel import Field, SQLModel

from hub.models.base import check_in, utcnow
from hub.models.enums import (
    EndReason,
    Gender,
    MembershipStatus,
    PostType,
    SessionKind,
    StaffStatus,
    TransferStatus,
)

ACTIVE_PRIMARY = "status = 'active' AND post_type = 'primary'"


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    __table_args__ = (
        check_in("status", StaffStatus, "ck_staff_status"),
        check_in("gender", Gender, "ck_staff_gender"),
        CheckConstraint("failed_logins >= 0", name="ck_staff_failed_logins"),
    )

    id: int | None = Field(default=None, primary_key=True)
    login_no: str = Field(sa_type=String(32), unique=True, description="工号, the sign-in name.")
    name: str = Field(sa_type=String(50), index=True)
    name_pinyin: str = Field(default="", sa_type=String(120), index=True)
    gender: Gender = Field(sa_type=String(8))
    mobile: str | None = Field(default=None, sa_type=String(20))
    email: str | None = Field(default=None, sa_type=String(120))
    cert_no: str | None = Field(
        default=None, sa_type=String(32), description="证件号码; never returned by the API."
    )
    status: StaffStatus = Field(default=StaffStatus.ACTIVE, sa_type=String(16))
    is_system_admin: bool = False
    password_hash: str | None = Field(default=None, sa_type=String(200))
    # sign-in attempts in the current window, and the window's end: the account is locked
    # until then once failed_logins reached the threshold (see hub.auth.sessions.login)
    failed_logins: int = 0
    locked_until: datetime | None = None
    # set by a password reset: the next sign-in must choose a new password before anything else
    must_change_password: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (
        check_in("post_type", PostType, "ck_membership_post_type"),
        check_in("status", MembershipStatus, "ck_membership_status"),
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN "
            "('transfer', 'resign', 'retire', 'dismiss', 'expired')",
            name="ck_membership_end_reason",
        ),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ck_membership_dates"),
        CheckConstraint(
            "(status = 'active') = (end_reason IS NULL)", name="ck_membership_ended_has_reason"
        ),
        Index(
            "uq_membership_one_active_primary",
            "staff_id",
            unique=True,
            sqlite_where=text(ACTIVE_PRIMARY),
            postgresql_where=text(ACTIVE_PRIMARY),
        ),
        Index("ix_membership_staff_status", "staff_id", "status"),
        Index("ix_membership_org_status", "org_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", ondelete="RESTRICT")
    org_id: int = Field(foreign_key="org.id", ondelete="RESTRICT")
    position: str = Field(default="", sa_type=String(50), description="职务")
    rank: str = Field(default="", sa_type=String(50), description="职级")
    post_type: PostType = Field(default=PostType.PRIMARY, sa_type=String(16))
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    starts_on: date
    ends_on: date | None = None
    status: MembershipStatus = Field(default=MembershipStatus.ACTIVE, sa_type=String(16))
    end_reason: EndReason | None = Field(default=None, sa_type=String(16))
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A signed-in device. Access tokens name it; refresh tokens are kept only as hashes and
    rotate on use (a reused old one revokes the session)."""

    __tablename__ = "auth_session"
    __table_args__ = (
        Index("ix_auth_session_staff", "staff_id", "revoked_at"),
        Index("ix_auth_session_browser", "browser_session_id"),
        check_in("kind", SessionKind, "ck_auth_session_kind"),
    )

    id: str = Field(primary_key=True, sa_type=String(32))
    staff_id: int = Field(foreign_key="staff.id", ondelete="CASCADE")
    refresh_hash: str = Field(sa_type=String(64), unique=True)
    previous_refresh_hash: str | None = Field(default=None, sa_type=String(64), index=True)
    created_at: datetime = Field(default_factory=utcnow)
    refreshed_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = Field(default=None, sa_type=String(32))
    client_ip: str | None = Field(default=None, sa_type=String(64))
    user_agent: str | None = Field(default=None, sa_type=String(200))
    kind: SessionKind = Field(default=SessionKind.API, sa_type=String(8))
    # a relying party's session: its client, the browser sign-in it came from, its scopes
    client_pk: int | None = Field(default=None, foreign_key="sso_client.id", ondelete="CASCADE")
    browser_session_id: str | None = Field(default=None, sa_type=String(32))
    scope: str = Field(default="", sa_type=String(300))
    auth_time: datetime | None = None


class TransferApplication(SQLModel, table=True):
    """在线提出申请: a transfer asked for by the staff member or their org admin, decided by an
    admin over the receiving org; approval performs the transfer."""

    __tablename__ = "transfer_application"
    __table_args__ = (
        check_in("status", TransferStatus, "ck_transfer_application_status"),
        Index(
            "uq_transfer_application_pending",
            "staff_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_transfer_application_to_org", "to_org_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", ondelete="RESTRICT")
    from_membership_id: int = Field(foreign_key="membership.id", ondelete="RESTRICT")
    to_org_id: int = Field(foreign_key="org.id", ondelete="RESTRICT")
    position: str = Field(default="", sa_type=String(50))
    rank: str = Field(default="", sa_type=String(50))
    reason: str = Field(default="", sa_type=Text)
    applied_by: int = Field(foreign_key="staff.id", ondelete="RESTRICT")
    status: TransferStatus = Field(default=TransferStatus.PENDING, sa_type=String(16))
    decided_by: int | None = Field(default=None, foreign_key="staff.id", ondelete="RESTRICT")
    decided_at: datetime | None = None
    decision_note: str = Field(default="", sa_type=Text)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
