"""Test databases: a SQLite file per test session, and on PostgreSQL a database of its own
(created from ``HUB_TEST_DATABASE_URL``) so that test groups never share tables."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


async def create_pg_database(purpose: str) -> str:
    """Create an empty PostgreSQL database and return its URL."""
    assert PG_URL, "HUB_TEST_DATABASE_URL is not set"
    name = f"hub_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(url: str) -> None:
    assert PG_URL
    name = make_url(url).database
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()
