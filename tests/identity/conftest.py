"""Identity fixtures: a small org tree with well-known staff, served by the real app.

``world`` is SQLite only (a fresh file per test); ``db_world`` runs on SQLite and, when
``HUB_TEST_DATABASE_URL`` is set, on a PostgreSQL database of its own (created once per test
session and truncated before each test, so identity tests never share tables with others).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette

from hub import migrate
from hub.app import create_app
from hub.auth.passwords import Passwords
from hub.db import create_engine, transaction
from hub.identity.staff import pinyin_of
from hub.ids import to_global_id
from hub.models import AuditEvent, Membership, Org, Staff, metadata
from hub.models.enums import Gender, OrgKind, PostType, Role
from hub.settings import Settings
from tests.conftest import make_settings as base_settings
from tests.databases import PG_URL, create_pg_database, drop_pg_database

PASSWORD = "correct-horse-42"
#: Tables whose triggers refuse UPDATE, DELETE and TRUNCATE.
APPEND_ONLY = ("audit_event", "dataset_access")
BACKENDS = ["sqlite", *([pytest.param("postgresql", marks=pytest.mark.postgres)] if PG_URL else [])]

# key: (id, parent key, code, name, kind)
ORGS: list[tuple[int, str | None, str, str, str, OrgKind]] = [
    (1, None, "root", "GW", "云溪新区管委会", OrgKind.MANAGEMENT_COMMITTEE),
    (2, "root", "tzcj", "GW-TZCJ", "投资促进局", OrgKind.BUREAU),
    (3, "root", "kjcx", "GW-KJCX", "科教创新区", OrgKind.BUREAU),
    (4, "tzcj", "tzcj_office", "GW-TZCJ-01", "投资促进局综合科", OrgKind.DIVISION),
    (5, "kjcx", "kjcx_office", "GW-KJCX-01", "科教创新区办公室", OrgKind.DIVISION),
]

# login_no: (name, org key, roles, is_system_admin)
STAFF: dict[str, tuple[str, str, tuple[str, ...], bool]] = {
    "admin": ("周明远", "root", (), True),
    "root_admin": ("孙国华", "root", (Role.ADMIN.value,), False),
    "tzcj_admin": ("李文博", "tzcj", (Role.ADMIN.value,), False),
    "kjcx_admin": ("陈思远", "kjcx", (Role.ADMIN.value,), False),
    "tzcj_clerk": ("王小雨", "tzcj_office", (), False),
    "tzcj_reviewer": ("赵晓晴", "tzcj", (Role.REVIEWER.value,), False),
    "tzcj_boss": ("钱大江", "tzcj", (Role.ADMIN.value, Role.REVIEWER.value), False),
    "kjcx_clerk": ("刘一鸣", "kjcx_office", (), False),
}


def make_settings(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    """The suite's test settings, with a lockout that three failures trigger."""
    lockout: dict[str, Any] = {"lockout_threshold": 3, "lockout_minutes": 15}
    return base_settings(data_dir, database_url, **{**lockout, **overrides})


@dataclass
class World:
    app: Starlette
    http: httpx.AsyncClient
    settings: Settings
    orgs: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ HTTP

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        as_: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The JSON body of one POST to /graphql; ``as_`` signs in as that login first."""
        sent = dict(headers or {})
        if as_ is not None:
            token = await self.token(as_)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = await self.gql(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def login(
        self, login_no: str, password: str = PASSWORD, *, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = await self.gql(LOGIN, {"loginNo": login_no, "password": password}, headers=headers)
        return body

    async def token(self, login_no: str) -> str:
        if login_no not in self._tokens:
            body = await self.login(login_no)
            assert "errors" not in body, body["errors"]
            self._tokens[login_no] = body["data"]["login"]["accessToken"]
        return self._tokens[login_no]

    # ------------------------------------------------------------------ database

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        async with transaction(self.app.state.hub.sessions) as session:
            yield session

    def gid(self, type_name: str, key: str) -> str:
        table = self.orgs if type_name == "Org" else self.staff
        return to_global_id(type_name, table[key])

    async def staff_row(self, login_no: str) -> Staff:
        async with self.db() as s:
            return (await s.exec(select(Staff).where(col(Staff.id) == self.staff[login_no]))).one()

    async def active_memberships(self, login_no: str) -> list[Membership]:
        async with self.db() as s:
            rows = await s.exec(
                select(Membership)
                .where(col(Membership.staff_id) == self.staff[login_no])
                .where(col(Membership.status) == "active")
                .order_by(col(Membership.id))
            )
            return list(rows)

    async def audit_count(self) -> int:
        """Events of changes: sign-ins (``auth.*``, written by every ``login``) left out."""
        return len(await self.audit_events())

    async def audit_events(self) -> list[AuditEvent]:
        async with self.db() as s:
            return list(
                await s.exec(
                    select(AuditEvent)
                    .where(col(AuditEvent.action).not_like("auth.%"))
                    .order_by(col(AuditEvent.id))
                )
            )


def change_events(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of an ``auditEvents`` answer, sign-ins (``auth.*``) left out."""
    return [
        e["node"]
        for e in data["auditEvents"]["edges"]
        if not e["node"]["action"].startswith("auth.")
    ]


