"""The audit trail refuses TRUNCATE on PostgreSQL (migration 0002), and the migration goes
down and up again. SQLite has no TRUNCATE; there the migration changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import migrate
from hub.db import create_engine
from hub.models.base import utcnow
from hub.settings import Settings
from tests.conftest import make_settings
from tests.databases import PG_URL, create_pg_database, drop_pg_database
from tests.identity.conftest import BACKENDS

_EVENT = (
    "INSERT INTO audit_event (at, action, target_type, target_id, org_path, reason, "
    "request_id) VALUES (:now, 'x', 'staff', 1, '/1/', '', 'r')"
)


async def _empty_db(backend: str, data_dir: Path) -> tuple[AsyncEngine, Settings, str | None]:
    url = await create_pg_database("truncate") if backend == "postgresql" else None
    settings = make_settings(data_dir, url)
    return create_engine(settings), settings, url


@pytest.fixture
async def pg_db(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Settings]]:
    engine, settings, url = await _empty_db("postgresql", tmp_path)
    yield engine, settings
    await engine.dispose()
    assert url is not None
    await drop_pg_database(url)


async def _events(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM audit_event"))).scalar_one())


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="HUB_TEST_DATABASE_URL is not set")
async def test_truncate_of_the_audit_trail_is_refused_and_the_migration_reverts(
    pg_db: tuple[AsyncEngine, Settings],
) -> None:
    engine, settings = pg_db
    # given
    await migrate.upgrade(engine, settings)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    async with engine.begin() as conn:
        await conn.execute(text(_EVENT), {"now": utcnow()})
    # when / then: directly, and through a cascade from the staff table it refers to
    for statement in ("TRUNCATE audit_event", "TRUNCATE staff CASCADE"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    assert await _events(engine) == 1
    # down to 0001: TRUNCATE is possible again (UPDATE and DELETE stay refused) ...
    await migrate.downgrade(engine, settings, "0001")
    assert await migrate.current_revision(engine) == "0001"
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_event"))
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE audit_event"))
    assert await _events(engine) == 0
    # ... and up again, refused again
    await migrate.upgrade(engine, settings)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE audit_event"))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migration_0002_goes_down_and_up(backend: str, tmp_path: Path) -> None:
    engine, settings, url = await _empty_db(backend, tmp_path)
    try:
        await migrate.upgrade(engine, settings)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        await migrate.downgrade(engine, settings, "0001")
        assert await migrate.current_revision(engine) == "0001"
        await migrate.upgrade(engine, settings)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.begin() as conn:  # SQLite: DELETE stays refused, as before
            await conn.execute(text(_EVENT), {"now": utcnow()})
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text("DELETE FROM audit_event"))
    finally:
        await engine.dispose()
        if url is not None:
            await drop_pg_database(url)
