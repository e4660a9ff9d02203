"""Memory that requests freed goes back to the system (:mod:`hub.memory`): glibc keeps freed
pages in its arenas until ``malloc_trim``; the app calls it every HUB_MALLOC_TRIM_SECONDS."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from hub import memory
from hub.app import create_app
from hub.settings import Settings

pytestmark = pytest.mark.skipif(not memory.available(), reason="needs glibc's malloc_trim")


def anonymous_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


def test_trim_gives_back_pages_that_freed_objects_left_in_an_arena() -> None:
    """A thread (an arena of its own) makes 200 MB of 1 KB objects and keeps one in 50, as a
    request's survivors are kept among its garbage: freeing the rest shrinks nothing until
    malloc_trim returns the pages with no survivor left on them."""
    kept: list[bytes] = []

    def churn() -> None:
        made = [bytes(1000) + bytes([i % 256]) for i in range(200_000)]
        kept.extend(made[::50])
        del made

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    before = anonymous_mb()
    assert memory.trim()
    after = anonymous_mb()
    assert before - after > 100, (before, after)
    assert len(kept) == 4_000


async def test_the_app_trims_every_so_often(seeded_settings: Settings) -> None:
    settings = seeded_settings.model_copy(update={"malloc_trim_seconds": 0.05})
    async with LifespanManager(create_app(settings), startup_timeout=120, shutdown_timeout=30):
        before = memory.trims
        await asyncio.sleep(0.5)
        assert memory.trims - before >= 3
    stopped = memory.trims
    await asyncio.sleep(0.2)
    assert memory.trims == stopped  # the loop ends with the app


async def test_no_trimming_when_turned_off(seeded_settings: Settings) -> None:
    settings = seeded_settings.model_copy(update={"malloc_trim_seconds": 0})
    async with LifespanManager(create_app(settings), startup_timeout=120, shutdown_timeout=30):
        before = memory.trims
        await asyncio.sleep(0.3)
        assert memory.trims == before