LOGIN = """
mutation Login($loginNo: String!, $password: String!) {
  login(input: {loginNo: $loginNo, password: $password}) {
    accessToken refreshToken tokenType accessTokenExpiresAt refreshTokenExpiresAt staffId
  }
}
"""


async def populate(world: World) -> None:
    """The small city every identity test starts from."""
    passwords = Passwords.from_settings(world.settings)
    password_hash = passwords.hash(PASSWORD)
    paths: dict[str, str] = {}
    async with world.db() as s:
        for org_id, parent, key, code, name, kind in ORGS:
            path = f"{paths[parent] if parent else '/'}{org_id}/"
            paths[key] = path
            s.add(
                Org(
                    id=org_id,
                    parent_id=world.orgs[parent] if parent else None,
                    path=path,
                    depth=path.count("/") - 2,
                    code=code,
                    name=name,
                    kind=kind,
                    region_code="519901",
                    sort_order=org_id,
                )
            )
            world.orgs[key] = org_id
            await s.flush()
        for login_no, (name, org_key, roles, is_system_admin) in STAFF.items():
            staff = Staff(
                login_no=login_no,
                name=name,
                name_pinyin=pinyin_of(name),
                gender=Gender.FEMALE,
                cert_no="110101199001011234",
                is_system_admin=is_system_admin,
                password_hash=password_hash,
            )
            s.add(staff)
            await s.flush()
            assert staff.id is not None
            world.staff[login_no] = staff.id
            s.add(
                Membership(
                    staff_id=staff.id,
                    org_id=world.orgs[org_key],
                    position="科员",
                    rank="一级科员",
                    post_type=PostType.PRIMARY,
                    roles=list(roles),
                    starts_on=date(2024, 1, 1),
                )
            )
        await s.flush()


@asynccontextmanager
async def open_world(
    backend: str, data_dir: Path, pg_url: str | None = None, **overrides: Any
) -> AsyncIterator[World]:
    url = pg_url if backend == "postgresql" else None
    settings = make_settings(data_dir, url, **overrides)
    if url is not None:
        engine = create_engine(settings)
        try:
            async with engine.begin() as conn:
                names = ", ".join(t.name for t in metadata.sorted_tables)
                # the append-only trails refuse TRUNCATE (migrations 0002, 0003); their owner
                # lifts that for this one transaction, unseen by anyone else
                for trail in APPEND_ONLY:
                    await conn.execute(text(f"ALTER TABLE {trail} DISABLE TRIGGER USER"))
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                for trail in APPEND_ONLY:
                    await conn.execute(text(f"ALTER TABLE {trail} ENABLE TRIGGER USER"))
        finally:
            await engine.dispose()
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            world = World(app=app, http=http, settings=settings)
            await populate(world)
            yield world


@asynccontextmanager
async def migrated_pg_url(purpose: str) -> AsyncIterator[str | None]:
    """A migrated PostgreSQL database of its own for a group of tests, when PostgreSQL is
    there (``None`` when it is not); dropped afterwards."""
    if not PG_URL:
        yield None
        return
    url = await create_pg_database(purpose)
    engine = create_engine(make_settings(Path("."), url))
    try:
        await migrate.upgrade(engine, make_settings(Path("."), url))
    finally:
        await engine.dispose()
    yield url
    await drop_pg_database(url)


@pytest.fixture(scope="session")
async def identity_pg_url() -> AsyncIterator[str | None]:
    """One migrated PostgreSQL database for all identity tests, when PostgreSQL is there."""
    async with migrated_pg_url("identity") as url:
        yield url


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_world("sqlite", tmp_path) as opened:
        yield opened


@pytest.fixture(params=BACKENDS)
async def db_world(
    request: pytest.FixtureRequest, tmp_path: Path, identity_pg_url: str | None
) -> AsyncIterator[World]:
    async with open_world(str(request.param), tmp_path, identity_pg_url) as opened:
        yield opened
