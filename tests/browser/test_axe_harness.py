"""The browser harness itself: axe finds what is wrong and passes what is right, the keyboard
alone reaches and submits a form, and the live server answers the browser."""

from __future__ import annotations

import httpx
from playwright.async_api import Page

from tests.browser.harness import LiveHub, axe_violations, describe, focused
from tests.conftest import GraphQL

INACCESSIBLE = """<!doctype html>
<html>
  <body>
    <input type="text" name="q">
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  </body>
</html>"""

ACCESSIBLE = """<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>办事指南搜索</title>
  </head>
  <body>
    <main>
      <h1>办事指南搜索</h1>
      <form id="search">
        <label for="q">事项名称</label>
        <input id="q" name="q" type="search">
        <button type="submit">搜索</button>
      </form>
      <p id="result" role="status"></p>
    </main>
    <script>
      document.getElementById("search").addEventListener("submit", (event) => {
        event.preventDefault();
        const query = document.getElementById("q").value;
        document.body.dataset.submitted = query;
        document.getElementById("result").textContent = "搜索：" + query;
      });
    </script>
  </body>
</html>"""


async def test_axe_reports_an_unlabelled_input_and_an_image_without_alt(page: Page) -> None:
    await page.set_content(INACCESSIBLE)
    violations = await axe_violations(page)
    ids = {violation["id"] for violation in violations}
    assert {"label", "image-alt", "html-has-lang", "document-title"} <= ids, describe(violations)
    (label,) = (violation for violation in violations if violation["id"] == "label")
    assert [node["target"] for node in label["nodes"]] == [["input"]]


async def test_axe_passes_an_accessible_page(page: Page) -> None:
    await page.set_content(ACCESSIBLE)
    violations = await axe_violations(page)
    assert violations == [], describe(violations)


async def test_the_keyboard_alone_fills_and_submits_the_form(page: Page) -> None:
    await page.set_content(ACCESSIBLE)
    assert await focused(page) is None

    await page.keyboard.press("Tab")
    assert await focused(page) == {
        "tag": "input",
        "id": "q",
        "name": "q",
        "type": "search",
        "text": None,
    }
    await page.keyboard.type("生育登记")

    await page.keyboard.press("Tab")
    button = await focused(page)
    assert button is not None
    assert (button["tag"], button["text"]) == ("button", "搜索")

    await page.keyboard.press("Enter")
    assert await page.evaluate("() => document.body.dataset.submitted") == "生育登记"
    assert await page.locator("#result").text_content() == "搜索：生育登记"


async def test_the_live_server_answers_the_browser(
    page: Page, live_server: LiveHub, gql: GraphQL
) -> None:
    response = await page.goto(live_server / "healthz")
    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert await response.json() == {"status": "ok"}

    # the same seeded city as the in-process client sees
    live = await page.request.post(live_server / "graphql", data={"query": "{ rootOrg { name } }"})
    assert live.status == 200
    root = (await gql("{ rootOrg { name } }"))["data"]["rootOrg"]["name"]
    assert root
    assert (await live.json())["data"]["rootOrg"]["name"] == root

    # and it answers other HTTP clients too (what a test may use to set things up)
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        assert (await http.get("/readyz")).json()["status"] == "ready"
