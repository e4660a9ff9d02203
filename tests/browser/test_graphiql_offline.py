"""GraphiQL at ``/graphql`` in a real browser with no internet: every request that leaves hub's
origin is refused and recorded, and still the editor renders, runs a query and shows the answer,
under the page's own strict Content-Security-Policy (no inline script, no ``eval``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Route, expect

from tests.browser.harness import ACTION_TIMEOUT_MS, LiveHub

QUERY = '{ service(code: "S-WJJ-001") { name } }'

#: Records the page's CSP violations before any of its scripts run (Playwright's init scripts
#: are not subject to the page's policy).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class Offline:
    """A desktop browser context where only hub's origin answers; what else was asked, and
    what the console said, are kept."""

    def __init__(self, context: BrowserContext, origin: str) -> None:
        self.context = context
        self.origin = origin
        self.left_origin: list[str] = []
        self.asked: list[str] = []
        self.console: list[str] = []

    async def route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.left_origin.append(url)
            await route.abort("internetdisconnected")
            return
        self.asked.append(parts.path)
        await route.continue_()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")


@pytest.fixture
async def offline(browser: Browser, live_server: LiveHub) -> AsyncIterator[Offline]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    watched = Offline(context, live_server.url)
    await context.route("**/*", watched.route)
    await context.add_init_script(WATCH_CSP)
    try:
        yield watched
    finally:
        await context.close()


async def open_graphiql(offline: Offline, live_server: LiveHub) -> Page:
    page = await offline.context.new_page()
    page.on("console", offline.on_console)
    page.on("pageerror", lambda error: offline.console.append(f"pageerror: {error}"))
    answer = await page.goto(live_server / "graphql")
    assert answer is not None and answer.status == 200
    assert (await answer.header_value("content-type") or "").startswith("text/html")
    await page.locator(".graphiql-query-editor .CodeMirror").wait_for()
    return page


async def test_graphiql_runs_a_query_with_nothing_but_hub(
    offline: Offline, live_server: LiveHub
) -> None:
    page = await open_graphiql(offline, live_server)
    # the query goes into GraphiQL's editor (CodeMirror 5) and runs with Ctrl-Enter
    await page.evaluate(
        """(query) => {
            const editor = document.querySelector(".graphiql-query-editor .CodeMirror");
            editor.CodeMirror.setValue(query);
            editor.CodeMirror.focus();
        }""",
        QUERY,
    )
    await page.keyboard.press("Control+Enter")
    result = page.locator(".result-window")
    await expect(result).to_contain_text("再生育申请")
    await expect(result).to_contain_text('"name"')
    # and again with the run button
    await page.evaluate(
        """() => document.querySelector(".graphiql-query-editor .CodeMirror")
            .CodeMirror.setValue('{ service(code: "S-WJJ-001") { code name } }')"""
    )
    await page.locator(".graphiql-execute-button").click()
    await expect(result).to_contain_text('"code": "S-WJJ-001"')
    # the schema came over too: the documentation explorer lists the root type's fields
    await page.get_by_role("button", name="Show Documentation Explorer").click()
    await expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Query")
    # a dialog (GraphiQL adds a <style> for it, allowed by the page's nonce)
    await page.get_by_role("button", name="Open settings dialog").click()
    await expect(page.get_by_role("dialog")).to_contain_text("Settings")
    await page.keyboard.press("Escape")

    assert offline.left_origin == [], offline.left_origin
    assert {path for path in offline.asked if path != "/graphql"} == {
        "/graphiql/static/graphiql.min.css",
        "/graphiql/static/react.production.min.js",
        "/graphiql/static/react-dom.production.min.js",
        "/graphiql/static/graphiql.min.js",
        "/graphiql/static/mount.js",
    }
    assert await page.evaluate("() => window.__cspViolations") == []
    csp_errors = [line for line in offline.console if "Content Security Policy" in line]
    assert csp_errors == [], csp_errors
    assert not [line for line in offline.console if line.startswith(("error", "pageerror"))], (
        offline.console
    )


async def test_the_page_policy_refuses_inline_script_and_eval(
    offline: Offline, live_server: LiveHub
) -> None:
    """The policy is in force, not just sent: an inline script and ``eval`` are refused."""
    page = await open_graphiql(offline, live_server)
    ran = await page.evaluate(
        """() => new Promise((resolve) => {
            window.__inline = false;
            const script = document.createElement("script");
            script.textContent = "window.__inline = true";
            document.head.append(script);
            window.__evaluated = false;
            setTimeout("window.__evaluated = true", 0);  // a string is eval'd: refused
            setTimeout(() => resolve({ inline: window.__inline, evaluated: window.__evaluated }));
        })"""
    )
    assert ran == {"inline": False, "evaluated": False}
    violations = await page.evaluate("() => window.__cspViolations")
    assert {"script-src-elem inline", "script-src eval"} <= set(violations), violations
