"""Shared fixtures: a seeded database per backend (SQLite always, PostgreSQL when
``HUB_TEST_DATABASE_URL`` is set), the real app with its lifespan, and an HTTP client; and a
small unseeded database (``db``: two orgs and a few themes) with ``service_line`` for the
import format, used by the catalogue importer and search tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette

from hub import migrate
from hub.app import create_app
from hub.db import create_engine, session_factory, transaction
from hub.models import Org, Theme
from hub.search.sync_apply import outbox_status
from hub.settings import Settings
from tests.databases import BACKENDS, create_pg_database, drop_pg_database


def make_settings(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "data_dir": data_dir,
        "database_url": database_url,
        "log_json": False,
        "log_level": "WARNING",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8192,
        "seed_on_empty": False,
        # answers that do not change while vectors arrive in the background; the semantic
        # tests turn it on (tests/search/test_semantic.py)
        "search_semantic": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def seeded_settings(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    """A database migrated and loaded with the default seed, once per backend."""
    from argon2 import PasswordHasher

    from hub.seed.load import load_seed

    data_dir = tmp_path_factory.mktemp(f"seeded-{backend}")
    url = await create_pg_database("graph") if backend == "postgresql" else None
    settings = make_settings(data_dir, url)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
        demo = settings.demo_password_value
        hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
        await load_seed(
            engine,
            settings,
            scale=1,
            password_hash=hasher.hash(demo) if demo else None,
            progress=False,
        )
    finally:
        await engine.dispose()
    yield settings
    if url is not None:
        await drop_pg_database(url)


@pytest.fixture(scope="session")
async def app(seeded_settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(seeded_settings)
    async with LifespanManager(application, startup_timeout=120, shutdown_timeout=30):
        yield application


@pytest.fixture(scope="session")
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


class GraphQL:
    """Posts operations to /graphql the way an app does."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        expect_errors: bool = False,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        if not expect_errors:
            assert "errors" not in body, body["errors"]
        return body


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQL:
    return GraphQL(client)


class StatementCounter:
    """Counts the SQL the app runs, leaving out the background workers' polling (the search
    outbox, the zero-result log, the back-channel logout outbox): they share the engine and
    run on their own clock, not on behalf of any request."""

    BACKGROUND = (
        "search_outbox",
        "zero_result_query",
        "sso_logout",
        "search_state",
        "search_embedding",
        "search_semantic_doc",
        "search_query_stat",
    )

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not any(table in statement for table in self.BACKGROUND):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(app: Starlette) -> Any:
    """``async with count_statements() as counter:`` records the SQL the app runs meanwhile,
    once the search outbox worker has nothing left to do (it builds documents with statements
    of its own, on its own clock, when an earlier test changed the catalogue)."""
    engine = app.state.hub.engine.sync_engine
    sessions = app.state.hub.sessions

    @asynccontextmanager
    async def counting() -> AsyncIterator[StatementCounter]:
        for _ in range(300):
            async with sessions() as session:
                if (await outbox_status(session)).pending == 0:
                    break
            await asyncio.sleep(0.1)
        counter = StatementCounter()
        # what running a document costs: the response cache is off meanwhile, or an answer
        # an earlier test left would cost one statement (tests/http/test_response_cache.py
        # counts that one)
        cache = app.state.hub.graphql.answers.cache
        kept, cache.max_bytes = cache.max_bytes, 0
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)
            cache.max_bytes = kept

    return counting


# ------------------------------------------------------------- a small database, no seed


@dataclass
class Database:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    root_id: int  # org GW
    bureau_id: int  # org GW-WJJ, under GW
    theme_ids: dict[str, int]  # name -> id


THEMES = [
    ("T-SYSY", "生育收养", "person"),
    ("T-HJBL", "户籍办理", "person"),
    ("T-SLBG", "设立变更", "legal_entity"),
    ("T-ZJBL", "证件办理", "person"),
]


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of each kind with two orgs and a few themes, nothing else."""
    url = await create_pg_database("small") if request.param == "postgresql" else None
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=url,
        log_json=False,
        seed_on_empty=False,
    )
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
        sessions = session_factory(engine)
        async with transaction(sessions) as session:
            root = Org(
                path="",
                code="GW",
                name="云溪新区管理委员会",
                kind="management_committee",
                region_code="519901",
            )
            session.add(root)
            await session.flush()
            root.path = f"/{root.id}/"
            bureau = Org(
                parent_id=root.id,
                path="",
                depth=1,
                code="GW-WJJ",
                name="云溪新区卫生健康局",
                kind="bureau",
                region_code="519901",
            )
            session.add(bureau)
            await session.flush()
            bureau.path = f"{root.path}{bureau.id}/"
            themes = [Theme(code=c, name=n, audience=a) for c, n, a in THEMES]
            session.add_all(themes)
            await session.flush()
            database = Database(
                settings=settings,
                engine=engine,
                sessions=sessions,
                root_id=int(root.id or 0),
                bureau_id=int(bureau.id or 0),
                theme_ids={t.name: int(t.id or 0) for t in themes},
            )
        yield database
    finally:
        await engine.dispose()
        if url is not None:
            await drop_pg_database(url)


def service_line(code: str, name: str, **fields: Any) -> str:
    """One JSON line in the import format."""
    data: dict[str, Any] = {
        "code": code,
        "name": name,
        "org": "GW-WJJ",
        "themes": ["生育收养"],
        "audience": "person",
        "description": f"{name}的说明",
    }
    data.update(fields)
    return json.dumps(data, ensure_ascii=False)
