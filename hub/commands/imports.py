"""``hub import services FILE [--orgs-under CODE]``: service items from JSON Lines."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from hub.catalogue.importer import ImportReport, LineError, import_services_each
from hub.commands.search import search_context
from hub.search.backend import SearchError
from hub.search.sync_apply import drain
from hub.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="import catalogue data")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    services = kinds.add_parser(
        "services",
        help="service items from JSON Lines, upserted by code (see hub/catalogue/IMPORT.md)",
    )
    services.add_argument("file", help="JSON Lines file, or - for standard input")
    services.add_argument(
        "--orgs-under",
        metavar="CODE",
        help="create orgs the file names but the database lacks, under this org",
    )
    services.set_defaults(func=_services)


async def _import(lines: list[str], orgs_under: str | None) -> tuple[ImportReport, str]:
    async with search_context(get_settings()) as (sessions, backend):
        # a transaction per line: a server beside the import keeps writing in between
        report = await import_services_each(sessions, lines, orgs_under=orgs_under)
        try:
            indexed = f"indexed {await drain(sessions, backend)} outbox rows"
        except SearchError as exc:
            indexed = f"not indexed yet ({exc}); the outbox keeps them for the server"
        return report, indexed


def _services(args: argparse.Namespace) -> int:
    try:
        if args.file == "-":
            lines = sys.stdin.read().splitlines()
        else:
            lines = Path(args.file).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hub: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        report, indexed = asyncio.run(_import(lines, args.orgs_under))
    except LineError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    for bad in report.errors:
        print(f"line {bad.number}: {bad.reason}", file=sys.stderr)
    for org in report.orgs_created:
        print(f"created org {org}")
    print(
        f"{report.created} created, {report.updated} updated, {len(report.errors)} refused; "
        f"{report.materials_created} new materials; {indexed}"
    )
    return 1 if report.errors else 0
