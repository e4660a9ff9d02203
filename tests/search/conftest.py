"""Fixtures for the search tests: engines to run the shared contract against, and small
documents to feed them."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub import migrate
from hub.db import create_engine, session_factory, transaction
from hub.models import Org, Theme
from hub.search.backend import SearchBackend, ServiceDocument
from hub.search.embedded import EmbeddedBackend
from hub.settings import Settings
from tests.databases import BACKENDS as DATABASES
from tests.databases import create_pg_database, drop_pg_database

MEILI_URL = os.environ.get("HUB_MEILI_URL")
ENGINES = ["embedded", *(["meilisearch"] if MEILI_URL else [])]


def make_doc(doc_id: int, name: str, **fields: Any) -> ServiceDocument:
    base = ServiceDocument(
        id=doc_id,
        code=f"T{doc_id:04d}",
        name=name,
        short_name=None,
        aliases=[],
        description="",
        conditions="",
        materials=[],
        org_id=3,
        org_name="市卫生健康委员会",
        org_path_ids=[1, 3],
        theme_ids=[10],
        theme_names=["生育收养"],
        audience="person",
        item_type="public_service",
        online_depth=2,
        visits=1,
        life_event_ids=[],
    )
    return replace(base, **fields)


async def open_engine(kind: str, tmp_path: Path) -> SearchBackend:
    if kind == "embedded":
        return await EmbeddedBackend.open(tmp_path / "index")
    from hub.search.meili import MeiliBackend

    assert MEILI_URL is not None
    return MeiliBackend(
        MEILI_URL,
        os.environ.get("HUB_MEILI_KEY"),
        index=f"hub_test_{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture(params=ENGINES, ids=lambda kind: str(kind))
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchBackend]:
    """An empty engine of each kind; a Meilisearch index is dropped afterwards."""
    kind = str(request.param)
    if kind == "meilisearch":
        request.applymarker(pytest.mark.meili)
    backend = await open_engine(kind, tmp_path)
    try:
        yield backend
    finally:
        drop = getattr(backend, "drop", None)
        if drop is not None:
            await drop()
        await backend.close()


# --------------------------------------------------------------------------- databases


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


@pytest.fixture(params=DATABASES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of each kind with two orgs and a few themes, nothing else."""
    url = await create_pg_database("search") if request.param == "postgresql" else None
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
