"""Whether the seed is wanted: a check light enough for every start of ``hub serve`` (the
seed generator and its data, ~190,000 objects, are imported only when seeding)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def database_is_empty(engine: AsyncEngine) -> bool:
    """True when no org exists yet (the schema must already be migrated)."""
    async with engine.connect() as conn:
        found = await conn.scalar(text("SELECT id FROM org LIMIT 1"))
    return found is None
