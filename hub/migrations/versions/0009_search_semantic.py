"""semantic recall: passage vectors keyed by text hash, and which passage each service is

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "search_embedding",
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("passage", sa.Text(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("text_hash"),
    )
    op.create_index("ix_search_embedding_seq", "search_embedding", ["seq"])
    op.create_table(
        "search_semantic_doc",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_index("ix_search_semantic_doc_seq", "search_semantic_doc", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_search_semantic_doc_seq", table_name="search_semantic_doc")
    op.drop_table("search_semantic_doc")
    op.drop_index("ix_search_embedding_seq", table_name="search_embedding")
    op.drop_table("search_embedding")
