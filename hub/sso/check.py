"""The per-request check of a relying party's session, the same one hub's API makes.

One indexed statement reads the session, its staff member and its client together (revoked?
expired? staff still active? client revoked? which versions?); the grants come from the
same per-process cache as the API's, keyed by the staff version that every transfer,
departure or suspension bumps. So userinfo and introspection answer from the database's
state of this very moment: ``active: false`` after a departure or suspension, the new posts
after a transfer, on the very next call, on every worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col

from hub.auth.grants import GrantCache, active_membership_clause, today
from hub.auth.viewer import OrgGrant, Viewer
from hub.ids import to_global_id
from hub.models import AuthSession, Membership, Org, SsoClient, Staff
from hub.models.enums import SessionKind, StaffStatus

_CHECK = (
    select(
        col(AuthSession.staff_id),
        col(AuthSession.expires_at),
        col(AuthSession.revoked_at),
        col(AuthSession.kind),
        col(AuthSession.scope),
        col(AuthSession.browser_session_id),
        col(AuthSession.auth_time),
        col(Staff.status),
        col(Staff.version),
        col(Staff.is_system_admin),
        col(SsoClient.id),
        col(SsoClient.client_id),
        col(SsoClient.revoked_at),
        col(SsoClient.version),
        col(SsoClient.org_ids),
    )
    .join(Staff, col(Staff.id) == col(AuthSession.staff_id))
    .join(SsoClient, col(SsoClient.id) == col(AuthSession.client_pk))
    .where(col(AuthSession.id) == bindparam("session_id"))
)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A relying party's session that is in force this moment."""

    session_id: str
    staff_id: int
    client_pk: int
    client_id: str
    scope: frozenset[str]
    sid: str
    auth_time: datetime | None
    staff_version: int
    grants: tuple[OrgGrant, ...]
    is_system_admin: bool = False

    @property
    def subject(self) -> str:
        return subject_of(self.staff_id)


def subject_of(staff_id: int) -> str:
    """``sub``: the staff member's global id in hub's API, stable for life (never the login
    number, which a person can be given anew)."""
    return to_global_id("Staff", staff_id)


def admits(
    restricted: bool,
    org_paths: tuple[str, ...],
    grants: tuple[OrgGrant, ...],
    system_admin: bool,
) -> bool:
    """May someone with ``grants`` sign in to a client (``restricted`` to ``org_paths``)?
    Without a restriction: anyone who holds a post (or the system admin); with one: a post in
    one of the subtrees (none, if its orgs are gone)."""
    if not restricted:
        return bool(grants) or system_admin
    return any(g.org_path.startswith(path) for g in grants for path in org_paths)


