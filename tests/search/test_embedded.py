"""What only the embedded engine has: an index on disk that outlives the process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import tantivy

from hub.search.backend import SearchError
from hub.search.embedded import EmbeddedBackend
from hub.search.embedded_schema import build_schema, guard
from tests.search.conftest import make_doc

DOCS = [make_doc(1, "生育登记"), make_doc(2, "结婚登记"), make_doc(3, "营业执照变更登记")]


def generations(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir()}


async def test_an_index_from_an_earlier_process_is_reopened_as_is(tmp_path: Path) -> None:
    first = await EmbeddedBackend.open(tmp_path)
    assert await first.is_stale()  # nothing built yet
    await first.reindex(DOCS)
    await first.close()
    built = generations(tmp_path)

    again = await EmbeddedBackend.open(tmp_path)
    assert not await again.is_stale()
    assert await again.count() == len(DOCS)
    assert generations(tmp_path) == built  # nothing was rebuilt
    assert [h.id for h in (await again.search("结婚", None, 0, 5)).hits] == [2]
    await again.close()


async def test_an_index_built_by_another_analysis_version_is_stale(tmp_path: Path) -> None:
    backend = await EmbeddedBackend.open(tmp_path)
    await backend.reindex(DOCS)
    await backend.close()
    current = json.loads((tmp_path / "CURRENT").read_text())
    (tmp_path / "CURRENT").write_text(json.dumps({**current, "analysis": "analysis=0"}))

    reopened = await EmbeddedBackend.open(tmp_path)
    assert await reopened.is_stale()
    assert await reopened.count() == len(DOCS)  # still served until rebuilt
    await reopened.reindex(DOCS)
    assert not await reopened.is_stale()
    await reopened.close()


async def test_an_index_with_another_schema_is_not_opened(tmp_path: Path) -> None:
    backend = await EmbeddedBackend.open(tmp_path)
    await backend.reindex(DOCS)
    await backend.close()
    current = json.loads((tmp_path / "CURRENT").read_text())
    (tmp_path / "CURRENT").write_text(json.dumps({**current, "schema": "0"}))

    reopened = await EmbeddedBackend.open(tmp_path)
    assert await reopened.is_stale()
    assert await reopened.count() == 0
    await reopened.close()


async def test_another_process_follows_a_rebuild(tmp_path: Path) -> None:
    server = await EmbeddedBackend.open(tmp_path)
    await server.reindex(DOCS)
    cli = await EmbeddedBackend.open(tmp_path)  # e.g. `hub search reindex` meanwhile
    await cli.reindex([*DOCS, make_doc(4, "离婚登记")])
    await cli.close()

    assert await server.count() == len(DOCS) + 1
    assert [h.id for h in (await server.search("离婚", None, 0, 5)).hits] == [4]
    await server.upsert([make_doc(5, "收养登记")])  # writes go to the new generation too
    assert len(generations(tmp_path)) <= 2  # older generations are cleaned up
    await server.close()

    reopened = await EmbeddedBackend.open(tmp_path)
    assert await reopened.count() == len(DOCS) + 2
    await reopened.close()


async def test_a_closed_index_refuses_work(tmp_path: Path) -> None:
    backend = await EmbeddedBackend.open(tmp_path)
    await backend.close()
    with pytest.raises(SearchError):
        await backend.search("生育", None, 0, 5)
    assert not await backend.ping()


def test_a_rust_panic_becomes_a_search_error() -> None:
    schema = build_schema()
    # a one-word phrase query panics inside tantivy (PanicException is a BaseException)
    with pytest.raises(SearchError, match="phrase"):
        guard("query", lambda: tantivy.Query.phrase_query(schema, "name_grams", ["生"]))


async def test_a_write_waits_for_another_writer_to_let_go(tmp_path: Path) -> None:
    # given the index's writer lock held by someone else (as `hub import` beside `hub serve`)
    backend = await EmbeddedBackend.open(tmp_path)
    await backend.reindex(DOCS)
    holder = backend.store.live_index().writer(15_000_000, 1)

    async def let_go() -> None:
        nonlocal holder
        await asyncio.sleep(0.5)
        holder.rollback()
        del holder

    # when a write comes meanwhile, then it waits for the lock instead of failing
    releasing = asyncio.create_task(let_go())
    await backend.upsert([make_doc(4, "犬只登记")])
    await releasing
    assert [h.id for h in (await backend.search("犬只", None, 0, 5)).hits] == [4]
    await backend.close()
