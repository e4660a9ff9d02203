"""``hub export-schema``: write the GraphQL schema (SDL) that is committed as schema.graphql."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export-schema", help="write the GraphQL schema as SDL")
    parser.add_argument("path", nargs="?", default="schema.graphql", help="'-' for stdout")
    parser.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    # deferred: building the schema loads strawberry and every type, which no other command
    # needs; `hub --help` and the rest start without it
    from hub.graphql.schema import schema_sdl

    sdl = schema_sdl()
    if args.path == "-":
        print(sdl, end="")
    else:
        Path(args.path).write_text(sdl, encoding="utf-8")
        print(f"wrote {args.path}")
    return 0