class ClientOrgPaths:
    """Per process: the subtrees a client admits, by client version (a client's orgs change
    only through a change that bumps it)."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[int, tuple[str, ...]]] = {}

    async def get(
        self, conn: AsyncConnection, client_pk: int, version: int, org_ids: list[int]
    ) -> tuple[str, ...]:
        found = self._entries.get(client_pk)
        if found is not None and found[0] == version:
            return found[1]
        paths: tuple[str, ...] = ()
        if org_ids:
            rows = await conn.execute(select(col(Org.path)).where(col(Org.id).in_(org_ids)))
            paths = tuple(row[0] for row in rows)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[client_pk] = (version, paths)
        return paths


async def live_session(
    engine: AsyncEngine, grants_cache: GrantCache, client_paths: ClientOrgPaths, session_id: str
) -> LiveSession | None:
    """The session if it is in force now (not revoked or expired, its staff member active
    and still admitted by its client, its client not revoked); else None."""
    async with engine.connect() as conn:
        row = (await conn.execute(_CHECK, {"session_id": session_id})).first()
        if row is None:
            return None
        (
            staff_id,
            expires_at,
            revoked_at,
            kind,
            scope,
            browser_id,
            auth_time,
            status,
            version,
            system_admin,
            client_pk,
            client_id,
            client_revoked,
            client_version,
            org_ids,
        ) = row
        if kind != SessionKind.RELYING_PARTY or revoked_at is not None or client_revoked:
            return None
        if expires_at <= datetime.now(UTC) or status != StaffStatus.ACTIVE:
            return None
        grants = await grants_cache.grants_for(conn, staff_id, version)
        paths = await client_paths.get(conn, client_pk, client_version, list(org_ids or ()))
    if not admits(bool(org_ids), paths, grants, bool(system_admin)):
        return None
    return LiveSession(
        session_id=session_id,
        staff_id=staff_id,
        client_pk=client_pk,
        client_id=client_id,
        scope=frozenset(scope.split()),
        sid=browser_id or session_id,
        auth_time=auth_time,
        staff_version=version,
        grants=grants,
        is_system_admin=bool(system_admin),
    )


_CLIENT_CHECK = (
    select(
        col(SsoClient.revoked_at),
        col(Staff.id),
        col(Staff.status),
        col(Staff.version),
    )
    .join(Staff, col(Staff.id) == col(SsoClient.service_staff_id))
    .where(col(SsoClient.client_id) == bindparam("client_id"))
)


async def viewer_for_client(
    engine: AsyncEngine, grants_cache: GrantCache, client_id: str
) -> Viewer | None:
    """A client calling hub's API with a client_credentials token: its service account, by
    the same check as a person's session (client revoked? account active? which version?)."""
    async with engine.connect() as conn:
        row = (await conn.execute(_CLIENT_CHECK, {"client_id": client_id})).first()
        if row is None:
            return None
        revoked_at, staff_id, status, version = row
        if revoked_at is not None or staff_id is None or status != StaffStatus.ACTIVE:
            return None
        grants = await grants_cache.grants_for(conn, staff_id, version)
    return Viewer(staff_id=staff_id, grants=grants, staff_version=version)


@dataclass
class _Person:
    version: int
    on: date
    read_at: float
    profile: dict[str, Any] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)


class PersonClaims:
    """Claims about a person by scope, cached per process by staff version and day (and
    re-read after a minute, for an org renamed meanwhile)."""

    TTL_SECONDS = 60.0

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._entries: dict[int, _Person] = {}

    async def claims(
        self, engine: AsyncEngine, staff_id: int, version: int, scope: frozenset[str]
    ) -> dict[str, Any]:
        on = today()
        person = self._entries.get(staff_id)
        if (
            person is None
            or person.version != version
            or person.on != on
            or time.monotonic() - person.read_at > self.TTL_SECONDS
        ):
            person = await self._load(engine, staff_id, version, on)
        out: dict[str, Any] = {"sub": subject_of(staff_id)}
        if "profile" in scope:
            out["name"] = person.profile["name"]
            out["preferred_username"] = person.profile["login_no"]
        if "email" in scope and person.profile.get("email"):
            out["email"] = person.profile["email"]
        if "phone" in scope and person.profile.get("mobile"):
            out["phone_number"] = person.profile["mobile"]
        if "posts" in scope:
            out["posts"] = person.posts
        return out

    async def _load(self, engine: AsyncEngine, staff_id: int, version: int, on: date) -> _Person:
        async with engine.connect() as conn:
            staff = (
                await conn.execute(
                    select(
                        col(Staff.name), col(Staff.login_no), col(Staff.email), col(Staff.mobile)
                    ).where(col(Staff.id) == staff_id)
                )
            ).one()
            rows = await conn.execute(
                select(
                    col(Org.code),
                    col(Org.name),
                    col(Org.path),
                    col(Membership.post_type),
                    col(Membership.position),
                    col(Membership.rank),
                    col(Membership.roles),
                )
                .join(Org, col(Org.id) == col(Membership.org_id))
                .where(col(Membership.staff_id) == staff_id, *active_membership_clause(on))
                .order_by(col(Membership.id))
            )
            posts = [
                {
                    "org_code": code,
                    "org_name": name,
                    "org_path": path,
                    "post_type": str(post_type),
                    "position": position,
                    "rank": rank,
                    "roles": sorted(roles or ()),
                }
                for code, name, path, post_type, position, rank, roles in rows
            ]
        person = _Person(
            version=version,
            on=on,
            read_at=time.monotonic(),
            profile={"name": staff[0], "login_no": staff[1], "email": staff[2], "mobile": staff[3]},
            posts=posts,
        )
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[staff_id] = person
        return person
