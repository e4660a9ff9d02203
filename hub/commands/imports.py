"""``hub import services FILE [--orgs-under CODE] [--theme-map FILE]``: service items from
JSON Lines, with progress on standard error."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from hub.catalogue.import_lines import parse_theme_map
from hub.catalogue.importer import ImportReport, LineError, ThemeMap, import_services_each
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
    services.add_argument(
        "--theme-map",
        metavar="FILE",
        help="local theme name<TAB>national theme name per line: the national theme each of "
        "the city's own themes stands for",
    )
    services.add_argument(
        "--quiet", action="store_true", help="no progress lines on standard error"
    )
    services.set_defaults(func=_services)


class _Progress:
    """``N/M lines, K refused, R lines/s`` on standard error as the import goes."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, done: int, total: int, report: ImportReport) -> None:
        rate = done / max(time.monotonic() - self.started, 1e-6)
        print(
            f"{done}/{total} lines, {len(report.errors)} refused, {rate:.0f} lines/s",
            file=sys.stderr,
            flush=True,
        )


async def _import(
    lines: list[str], orgs_under: str | None, theme_map: ThemeMap | None, quiet: bool
) -> tuple[ImportReport, str]:
    async with search_context(get_settings()) as (sessions, backend):
        # a transaction per line: a server beside the import keeps writing in between
        report = await import_services_each(
            sessions,
            lines,
            orgs_under=orgs_under,
            theme_map=theme_map,
            progress=None if quiet else _Progress(),
        )
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
    theme_map = None
    try:
        if args.theme_map:
            theme_map = parse_theme_map(Path(args.theme_map).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hub: cannot read {args.theme_map}: {exc}", file=sys.stderr)
        return 2
    except LineError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    try:
        report, indexed = asyncio.run(_import(lines, args.orgs_under, theme_map, args.quiet))
    except LineError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    for bad in report.errors:
        print(f"line {bad.number}: {bad.reason}", file=sys.stderr)
    for org in report.orgs_created:
        print(f"created org {org}")
    for theme in report.themes_created:
        print(f"created local theme {theme}")
    print(
        f"{report.created} created, {report.updated} updated, {len(report.errors)} refused; "
        f"{report.materials_created} new materials; {indexed}"
    )
    return 1 if report.errors else 0
