"""data sharing: demand lists, requests and grants as the flow uses them, served records, and
the access log

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 12:00:00

``dataset_request`` and ``dataset_grant`` of 0001 were never written by any release (nothing
used them), so they are dropped and made again with their new columns and constraints rather
than altered column by column (SQLite cannot add CHECK constraints in place).

``dataset_access`` is append-only in the database (row triggers refuse UPDATE and DELETE, and
on PostgreSQL a statement trigger refuses TRUNCATE), besides its hash chain.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER dataset_access_no_update BEFORE UPDATE ON dataset_access
       BEGIN SELECT RAISE(ABORT, 'dataset_access is append-only'); END""",
    """CREATE TRIGGER dataset_access_no_delete BEFORE DELETE ON dataset_access
       BEGIN SELECT RAISE(ABORT, 'dataset_access is append-only'); END""",
]
_PG_TRIGGERS = [
    """CREATE FUNCTION dataset_access_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'dataset_access is append-only'; END $$""",
    """CREATE TRIGGER dataset_access_append_only BEFORE UPDATE OR DELETE ON dataset_access
       FOR EACH ROW EXECUTE FUNCTION dataset_access_append_only()""",
    """CREATE TRIGGER dataset_access_no_truncate BEFORE TRUNCATE ON dataset_access
       FOR EACH STATEMENT EXECUTE FUNCTION dataset_access_append_only()""",
]


def _request_table() -> None:
    op.create_table(
        "dataset_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("requester_org_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("access_mode", sa.String(length=16), nullable=False),
        sa.Column("requested_until", sa.Date(), nullable=True),
        sa.Column("service_codes", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'rejected', 'withdrawn')",
            name="ck_dataset_request_status",
        ),
        sa.CheckConstraint(
            "access_mode IN ('query', 'verify')", name="ck_dataset_request_access_mode"
        ),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["staff.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["requester_org_id"], ["org.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dataset_request_dataset", "dataset_request", ["dataset_id", "status"])
    op.create_index(
        "ix_dataset_request_requester", "dataset_request", ["requester_org_id", "status"]
    )


def _grant_table() -> None:
    op.create_table(
        "dataset_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("grantee_org_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("access_mode", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("daily_quota", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'revoked', 'expired')", name="ck_dataset_grant_status"
        ),
        sa.CheckConstraint(
            "access_mode IN ('query', 'verify')", name="ck_dataset_grant_access_mode"
        ),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ck_grant_dates"),
        sa.CheckConstraint("daily_quota IS NULL OR daily_quota > 0", name="ck_grant_daily_quota"),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["grantee_org_id"], ["org.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["request_id"], ["dataset_request.id"]),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_dataset_grant_grantee", "dataset_grant", ["grantee_org_id", "status"])
    op.create_index("ix_dataset_grant_dataset", "dataset_grant", ["dataset_id", "status"])


def upgrade() -> None:
    op.drop_table("dataset_grant")
    op.drop_table("dataset_request")
    _request_table()
    _grant_table()
    with op.batch_alter_table("dataset") as batch_op:
        batch_op.add_column(
            sa.Column("served_by_hub", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("key_field", sa.String(length=100), nullable=True))
    op.create_table(
        "demand_list_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("field_names", sa.JSON(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["added_by_id"], ["staff.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_demand_list_org_dataset", "demand_list_entry", ["org_id", "dataset_id"], unique=True
    )
    op.create_table(
        "dataset_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_dataset_record_key", "dataset_record", ["dataset_id", "key"], unique=True)
    op.create_table(
        "dataset_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("keys", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("mode IN ('query', 'verify')", name="ck_dataset_access_mode"),
        sa.CheckConstraint(
            "outcome IN ('answered', 'no_grant', 'field_not_granted', 'mode_not_granted', "
            "'quota_exceeded', 'not_served', 'bad_input')",
            name="ck_dataset_access_outcome",
        ),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["grant_id"], ["dataset_grant.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["org.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
        sa.UniqueConstraint("prev_hash"),
    )
    op.create_index("ix_dataset_access_dataset", "dataset_access", ["dataset_id", "at"])
    op.create_index("ix_dataset_access_grant", "dataset_access", ["grant_id", "at"])
    op.create_index("ix_dataset_access_org", "dataset_access", ["org_id", "at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _PG_TRIGGERS if postgres else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE dataset_access")  # its triggers go with it
        op.execute("DROP FUNCTION IF EXISTS dataset_access_append_only()")
    else:
        op.drop_table("dataset_access")
    op.drop_table("dataset_record")
    op.drop_table("demand_list_entry")
    with op.batch_alter_table("dataset") as batch_op:
        batch_op.drop_column("key_field")
        batch_op.drop_column("served_by_hub")
    op.drop_table("dataset_grant")
    op.drop_table("dataset_request")
    # 0001's shapes, never written by a release
    op.create_table(
        "dataset_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("requester_org_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'approved', 'rejected', 'withdrawn')",
            name="ck_dataset_request_status",
        ),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["staff.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["requester_org_id"], ["org.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dataset_request_dataset", "dataset_request", ["dataset_id", "status"])
    op.create_index(
        "ix_dataset_request_requester", "dataset_request", ["requester_org_id", "status"]
    )
    op.create_table(
        "dataset_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("grantee_org_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'revoked', 'expired')", name="ck_dataset_grant_status"
        ),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ck_grant_dates"),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["grantee_org_id"], ["org.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["request_id"], ["dataset_request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    op.create_index("ix_dataset_grant_grantee", "dataset_grant", ["grantee_org_id", "status"])
