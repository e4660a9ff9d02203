"""What the browser tests share besides fixtures: where Chromium and axe-core are, the axe
check, the focused element, and hub served over real HTTP on the test's own event loop.

- Chromium is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it with apt-get), driven by
  Playwright's async API; Playwright's own browser download is never used.
- axe-core (MPL-2.0, Deque Systems; used unmodified, injected into the page under test) is pinned
  in ``tests/browser/package.json`` and installed by ``npm ci --prefix tests/browser``.

Both are required: a missing one fails the browser tests with a message saying how to install
it, it never skips them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import uvicorn
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from starlette.applications import Starlette

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"

#: The WCAG 2.0 and 2.1 A and AA rules: what the pages must pass.
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

#: A phone (390 × 844 CSS pixels, touch, 3× pixels) in Chinese, in China's time zone: what a new
#: browser context looks like unless a test overrides the ``context_options`` fixture.
MOBILE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}

#: How long one Playwright action or navigation may take before the test fails (ms).
ACTION_TIMEOUT_MS = 10_000


def require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"browser tests: {CHROMIUM} is missing; install Debian's chromium "
            "(apt-get install --no-install-recommends chromium), as .ci/run does",
            pytrace=False,
        )


def require_axe() -> None:
    if not AXE.is_file():
        pytest.fail(
            f"browser tests: {AXE} is missing; "
            "run `npm ci --prefix tests/browser`, as .ci/run does",
            pytrace=False,
        )


async def axe_violations(page: Page, *, tags: Sequence[str] = WCAG_AA) -> list[dict[str, Any]]:
    """Run axe-core over the page as it is now and return its violations (axe's own dicts:
    ``id``, ``impact``, ``help``, ``nodes`` with ``target`` and ``failureSummary``, …), only
    for rules tagged with one of ``tags``."""
    require_axe()
    refused = None
    try:
        await page.add_script_tag(path=AXE)
    except PlaywrightError as exc:
        refused = exc.message
    if refused is not None:
        pytest.fail(
            f"axe-core would not load into the page ({refused}); when the page's "
            "Content-Security-Policy refuses inline scripts, give the test a context with "
            "bypass_csp=True (override the context_options fixture)",
            pytrace=False,
        )
    violations = await page.evaluate(
        """async (tags) => {
            const results = await window.axe.run(document, {
                runOnly: { type: "tag", values: tags },
                resultTypes: ["violations"],
            });
            return results.violations;
        }""",
        list(tags),
    )
    return cast(list[dict[str, Any]], violations)


def describe(violations: list[dict[str, Any]]) -> str:
    """The violations in a few lines each, for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.extend(f"    {node['target']}" for node in violation["nodes"])
    return "\n".join(lines)


async def focused(page: Page) -> dict[str, Any] | None:
    """What has the keyboard focus: tag, id, name, type and text of ``document.activeElement``
    (``None`` when nothing, or only the body, has it)."""
    found = await page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            return {
                tag: el.tagName.toLowerCase(),
                id: el.id || null,
                name: el.getAttribute("name"),
                type: el.getAttribute("type"),
                text: (el.innerText || el.value || "").trim() || null,
            };
        }"""
    )
    return cast(dict[str, Any] | None, found)


# ------------------------------------------------------------------- hub over real HTTP


class _Server(uvicorn.Server):
    """uvicorn without its SIGINT/SIGTERM handlers: Ctrl-C stays pytest's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class LiveHub:
    """hub's app (already started) answering HTTP on ``url``."""

    app: Starlette
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __truediv__(self, path: str) -> str:
        """``live_server / "healthz"`` is the absolute URL of ``/healthz``."""
        return f"{self.url}/{path.lstrip('/')}"


@contextlib.asynccontextmanager
async def serve(app: Starlette, *, start_timeout: float = 30.0) -> AsyncIterator[LiveHub]:
    """Serve ``app`` with uvicorn on a free loopback port, as a task on the running loop, until
    the block ends. Its lifespan is not run again: the caller has started the app already, so
    the server shares its engine, caches and workers with the in-process ``client``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"hub-live-{port}")
    try:
        async with asyncio.timeout(start_timeout):
            while not server.started:
                if task.done():
                    task.result()  # raises what stopped it
                    raise RuntimeError("the live hub server stopped before it started")
                await asyncio.sleep(0.01)
        yield LiveHub(app, port)
    finally:
        server.should_exit = True
        try:
            async with asyncio.timeout(15):
                await task
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            sock.close()
