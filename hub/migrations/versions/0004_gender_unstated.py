"""staff.gender may be 'unstated' (未说明, GB/T 2261.1)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 13:45:00

The first administrator of a new install is created from the command line with no personal
record behind it yet. SQLite cannot change a CHECK constraint in place: the table is rebuilt
(batch mode) with foreign keys off for the swap, which SQLite requires, and checked after.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW = "gender IN ('male', 'female', 'unstated')"
_OLD = "gender IN ('male', 'female')"


def _replace(check: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint("ck_staff_gender", "staff", type_="check")
        op.create_check_constraint("ck_staff_gender", "staff", check)
        return
    op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("staff", recreate="always") as batch:
        batch.drop_constraint("ck_staff_gender", type_="check")
        batch.create_check_constraint("ck_staff_gender", check)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    op.execute("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"foreign keys broken by rebuilding staff: {broken[:5]}")


def upgrade() -> None:
    _replace(_NEW)


def downgrade() -> None:
    # 0003 knows only 男 and 女: an account without a stated gender cannot go back as it is
    op.execute("UPDATE staff SET gender = 'male' WHERE gender = 'unstated'")
    _replace(_OLD)
