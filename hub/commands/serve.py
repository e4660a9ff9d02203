"""``hub serve``: migrate (embedded default), seed an empty database, then serve."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from hub import migrate
from hub.commands.seed import demo_password_hash
from hub.db import DatabaseConfigError, check_connection, create_engine
from hub.metrics import MULTIPROC_ENV
from hub.seed.state import database_is_empty
from hub.settings import Settings, get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="start the GraphQL server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: one per core in production, else 1)",
    )
    parser.add_argument("--no-seed", action="store_true", help="never load the seed data")
    parser.set_defaults(func=_serve)


async def prepare(settings: Settings, *, seed: bool) -> None:
    """On the embedded default: migrate, and load the seed when the database is empty.

    PostgreSQL is migrated explicitly (``hub db upgrade``); here it is only checked.
    """
    engine = create_engine(settings)
    try:
        await check_connection(engine)
        if settings.is_sqlite:
            await migrate.upgrade(engine, settings)
        elif await migrate.current_revision(engine) is None:
            raise DatabaseConfigError(
                "HUB_DATABASE_URL points at an empty database; run `hub db upgrade` first"
            )
        if seed and settings.seeds_on_empty and await database_is_empty(engine):
            # deferred: the seed generator and its data load only when seeding (with one
            # worker this process goes on to serve, and would carry them for ever)
            from hub.seed.load import load_seed

            print("The database is empty: loading the seed city …")
            await load_seed(
                engine,
                settings,
                scale=settings.seed_scale,
                password_hash=demo_password_hash(settings),
                progress=True,
            )
    finally:
        await engine.dispose()


def workers_for(settings: Settings, asked: int | None) -> int:
    if asked is not None:
        return max(1, asked)
    return max(1, os.cpu_count() or 1) if settings.is_production else 1


def share_metrics(workers: int) -> str | None:
    """With several workers, the directory where they keep their metrics for one scrape to
    merge (see :mod:`hub.metrics`): ``PROMETHEUS_MULTIPROC_DIR`` if set, else a new one;
    emptied of an earlier run's files, since counters must start from zero."""
    if workers < 2:
        os.environ.pop(MULTIPROC_ENV, None)
        return None
    directory = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="hub-metrics-")
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = directory  # the workers inherit it
    return directory


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    asyncio.run(prepare(settings, seed=not args.no_seed))
    workers = workers_for(settings, args.workers)
    share_metrics(workers)
    print(
        f"hub is serving GraphQL at http://{args.host}:{args.port}/graphql "
        f"({workers} worker{'s' if workers > 1 else ''})",
        flush=True,
    )
    uvicorn.run(
        "hub.asgi:app",
        host=args.host,
        port=args.port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # hub believes X-Forwarded-For only from HUB_TRUSTED_PROXIES
        server_header=False,
    )
    return 0
