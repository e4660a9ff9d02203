"""Fixtures for the search tests: engines to run the shared contract against, and small
documents to feed them. The small database (the ``db`` fixture) is in tests/conftest.py, shared
with the catalogue tests; ``Database`` and ``service_line`` are re-exported here for the search
tests that import them from this module."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hub.search import analysis
from hub.search.backend import SearchBackend, ServiceDocument
from hub.search.embedded import EmbeddedBackend
from tests.conftest import Database as Database
from tests.conftest import service_line as service_line

MEILI_URL = os.environ.get("HUB_MEILI_URL")
ENGINES = ["embedded", *(["meilisearch"] if MEILI_URL else [])]


@pytest.fixture(autouse=True)
def shipped_synonyms() -> Iterator[None]:
    """Queries are analysed with the process's synonym table, which every app replaces with its
    own database's (an identity test's database has none). The tests here start from the
    table hub ships, whatever ran before them in this process."""
    before = analysis.synonym_table()
    analysis.set_synonym_table(analysis.shipped_synonym_table())
    yield
    analysis.set_synonym_table(before)


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
