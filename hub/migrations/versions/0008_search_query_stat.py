"""the query log, aggregated per day: what people search, for hot searches and suggestions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_query_stat",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("normalized", sa.String(length=64), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "normalized"),
    )
    op.create_index("ix_search_query_stat_normalized", "search_query_stat", ["normalized", "day"])


def downgrade() -> None:
    op.drop_index("ix_search_query_stat_normalized", table_name="search_query_stat")
    op.drop_table("search_query_stat")
