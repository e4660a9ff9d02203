"""Load the seeded city into an empty, migrated database in one transaction.

Rows go in as bulk Core inserts (lists of dicts, ~2,000 per statement), never as ORM objects;
ids are explicit, so on PostgreSQL the serial sequences are moved past them afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from sqlalchemy import Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.models import metadata
from hub.seed.common import Row
from hub.seed.generate import STEPS, City, build_city
from hub.settings import Settings

CHUNK_ROWS = 2_000
#: PostgreSQL refuses more bind parameters than this in one statement.
PG_MAX_PARAMS = 32_767


class SeedError(RuntimeError):
    """Seeding cannot start or did not finish; the message says why in one line."""


@dataclass
class SeedReport:
    scale: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        lines = [f"Seeded scale {self.scale}: {self.total_rows:,} rows in {self.seconds:.1f} s"]
        lines += [f"  {table:<22}{count:>10,}" for table, count in self.counts.items()]
        return "\n".join(lines)


async def database_is_empty(engine: AsyncEngine) -> bool:
    """True when no org exists yet (the schema must already be migrated)."""
    async with engine.connect() as conn:
        found = await conn.scalar(select(metadata.tables["org"].c.id).limit(1))
    return found is None


def _chunks(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def _insert(conn: AsyncConnection, table: Table, rows: list[Row]) -> None:
    columns = set(table.columns.keys())
    if rows and set(rows[0]) != columns:
        missing, extra = columns - set(rows[0]), set(rows[0]) - columns
        raise SeedError(
            f"{table.name} rows do not match the table: missing {missing}, extra {extra}"
        )
    size = max(1, min(CHUNK_ROWS, PG_MAX_PARAMS // max(1, len(columns))))
    for chunk in _chunks(rows, size):
        await conn.execute(insert(table), chunk)


async def _reset_sequences(conn: AsyncConnection, tables: list[str]) -> None:
    for name in tables:
        table = metadata.tables[name]
        if (
            "id" not in table.c
            or not table.c.id.autoincrement
            or table.c.id.type.python_type is not int
        ):
            continue
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 1), "
                f"(SELECT MAX(id) FROM {name}) IS NOT NULL)"
            )
        )


def _ignore(_n: int) -> None:
    return None


def _advance(bar: Progress, task: TaskID, n: int) -> None:
    bar.advance(task, n)


@contextmanager
def _progress(enabled: bool, totals: dict[str, int]) -> Iterator[dict[str, Callable[[int], None]]]:
    """Rich progress bar with one task per step; yields {step: advance(n)}."""
    if not enabled:
        yield {step: _ignore for step in totals}
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        tasks = {step: bar.add_task(step, total=total) for step, total in totals.items()}
        yield {step: partial(_advance, bar, task) for step, task in tasks.items()}


async def load_seed(
    engine: AsyncEngine,
    settings: Settings,
    *,
    scale: int = 1,
    password_hash: str | None = None,
    progress: bool = True,
) -> SeedReport:
    """Seed an empty database; every staff member gets ``password_hash`` (None: no password).

    Form files are written under ``settings.files_dir``. Raises :class:`SeedError` if the
    database already holds orgs.
    """
    if scale < 1:
        raise SeedError("scale must be at least 1")
    if not await database_is_empty(engine):
        raise SeedError("the database already holds orgs; seed only an empty database")
    started = time.perf_counter()
    city: City = await asyncio.to_thread(
        build_city, scale=scale, files_dir=settings.files_dir, password_hash=password_hash
    )
    expected = city.expected_counts()
    totals = {step: sum(expected[t] for t in tables) for step, tables in STEPS}
    counts: dict[str, int] = {table: 0 for table in expected}
    with _progress(progress, totals) as advance:
        async with engine.begin() as conn:
            for step, table, rows in city.batches():
                await _insert(conn, metadata.tables[table], rows)
                counts[table] += len(rows)
                advance[step](len(rows))
            if conn.dialect.name == "postgresql":
                await _reset_sequences(conn, list(counts))
    if counts != expected:
        raise SeedError(f"inserted {counts}, expected {expected}")
    return SeedReport(scale=scale, counts=counts, seconds=time.perf_counter() - started)
