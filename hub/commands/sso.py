"""``hub keys rotate`` and ``hub clients add|list|revoke``: single sign-on from the command
line. ``hub clients add`` prints one JSON line, ``{"client_id": …, "client_secret": …}``
(the secret is shown this once; ``null`` for a public client), for scripts to read."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from hub.db import check_connection, create_engine, session_factory, unit_of_work
from hub.errors import HubError
from hub.settings import Settings, get_settings
from hub.sso import clients as registry
from hub.sso.keys import rotate


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="the single sign-on signing keys")
    key_actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    turn = key_actions.add_parser(
        "rotate", help="sign with a new key; the old one stays published for the overlap"
    )
    turn.set_defaults(func=_rotate)

    found = subparsers.add_parser("clients", help="business systems that sign in through hub")
    actions = found.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register a client; prints its id and secret as JSON")
    add.add_argument("name", help="the system's name, shown on the sign-in page")
    add.add_argument("--redirect-uri", action="append", default=[], required=True)
    add.add_argument("--backchannel-logout-uri")
    add.add_argument("--post-logout-redirect-uri", action="append", default=[])
    add.add_argument(
        "--orgs", nargs="+", default=[], metavar="CODE", help="only these orgs' staff sign in"
    )
    add.add_argument("--owner", metavar="CODE", help="the org that runs the system")
    default_scopes = " ".join(registry.DEFAULT_SCOPES)
    add.add_argument(
        "--scope", action="append", default=[], help=f"a scope (default: {default_scopes})"
    )
    add.add_argument("--public", action="store_true", help="no secret; PKCE required")
    add.add_argument("--third-party", action="store_true", help="ask for consent")
    add.set_defaults(func=_add)
    listed = actions.add_parser("list", help="list registered clients as JSON lines")
    listed.set_defaults(func=_list)
    gone = actions.add_parser("revoke", help="revoke a client: its sessions stop at once")
    gone.add_argument("client_id")
    gone.set_defaults(func=_revoke)


def _rotate(_args: argparse.Namespace) -> int:
    try:
        key, dropped = rotate(get_settings())
    except ValueError as exc:
        print(f"hub keys rotate: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"kid": key.kid, "dropped": dropped}))
    return 0


async def _in_database(settings: Settings, work: Any) -> Any:
    engine = create_engine(settings)
    try:
        await check_connection(engine)
        async with unit_of_work(session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


def _run(command: str, work: Any) -> int:
    try:
        asyncio.run(_in_database(get_settings(), work))
    except HubError as exc:
        print(f"hub clients {command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _add(args: argparse.Namespace) -> int:
    spec = registry.ClientSpec(
        name=args.name,
        redirect_uris=args.redirect_uri,
        backchannel_logout_uri=args.backchannel_logout_uri,
        post_logout_redirect_uris=args.post_logout_redirect_uri,
        org_codes=args.orgs,
        owner_org_code=args.owner,
        scopes=args.scope or list(registry.DEFAULT_SCOPES),
        public=args.public,
        first_party=not args.third_party,
    )

    async def work(session: Any) -> None:
        made = await registry.register_client(session=session, actor=None, request_id="", spec=spec)
        print(json.dumps({"client_id": made.client.client_id, "client_secret": made.client_secret}))

    return _run("add", work)


def _list(_args: argparse.Namespace) -> int:
    async def work(session: Any) -> None:
        for client in await registry.list_clients(session, None):
            print(
                json.dumps(
                    {
                        "client_id": client.client_id,
                        "name": client.name,
                        "public": client.is_public,
                        "redirect_uris": client.redirect_uris,
                        "backchannel_logout_uri": client.backchannel_logout_uri,
                        "scopes": client.scopes,
                        "org_ids": client.org_ids,
                        "revoked": client.revoked_at is not None,
                    },
                    ensure_ascii=False,
                )
            )

    return _run("list", work)


def _revoke(args: argparse.Namespace) -> int:
    async def work(session: Any) -> None:
        client = await registry.revoke_client(
            session=session, actor=None, request_id="", client_id=args.client_id
        )
        print(json.dumps({"client_id": client.client_id, "revoked": True}))

    return _run("revoke", work)
