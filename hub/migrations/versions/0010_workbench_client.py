"""the staff workbench as a relying party of hub's own sign-on

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLIENT = sa.table(
    "sso_client",
    sa.column("client_id", sa.String),
    sa.column("name", sa.String),
    sa.column("is_public", sa.Boolean),
    sa.column("first_party", sa.Boolean),
    sa.column("redirect_uris", sa.JSON),
    sa.column("post_logout_redirect_uris", sa.JSON),
    sa.column("scopes", sa.JSON),
    sa.column("org_ids", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer),
)


def upgrade() -> None:
    # a public client (PKCE) of the city's own; its one redirect URI is hub's /staff/callback
    # wherever hub is reached (hub.sso.authorize knows it), so none is stored
    op.bulk_insert(
        _CLIENT,
        [
            {
                "client_id": "hub-workbench",
                "name": "工作人员工作台",
                "is_public": True,
                "first_party": True,
                "redirect_uris": [],
                "post_logout_redirect_uris": [],
                "scopes": ["openid", "profile", "posts"],
                "org_ids": [],
                "created_at": datetime(2026, 12, 5, tzinfo=UTC),  # fixed: two loads are identical
                "version": 1,
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM sso_client WHERE client_id = 'hub-workbench'"))
