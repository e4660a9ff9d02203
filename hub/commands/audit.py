"""``hub audit verify``: walk the dataset access log's hash chain and name the first entry
that no longer fits (edited, deleted or inserted out of line). Exit status 0 when intact, 1
when broken."""

from __future__ import annotations

import argparse
import asyncio

from hub.db import check_connection, create_engine, session_factory
from hub.settings import get_settings
from hub.sharing.access_log import ChainReport, verify_chain


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="check the append-only logs")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="verify the dataset access log's hash chain")
    verify.set_defaults(func=_verify)


async def _walk() -> ChainReport:
    settings = get_settings()
    engine = create_engine(settings)
    try:
        await check_connection(engine)
        async with session_factory(engine)() as session:
            return await verify_chain(session)
    finally:
        await engine.dispose()


def _verify(_args: argparse.Namespace) -> int:
    report = asyncio.run(_walk())
    if report.intact:
        print(f"dataset access log intact: {report.entries:,} entries")
        return 0
    print(f"dataset access log broken at entry {report.first_broken}: {report.problem}")
    return 1
