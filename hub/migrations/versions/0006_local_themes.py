"""local themes: a city's own theme names, kept as imports name them, each optionally
standing for a national theme

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("theme") as batch:
        batch.add_column(
            sa.Column("local", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("national_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_theme_national", "theme", ["national_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("theme") as batch:
        batch.drop_constraint("fk_theme_national", type_="foreignkey")
        batch.drop_column("national_id")
        batch.drop_column("local")
