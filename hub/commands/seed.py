"""``hub seed [--scale N] [--records-scale N] [--no-progress]``: migrate, then load the seed
city into an empty database. Seeded staff share the demo password outside production and have
none in it."""

from __future__ import annotations

import argparse
import asyncio
import sys

from hub import migrate
from hub.auth.passwords import demo_password_hash
from hub.db import check_connection, create_engine
from hub.settings import Settings, get_settings

__all__ = ["demo_password_hash", "register", "run_seed"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "seed",
        help="load the seed city into an empty database",
        description=__doc__,
    )
    parser.add_argument(
        "--scale",
        type=_positive,
        default=None,
        help="multiply the service catalogue (default: HUB_SEED_SCALE, 1); 222 gives 100k items",
    )
    parser.add_argument(
        "--records-scale",
        type=_positive,
        default=None,
        help="residents of the served datasets in units of 100,000 (default: the scale, at "
        "most 10)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_seed)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("scale must be at least 1")
    return number


async def run_seed(
    settings: Settings, *, scale: int, progress: bool, records_scale: int | None = None
) -> str:
    """Migrate and seed; returns the report's summary. Raises ``SeedError`` if not empty."""
    from hub.seed.load import load_seed  # deferred: the seed generator loads only to seed

    engine = create_engine(settings)
    try:
        await check_connection(engine)
        await migrate.upgrade(engine, settings)
        password_hash = await asyncio.to_thread(demo_password_hash, settings)
        report = await load_seed(
            engine,
            settings,
            scale=scale,
            password_hash=password_hash,
            progress=progress,
            records_scale=records_scale,
        )
    finally:
        await engine.dispose()
    return report.summary()


def _seed(args: argparse.Namespace) -> int:
    from hub.seed.load import SeedError  # deferred: the seed generator loads only to seed

    settings = get_settings()
    scale = args.scale if args.scale is not None else settings.seed_scale
    try:
        summary = run_seed(
            settings,
            scale=scale,
            progress=not args.no_progress,
            records_scale=args.records_scale,
        )
        print(asyncio.run(summary))
    except SeedError as exc:
        print(f"hub seed: {exc}", file=sys.stderr)
        return 1
    return 0
