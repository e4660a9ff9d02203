"""Alembic owns the schema: upgrade and downgrade on both databases, and the constraints the
database itself must enforce."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import migrate
from hub.db import create_engine
from hub.models import metadata
from hub.settings import Settings
from tests.conftest import make_settings
from tests.databases import BACKENDS, create_pg_database, drop_pg_database


@pytest.fixture(params=BACKENDS)
async def empty_db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[AsyncEngine, Settings]]:
    url = await create_pg_database("migrations") if request.param == "postgresql" else None
    settings = make_settings(tmp_path, url)
    engine = create_engine(settings)
    yield engine, settings
    await engine.dispose()
    if url is not None:
        await drop_pg_database(url)


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_db: tuple[AsyncEngine, Settings]) -> None:
    engine, settings = empty_db
    await migrate.upgrade(engine, settings)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    assert {"org", "service_item", "membership", "audit_event", "search_outbox"} <= (
        await _tables(engine)
    )
    await migrate.downgrade(engine, settings, "base")
    assert await migrate.current_revision(engine) is None
    assert await _tables(engine) <= {"alembic_version"}
    await migrate.upgrade(engine, settings)
    assert await migrate.current_revision(engine) == migrate.head_revision()


async def test_the_migrations_build_what_the_models_describe(
    empty_db: tuple[AsyncEngine, Settings],
) -> None:
    """Alembic owns the schema, the models describe it: after every migration, autogenerate
    finds nothing to change (tables, columns, types, nullability, indexes, foreign keys)."""
    engine, settings = empty_db
    await migrate.upgrade(engine, settings)

    def differences(connection: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(connection), metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def _insert_staff_and_org(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO org (id, path, depth, code, name, kind, region_code, status, "
                "sort_order, created_at, updated_at) VALUES "
                "(1, '/1/', 0, 'ROOT', '管委会', 'management_committee', '510100', 'active', 0, "
                ":now, :now), (2, '/1/2/', 1, 'B', '投资促进局', 'bureau', '510100', 'active', 1, "
                ":now, :now)"
            ),
            {"now": migrate_now()},
        )
        await conn.execute(
            text(
                "INSERT INTO staff (id, login_no, name, name_pinyin, gender, status, "
                "is_system_admin, failed_logins, version, created_at, updated_at) VALUES "
                "(1, 'S1', '张伟', 'zhangwei', 'male', 'active', false, 0, 1, :now, :now)"
            ),
            {"now": migrate_now()},
        )


def migrate_now() -> object:
    from hub.models.base import utcnow

    return utcnow()


_MEMBERSHIP = (
    "INSERT INTO membership (staff_id, org_id, position, rank, post_type, roles, starts_on, "
    "status, end_reason, version, created_at, updated_at) VALUES "
    "(1, :org, '科员', '一级科员', :post, '[]', :starts, :status, :reason, 1, :now, :now)"
)


async def test_one_active_primary_membership_per_staff(
    empty_db: tuple[AsyncEngine, Settings],
) -> None:
    engine, settings = empty_db
    await migrate.upgrade(engine, settings)
    await _insert_staff_and_org(engine)
    values = {"starts": date(2026, 1, 1), "now": migrate_now(), "reason": None}
    async with engine.begin() as conn:
        await conn.execute(
            text(_MEMBERSHIP), {**values, "org": 1, "post": "primary", "status": "active"}
        )
        # a concurrent post and an ended primary are fine
        await conn.execute(
            text(_MEMBERSHIP), {**values, "org": 2, "post": "concurrent", "status": "active"}
        )
        await conn.execute(
            text(_MEMBERSHIP),
            {**values, "org": 2, "post": "primary", "status": "ended", "reason": "transfer"},
        )
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                text(_MEMBERSHIP), {**values, "org": 2, "post": "primary", "status": "active"}
            )
    async with engine.connect() as conn:
        active = await conn.execute(
            text(
                "SELECT count(*) FROM membership WHERE status = 'active' AND post_type = 'primary'"
            )
        )
        assert active.scalar_one() == 1


async def test_check_constraints_live_in_the_database(
    empty_db: tuple[AsyncEngine, Settings],
) -> None:
    engine, settings = empty_db
    await migrate.upgrade(engine, settings)
    await _insert_staff_and_org(engine)
    values = {"starts": date(2026, 1, 1), "now": migrate_now(), "org": 1}
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:  # ended without a reason
            await conn.execute(
                text(_MEMBERSHIP), {**values, "post": "primary", "status": "ended", "reason": None}
            )
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:  # unknown post type
            await conn.execute(
                text(_MEMBERSHIP), {**values, "post": "boss", "status": "active", "reason": None}
            )


async def test_audit_events_are_append_only(empty_db: tuple[AsyncEngine, Settings]) -> None:
    engine, settings = empty_db
    await migrate.upgrade(engine, settings)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit_event (at, action, target_type, target_id, org_path, "
                "reason, request_id) VALUES (:now, 'x', 'staff', 1, '/1/', '', 'r')"
            ),
            {"now": migrate_now()},
        )
    for statement in ("UPDATE audit_event SET reason = 'changed'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
