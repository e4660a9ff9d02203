"""the public version: one counter every write to a public table bumps in its transaction

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:00:00

The tables are listed here as they are today (a migration does not follow the code's list);
``tests/http/test_response_cache.py`` checks that every public table of the models has its
trigger. On PostgreSQL the counter is bumped by a deferred constraint trigger, once per
transaction, when it commits: the row's lock is taken only at commit time, after every other
lock the transaction holds, so two writers cannot deadlock on it. On SQLite (one writer) a
plain trigger bumps it on each row.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "org",
    "theme",
    "life_event",
    "bundle",
    "bundle_item",
    "service_item",
    "service_theme",
    "service_life_event",
    "service_relation",
    "material",
    "material_requirement",
    "stored_file",
    "dataset",
    "dataset_field",
    "dataset_grant",
    "search_synonym",
)
OPS = ("INSERT", "UPDATE", "DELETE")

_PG_FUNCTION = """
CREATE FUNCTION public_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('hub.public_version_bumped', true) IS DISTINCT FROM
            txid_current()::text THEN
        PERFORM set_config('hub.public_version_bumped', txid_current()::text, true);
        UPDATE public_version SET n = n + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "public_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("epoch", sa.String(32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(
        sa.text("INSERT INTO public_version (id, epoch, n) VALUES (1, :epoch, 0)").bindparams(
            epoch=uuid.uuid4().hex
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER public_version_{table} "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION public_version_bump()"
            )
            op.execute(
                f"CREATE TRIGGER public_version_{table}_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION public_version_bump()"
            )
        return
    for table in TABLES:
        for action in OPS:
            op.execute(
                f"CREATE TRIGGER public_version_{table}_{action.lower()} AFTER {action} "
                f"ON {table} BEGIN UPDATE public_version SET n = n + 1 WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER public_version_{table} ON {table}")
            op.execute(f"DROP TRIGGER public_version_{table}_truncate ON {table}")
        op.execute("DROP FUNCTION public_version_bump()")
    else:
        for table in TABLES:
            for action in OPS:
                op.execute(f"DROP TRIGGER public_version_{table}_{action.lower()}")
    op.drop_table("public_version")
