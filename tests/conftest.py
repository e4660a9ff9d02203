"""Shared fixtures: a seeded database per backend (SQLite always, PostgreSQL when
``HUB_TEST_DATABASE_URL`` is set), the real app with its lifespan, and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import event
from starlette.applications import Starlette

from hub import migrate
from hub.app import create_app
from hub.db import create_engine
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
    """Counts the SQL the app runs, leaving out the search outbox worker's polling: it shares
    the engine and runs on its own clock, not on behalf of any request."""

    BACKGROUND = ("search_outbox",)

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
    """``with count_statements() as counter:`` records the SQL the app runs meanwhile."""
    engine = app.state.hub.engine.sync_engine

    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting
