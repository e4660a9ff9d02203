"""audit_event refuses TRUNCATE

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00

The row triggers of 0001 refuse UPDATE and DELETE; TRUNCATE fires no row trigger, so on
PostgreSQL it emptied the append-only trail. A statement trigger refuses it too, with the
same function and message. SQLite has no TRUNCATE (its ``DELETE FROM`` without WHERE is
still refused row by row), so there is nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
           FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
