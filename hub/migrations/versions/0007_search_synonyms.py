"""the synonym table in the database, seeded from hub/search/data/synonyms.tsv, with its
revision

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 19:00:00

From here on the city's staff grow the table through the API; the file is only the seed of a
new database (it is read here, once).
"""

from collections.abc import Sequence
from datetime import UTC as UTC_ZONE
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
SEED = Path(__file__).resolve().parents[2] / "search" / "data" / "synonyms.tsv"


SEEDED_AT = datetime(2026, 12, 5, tzinfo=UTC_ZONE)  # fixed: two new databases are alike


def _seed_rows() -> list[dict[str, object]]:
    from hub.search.analysis import SynonymTable

    table = SynonymTable.load(SEED)
    return [
        {"phrase": phrase, "targets": list(targets), "updated_at": SEEDED_AT, "version": 1}
        for phrase, targets in table.mapping.items()
    ]


def upgrade() -> None:
    synonyms = op.create_table(
        "search_synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=32), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phrase"),
    )
    state = op.create_table(
        "search_state",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.bulk_insert(synonyms, _seed_rows())
    op.bulk_insert(state, [{"key": "synonyms", "value": 1}])


def downgrade() -> None:
    op.drop_table("search_state")
    op.drop_table("search_synonym")
