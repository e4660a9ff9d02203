"""Fixtures for tests that drive hub's pages in headless Chromium, keyboard only, and check
them with axe-core (helpers in :mod:`tests.browser.harness`):

- ``browser``: one headless Chromium (``/usr/bin/chromium``) for the session;
- ``page``: a fresh browser context per test, a phone in Chinese by default (override the
  ``context_options`` fixture for another viewport, ``bypass_csp`` or a ``base_url``);
- ``live_server``: the seeded app of ``tests/conftest.py`` (``app``, once per backend)
  answering HTTP on a free loopback port, for the browser to reach.

    async def test_search_page(page: Page, live_server: LiveHub) -> None:
        await page.goto(live_server / "services")
        await page.keyboard.press("Tab")
        assert (await focused(page))["tag"] == "input"
        assert not (violations := await axe_violations(page)), describe(violations)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import Error as PlaywrightError
from starlette.applications import Starlette

from tests.browser.harness import (
    ACTION_TIMEOUT_MS,
    CHROMIUM,
    MOBILE,
    LiveHub,
    require_chromium,
    serve,
)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        launched = None
        try:
            launched = await playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                # small /dev/shm in containers: Chromium's shared memory goes to /tmp instead
                args=["--disable-dev-shm-usage"],
            )
        except PlaywrightError as exc:
            failure = exc.message
        if launched is None:
            pytest.fail(f"browser tests: {CHROMIUM} would not start:\n{failure}", pytrace=False)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def context_options() -> dict[str, Any]:
    """Keyword arguments for ``browser.new_context``; override in a module for other ones."""
    return dict(MOBILE)


@pytest.fixture
async def page(browser: Browser, context_options: dict[str, Any]) -> AsyncIterator[Page]:
    context = await browser.new_context(**context_options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture(scope="session")
async def live_server(app: Starlette) -> AsyncIterator[LiveHub]:
    async with serve(app) as live:
        yield live
