"""single sign-on: OpenID Connect clients, authorization codes, the back-channel logout
outbox, relying-party sessions, forced password change and online transfer applications

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 15:00:00

``auth_session`` gains its kind (hub's API, a browser signed in at hub's SSO pages, or a
relying party's session) and the columns of a relying party's session. SQLite cannot add a
CHECK constraint in place, so that table is rebuilt (batch mode, foreign keys off for the
swap and checked after, as in 0004).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
_PENDING = "status = 'pending'"


def _client_tables() -> None:
    op.create_table(
        "sso_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_org_id", sa.Integer(), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("first_party", sa.Boolean(), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("backchannel_logout_uri", sa.String(length=500), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("org_ids", sa.JSON(), nullable=False),
        sa.Column("service_staff_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_org_id"], ["org.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["service_staff_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "sso_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("browser_session_id", sa.String(length=32), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("auth_time", UTC(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("used_at", UTC(), nullable=True),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["client_pk"], ["sso_client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    op.create_table(
        "sso_logout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("sid", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(), nullable=False),
        sa.Column("delivered_at", UTC(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["client_pk"], ["sso_client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sso_logout_due", "sso_logout", ["delivered_at", "next_attempt_at"])


def _transfer_applications() -> None:
    op.create_table(
        "transfer_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("from_membership_id", sa.Integer(), nullable=False),
        sa.Column("to_org_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=50), nullable=False),
        sa.Column("rank", sa.String(length=50), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("applied_by", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn')",
            name="ck_transfer_application_status",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["from_membership_id"], ["membership.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["to_org_id"], ["org.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["applied_by"], ["staff.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_transfer_application_pending",
        "transfer_application",
        ["staff_id"],
        unique=True,
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )
    op.create_index(
        "ix_transfer_application_to_org", "transfer_application", ["to_org_id", "status"]
    )


def _session_columns(batch: object) -> None:
    add = batch.add_column  # type: ignore[attr-defined]
    add(sa.Column("kind", sa.String(length=8), nullable=False, server_default="api"))
    add(sa.Column("client_pk", sa.Integer(), nullable=True))
    add(sa.Column("browser_session_id", sa.String(length=32), nullable=True))
    add(sa.Column("scope", sa.String(length=300), nullable=False, server_default=""))
    add(sa.Column("auth_time", UTC(), nullable=True))
    batch.create_foreign_key(  # type: ignore[attr-defined]
        "fk_auth_session_client_pk", "sso_client", ["client_pk"], ["id"], ondelete="CASCADE"
    )
    batch.create_check_constraint(  # type: ignore[attr-defined]
        "ck_auth_session_kind", "kind IN ('api', 'browser', 'rp')"
    )
    batch.create_index(  # type: ignore[attr-defined]
        "ix_auth_session_browser", ["browser_session_id"]
    )


def upgrade() -> None:
    _client_tables()
    _transfer_applications()
    op.add_column(
        "staff",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        with op.batch_alter_table("auth_session") as batch:
            _session_columns(batch)
        return
    op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("auth_session", recreate="always") as batch:
        _session_columns(batch)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    op.execute("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"foreign keys broken by rebuilding auth_session: {broken[:5]}")


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("auth_session", recreate="always" if sqlite else "auto") as batch:
        batch.drop_index("ix_auth_session_browser")
        batch.drop_constraint("ck_auth_session_kind", type_="check")
        batch.drop_constraint("fk_auth_session_client_pk", type_="foreignkey")
        for column in ("auth_time", "scope", "browser_session_id", "client_pk", "kind"):
            batch.drop_column(column)
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("must_change_password")
    op.drop_table("transfer_application")
    op.drop_table("sso_logout")
    op.drop_table("sso_code")
    op.drop_table("sso_client")
