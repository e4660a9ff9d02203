"""``hub serve``: migrate (embedded default), seed an empty database, then serve."""

from __future__ import annotations

import argparse
import asyncio

from hub import migrate
from hub.commands.seed import demo_password_hash
from hub.db import DatabaseConfigError, check_connection, create_engine
from hub.settings import Settings, get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="start the GraphQL server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
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
        if seed and settings.seeds_on_empty:
            # deferred: the seed generator and its data load only when seeding
            from hub.seed.load import database_is_empty, load_seed

            if await database_is_empty(engine):
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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    asyncio.run(prepare(settings, seed=not args.no_seed))
    print(f"hub is serving GraphQL at http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "hub.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # hub believes X-Forwarded-For only from HUB_TRUSTED_PROXIES
        server_header=False,
    )
    return 0
