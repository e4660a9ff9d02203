"""``hub db upgrade|downgrade|current``: Alembic, configured from settings."""

from __future__ import annotations

import argparse
import asyncio

from hub import migrate
from hub.db import check_connection, create_engine
from hub.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="migrate the database")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser("upgrade", help="migrate to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)
    down = actions.add_parser("downgrade", help="migrate down to a revision ('base' empties)")
    down.add_argument("revision")
    down.set_defaults(func=_downgrade)
    current = actions.add_parser("current", help="print the current revision")
    current.set_defaults(func=_current)


async def _run(action: str, revision: str | None) -> str | None:
    settings = get_settings()
    engine = create_engine(settings)
    try:
        await check_connection(engine)
        if action == "upgrade":
            await migrate.upgrade(engine, settings, revision or "head")
        elif action == "downgrade":
            await migrate.downgrade(engine, settings, revision or "base")
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def _upgrade(args: argparse.Namespace) -> int:
    print(f"database at revision {asyncio.run(_run('upgrade', args.revision))}")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    print(f"database at revision {asyncio.run(_run('downgrade', args.revision))}")
    return 0


def _current(_args: argparse.Namespace) -> int:
    print(asyncio.run(_run("current", None)) or "empty (no revision)")
    return 0
