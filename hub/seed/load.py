"""Load the seeded city into an empty, migrated database in one transaction.

Rows go in as bulk Core inserts (lists of dicts, ~2,000 per statement), never as ORM objects;
ids are explicit, so on PostgreSQL the serial sequences are moved past them afterwards. The
served records come last, a chunk at a time straight from their generator (through COPY on
PostgreSQL), and each served dataset's ``record_count`` is then set to the rows it got.

Generating in a worker thread while the loop writes was tried and is slower: the generator holds
the GIL, and the writer waits for it after every round trip to the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from sqlalchemy import JSON, Column, MetaData, Table, insert, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeDecorator

from hub.models import metadata
from hub.seed.common import Row
from hub.seed.generate import STEPS, City, build_city
from hub.seed.state import database_is_empty
from hub.settings import Settings
from hub.sharing.workdays import china_today

__all__ = ["SeedError", "database_is_empty", "load_seed"]

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
    if table is _RECORDS and conn.dialect.name == "postgresql":
        await _copy(conn, table, rows)
        return
    size = max(1, min(CHUNK_ROWS, PG_MAX_PARAMS // max(1, len(columns))))
    for chunk in _chunks(rows, size):
        await conn.execute(insert(table), chunk)


async def _copy(conn: AsyncConnection, table: Table, rows: list[Row]) -> None:
    """COPY on PostgreSQL (asyncpg), in the same transaction: twice as fast as INSERT."""
    driver: Any = (await conn.get_raw_connection()).driver_connection
    names = list(table.columns.keys())
    await driver.copy_records_to_table(
        table.name, records=[tuple(row[n] for n in names) for row in rows], columns=names
    )


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


async def _set_record_counts(conn: AsyncConnection, city: City) -> None:
    table = metadata.tables["dataset"]
    for dataset_id, count in city.records.counts.items():
        await conn.execute(update(table).where(table.c.id == dataset_id).values(record_count=count))
        city.datasets.datasets[dataset_id - 1]["record_count"] = count


class _EncodedJSON(TypeDecorator[Any]):
    """A JSON column whose values come already encoded, as compact UTF-8: half the bytes of the
    default (ASCII escapes), and COPY on PostgreSQL takes the text as it is."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


#: ``dataset_record`` as the loader writes it: ``data`` goes in as encoded JSON text.
_RECORDS = Table(
    "dataset_record",
    MetaData(),
    *(
        Column(c.name, _EncodedJSON() if c.name == "data" else c.type, primary_key=c.primary_key)
        for c in metadata.tables["dataset_record"].columns
    ),
)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _encoded(batches: Iterator[tuple[str, str, list[Row]]]) -> Iterator[tuple[str, str, list[Row]]]:
    """The batches, with the records' ``data`` encoded for :data:`_RECORDS`."""
    for batch in batches:
        if batch[1] == _RECORDS.name:
            encode = _JSON.encode
            for row in batch[2]:
                row["data"] = encode(row["data"])
        yield batch


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
    records_scale: int | None = None,
) -> SeedReport:
    """Seed an empty database; every staff member gets ``password_hash`` (None: no password).

    Form files are written under ``settings.files_dir``. Raises :class:`SeedError` if the
    database already holds orgs.
    """
    if scale < 1:
        raise SeedError("scale must be at least 1")
    if settings.is_production:
        raise SeedError("the seed city is demo data (demo accounts too); production never loads it")
    if not await database_is_empty(engine):
        raise SeedError("the database already holds orgs; seed only an empty database")
    started = time.perf_counter()
    city: City = await asyncio.to_thread(
        build_city,
        scale=scale,
        files_dir=settings.files_dir,
        password_hash=password_hash,
        today=china_today(),
        records_scale=records_scale,
    )
    expected = city.expected_counts()
    totals = {step: sum(expected.get(t, 0) for t in tables) for step, tables in STEPS}
    totals["records"] = city.records.estimate()
    counts: dict[str, int] = {table: 0 for table in [*expected, "dataset_record"]}
    with _progress(progress, totals) as advance:
        async with engine.begin() as conn:
            for step, table, rows in _encoded(city.batches()):
                target = _RECORDS if table == _RECORDS.name else metadata.tables[table]
                await _insert(conn, target, rows)
                counts[table] += len(rows)
                advance[step](len(rows))
            await _set_record_counts(conn, city)
            if conn.dialect.name == "postgresql":
                await _reset_sequences(conn, list(counts))
    expected["dataset_record"] = sum(city.records.counts.values())
    if counts != expected:
        raise SeedError(f"inserted {counts}, expected {expected}")
    return SeedReport(scale=scale, counts=counts, seconds=time.perf_counter() - started)
