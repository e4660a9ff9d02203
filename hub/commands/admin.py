"""``hub admin create LOGIN`` and ``hub staff set-password LOGIN``: what an operator needs on a
new install (production included, where no demo account exists). The password is read from
standard input (its first line) when that is not a terminal, else asked for twice."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from hub.auth.passwords import Passwords
from hub.db import check_connection, create_engine, session_factory, unit_of_work
from hub.errors import HubError
from hub.identity.accounts import create_admin, set_password, strong_password
from hub.settings import Settings, get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    admin = subparsers.add_parser("admin", help="create system administrators")
    actions = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a system administrator")
    create.add_argument("login", help="the login number (工号) to sign in with")
    create.add_argument("--name", help="the name shown for the account (default: the login)")
    create.set_defaults(func=_create)
    staff = subparsers.add_parser("staff", help="operate on staff accounts")
    staff_actions = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    password = staff_actions.add_parser("set-password", help="set a staff member's password")
    password.add_argument("login", help="the staff member's login number")
    password.set_defaults(func=_set_password)


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise HubError("The two passwords differ.")
    return first


async def _run(settings: Settings, change: str, login: str, password: str, name: str) -> str:
    hashed = await asyncio.to_thread(Passwords.from_settings(settings).hash, password)
    engine = create_engine(settings)
    try:
        await check_connection(engine)
        async with unit_of_work(session_factory(engine)) as session:
            if change == "create":
                staff = await create_admin(
                    session=session, login_no=login, name=name, password_hash=hashed
                )
                return f"created system administrator {staff.login_no} (staff id {staff.id})"
            ended = await set_password(session=session, login_no=login, password_hash=hashed)
            return f"password of {login} set; {ended} session(s) ended"
    finally:
        await engine.dispose()


def _change(args: argparse.Namespace, change: str) -> int:
    settings = get_settings()
    try:
        password = strong_password(_read_password())
        name = getattr(args, "name", None) or args.login
        print(asyncio.run(_run(settings, change, args.login, password, name)))
    except HubError as exc:
        print(f"hub {'admin create' if change == 'create' else 'staff set-password'}: {exc}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


def _create(args: argparse.Namespace) -> int:
    return _change(args, "create")


def _set_password(args: argparse.Namespace) -> int:
    return _change(args, "set-password")
