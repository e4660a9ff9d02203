"""Single sign-on: the business systems registered as OpenID Connect clients, the one-time
authorization codes, and the back-channel logout outbox. The sessions themselves are
``auth_session`` rows (kind ``browser`` and ``rp``), so one per-request check serves hub's
API and every relying party alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.models.base import utcnow


class SsoClient(SQLModel, table=True):
    """A business system that signs its users in through hub."""

    __tablename__ = "sso_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(sa_type=String(48), unique=True)
    name: str = Field(sa_type=String(100))
    owner_org_id: int | None = Field(default=None, foreign_key="org.id", ondelete="RESTRICT")
    # sha256 of a 256-bit random secret (a secret that strong needs no slow hash); None for a
    # public client (a mobile or single-page app), which must use PKCE with S256
    secret_hash: str | None = Field(default=None, sa_type=String(64))
    is_public: bool = False
    first_party: bool = Field(
        default=True, description="Registered by the city: no consent page is shown."
    )
    redirect_uris: list[str] = Field(default_factory=list, sa_type=JSON)
    post_logout_redirect_uris: list[str] = Field(default_factory=list, sa_type=JSON)
    backchannel_logout_uri: str | None = Field(default=None, sa_type=String(500))
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    # staff of these orgs' subtrees may sign in; empty: every active staff member
    org_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    # a client with the api scope calls hub's API as this service account (系统账号), a
    # member of its owner org: every rule for staff applies to it, the access log names it
    service_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    version: int = 1


class SsoCode(SQLModel, table=True):
    """An authorization code, kept as its sha256; spent once, within a minute."""

    __tablename__ = "sso_code"

    code_hash: str = Field(primary_key=True, sa_type=String(64))
    client_pk: int = Field(foreign_key="sso_client.id", ondelete="CASCADE")
    staff_id: int = Field(foreign_key="staff.id", ondelete="CASCADE")
    browser_session_id: str = Field(sa_type=String(32))
    redirect_uri: str = Field(sa_type=String(500))
    scope: str = Field(default="", sa_type=String(300))
    nonce: str | None = Field(default=None, sa_type=String(255))
    code_challenge: str | None = Field(default=None, sa_type=String(128))
    auth_time: datetime
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    # the relying-party session the code was exchanged for: revoked if the code comes back
    session_id: str | None = Field(default=None, sa_type=String(32))


class SsoLogout(SQLModel, table=True):
    """A back-channel logout token owed to a relying party; kept until it is delivered."""

    __tablename__ = "sso_logout"
    __table_args__ = (Index("ix_sso_logout_due", "delivered_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    client_pk: int = Field(foreign_key="sso_client.id", ondelete="CASCADE")
    staff_id: int = Field(foreign_key="staff.id", ondelete="CASCADE")
    session_id: str = Field(sa_type=String(32), description="The relying party's session.")
    sid: str = Field(sa_type=String(32), description="The browser session (the ID token's sid).")
    reason: str = Field(default="", sa_type=String(32))
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    last_error: str = Field(default="", sa_type=Text)
