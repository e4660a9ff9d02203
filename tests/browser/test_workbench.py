"""The staff workbench in a real browser: an admin signs in through hub's single sign-on,
decides a transfer application and sees its audit event; a clerk sees only the desks their
roles open and withdraws their own application; signing out at hub ends the workbench at once;
axe finds nothing serious; no request leaves hub's origin. Screenshots of every desk at 390 px
go to .artifacts/screenshots."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Browser, Page
from starlette.applications import Starlette

from tests.browser.harness import LiveHub, axe_violations, describe
from tests.browser.test_citizen_pages import SHOTS, open_context

WELL_KNOWN = {"admin", "tzcj_admin", "kjcx_admin", "tzcj_clerk", "tzcj_reviewer", "gafj_reviewer"}


async def graphql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = answer.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def api_token(http: httpx.AsyncClient, login_no: str, password: str) -> str:
    login = await graphql(
        http,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        {"i": {"loginNo": login_no, "password": password}},
    )
    return str(login["login"]["accessToken"])


async def pending_application(live: LiveHub, password: str) -> str:
    """投资促进局's admin applies for one of its generated staff to move to 科教创新区; the
    staff member's name (the application is rejected by the test, so nobody moves)."""
    async with httpx.AsyncClient(base_url=live.url) as http:
        token = await api_token(http, "tzcj_admin", password)
        orgs = await graphql(
            http, '{ a: org(code: "GW-TZCJ") { id } b: org(code: "GW-KJCX") { id } }', {}
        )
        members = await graphql(
            http,
            """query($org: ID!) { orgMembers(orgId: $org, first: 50) {
                 edges { node { postType staff { id loginNo name } } } } }""",
            {"org": orgs["a"]["id"]},
            token,
        )
        person = next(
            e["node"]["staff"]
            for e in members["orgMembers"]["edges"]
            if e["node"]["postType"] == "PRIMARY"
            and e["node"]["staff"]["loginNo"] not in WELL_KNOWN
        )
        await graphql(
            http,
            """mutation($i: ApplyForTransferInput!) {
                 applyForTransfer(input: $i) { application { id } } }""",
            {"i": {"staffId": person["id"], "toOrgId": orgs["b"]["id"], "reason": "工作需要"}},
            token,
        )
        return str(person["name"])


DESKS = ("/staff", "/staff/members", "/staff/transfers", "/staff/audit", "/staff/sharing",
         "/staff/search-terms")  # fmt: skip


def shot_name(path: str) -> str:
    return "staff" + path.removeprefix("/staff").replace("/", "-")


async def sign_in(page: Page, live: LiveHub, login_no: str, password: str) -> None:
    await page.goto(live / "/staff")
    await page.wait_for_url("**/sso/authorize?*")
    assert "工作人员工作台" in await page.inner_text("main")
    await page.locator("#username").fill(login_no)
    await page.locator("#password").fill(password)
    await page.locator("#password").press("Enter")
    await page.wait_for_url(live / "/staff")


async def serious(page: Page) -> list[dict[str, Any]]:
    return [v for v in await axe_violations(page) if v.get("impact") in ("serious", "critical")]


async def test_an_admin_decides_a_transfer_and_sees_the_audit_event(
    browser: Browser, live_server: LiveHub, app: Starlette
) -> None:
    password = app.state.hub.settings.demo_password_value or ""
    name = await pending_application(live_server, password)
    context, outside = await open_context(browser, live_server)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "kjcx_admin", password)
        assert await page.locator("h1").inner_text() == "陈思远"
        assert "科教创新区" in await page.locator("section:has(#posts-h)").inner_text()
        assert not (bad := await serious(page)), describe(bad)
        await page.get_by_role("link", name="调动申请").click()
        card = page.locator("ul.results > li", has_text=name)
        await card.wait_for()
        assert not (bad := await serious(page)), describe(bad)
        await card.get_by_label("审批意见（驳回时必填）").fill("编制已满")
        await card.get_by_role("button", name="驳回").click()
        await page.wait_for_url("**/staff/audit?target=*")
        trail = await page.locator("ul.results").inner_text()
        assert "驳回调动申请" in trail and "陈思远" in trail and "编制已满" in trail
        assert "提出调动申请" in trail  # the application itself, by 投资促进局's admin
        assert not (bad := await serious(page)), describe(bad)
        # the members page of the admin's subtree
        await page.get_by_role("link", name="人员").click()
        await page.wait_for_url("**/staff/members*")
        assert "科教创新区" in await page.locator("h1").inner_text()
        assert not (bad := await serious(page)), describe(bad)
        SHOTS.mkdir(parents=True, exist_ok=True)
        for path in DESKS:
            await page.goto(live_server / path)
            await page.screenshot(path=SHOTS / f"{shot_name(path)}-normal.png", full_page=True)
        # every workbench page in large text too, and none scrolls sideways at 360 px
        await context.add_cookies([{"name": "hub_text", "value": "large", "url": live_server.url}])
        for path in DESKS:
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(live_server / path)
            await page.screenshot(path=SHOTS / f"{shot_name(path)}-large.png", full_page=True)
            await page.set_viewport_size({"width": 360, "height": 740})
            assert await page.locator("html").get_attribute("class") == "large"
            assert not (bad := await serious(page)), f"{path}:\n{describe(bad)}"
            wide = await page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert wide <= 0, f"{path}: {wide}px of sideways scrolling at 360 px"
        # a decision posted without the page's token is refused (another site's form)
        forged = await page.request.post(
            live_server / "/staff/transfers/decide",
            form={"decision": "approve", "application": "x", "version": "1", "csrf": "bad"},
        )
        assert forged.status == 403 and "FORBIDDEN" in await forged.text()
        # signing out at hub ends the workbench's session too
        await page.get_by_role("link", name="退出登录").click()
        await page.get_by_role("button", name="退出登录").click()
        await page.goto(live_server / "/staff/transfers")
        await page.wait_for_url("**/sso/authorize?*")
    finally:
        await context.close()
    assert outside.seen == []


async def test_a_forged_or_missing_session_is_sent_to_sign_in(live_server: LiveHub) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        for cookie in ("", "abc.def", "x" * 40 + ".0123456789abcdef0123456789abcdef"):
            answer = await http.get("/staff/audit", headers={"Cookie": f"hub_staff={cookie}"})
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/staff/sign-in?back=")
        # text no comparison expects (non-ASCII) is refused, not a server error
        odd = "hub_staff=s\xe9ssion.m\xe4c; hub_staff_flow=\xe9.v.x".encode("latin-1")
        answer = await http.get("/staff/audit", headers={"Cookie": odd})
        assert answer.status_code == 303
        stray = await http.get(
            "/staff/callback", params={"code": "c", "state": "\xe9"}, headers={"Cookie": odd}
        )
        assert stray.status_code == 400 and "SIGN_IN_FAILED" in stray.text
        posted = await http.post(
            "/staff/transfers/decide", data={"decision": "approve", "application": "x"}
        )
        assert posted.status_code == 401 and "UNAUTHENTICATED" in posted.text
        # the workbench's redirect URI is hub's own /staff/callback, nowhere else
        for elsewhere in ("https://evil.example/staff/callback", live_server / "/staff/other"):
            query = {
                "response_type": "code",
                "client_id": "hub-workbench",
                "redirect_uri": elsewhere,
                "scope": "openid",
                "code_challenge": "A" * 43,
                "code_challenge_method": "S256",
            }
            refused = await http.get("/sso/authorize", params=query)
            assert refused.status_code == 400 and "location" not in refused.headers
        # the callback refuses a code without the flow that asked for it
        stray = await http.get("/staff/callback", params={"code": "abc", "state": "s"})
        assert stray.status_code == 400 and "SIGN_IN_FAILED" in stray.text


async def sign_out(page: Page) -> None:
    await page.get_by_role("link", name="退出登录").click()
    await page.get_by_role("button", name="退出登录").click()


async def test_a_request_goes_from_the_demand_list_to_its_provider(
    browser: Browser, live_server: LiveHub, app: Starlette
) -> None:
    """科教创新区 asks for 户籍人口基本信息 from its demand list; 公安分局's reviewer rejects it
    (a rejection leaves no grant behind for the other tests of this app)."""
    password = app.state.hub.settings.demo_password_value or ""
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        token = await api_token(http, "kjcx_admin", password)
        found = await graphql(
            http,
            "{ datasets(filter: {categories: [POPULATION]}, first: 100) { edges { node { id name "
            "fields { name } } } } }",
            {},
        )
        population = next(
            e["node"] for e in found["datasets"]["edges"] if e["node"]["name"] == "户籍人口基本信息"
        )
        fields = [f["name"] for f in population["fields"]][:2]
        await graphql(
            http,
            "mutation($d: ID!, $f: [String!]!) { addToDemandList(datasetId: $d, fieldNames: $f) "
            "{ addedAt } }",
            {"d": population["id"], "f": fields},
            token,
        )
    context, outside = await open_context(browser, live_server)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "kjcx_admin", password)
        await page.get_by_role("link", name="数据共享").click()
        demand = page.locator("section:has(#demand) li", has_text="户籍人口基本信息")
        await demand.get_by_label("用途（必填，说明用于哪项业务）").fill("高层次人才认定核验身份")
        await demand.get_by_label("法定依据（有条件共享的数据必填）").fill("《人才引进办法》第五条")
        await demand.get_by_label("使用方式").select_option("VERIFY")
        assert not (bad := await serious(page)), describe(bad)
        await demand.get_by_role("button", name="提交申请").click()
        await page.wait_for_url("**/staff/sharing#asked")
        asked = await page.locator("section:has(#asked)").inner_text()
        assert "高层次人才认定核验身份" in asked and "待审核" in asked
        await sign_out(page)
        await sign_in(page, live_server, "gafj_reviewer", password)
        await page.goto(live_server / "/staff/sharing")
        card = page.locator("section:has(#review) li", has_text="高层次人才认定核验身份")
        await card.get_by_label("意见（驳回时必填）").fill("请说明法定依据")
        await card.get_by_role("button", name="驳回").click()
        await page.wait_for_url("**/staff/sharing#review")
        assert (
            "高层次人才认定核验身份" not in await page.locator("section:has(#review)").inner_text()
        )
        assert not (bad := await serious(page)), describe(bad)
    finally:
        await context.close()
    assert outside.seen == []


async def test_catalogue_staff_grow_the_synonym_table(
    browser: Browser, live_server: LiveHub, app: Starlette
) -> None:
    password = app.state.hub.settings.demo_password_value or ""
    context, outside = await open_context(browser, live_server)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "catalogue_editor", password)
        await page.get_by_role("link", name="搜索词").click()
        await page.get_by_label("市民的说法").fill("添丁")
        await page.get_by_label("对应的规范说法（多个用逗号分隔）").fill("生育")
        await page.get_by_role("button", name="预览").click()
        await page.get_by_role("button", name="保存“添丁”的同义词").wait_for()
        assert not (bad := await serious(page)), describe(bad)
        await page.get_by_role("button", name="保存“添丁”的同义词").click()
        table = page.locator("section:has(#synonyms)")
        assert "添丁" in await table.inner_text() and "生育" in await table.inner_text()
        # the citizen's search finds 生育 services at once
        async with httpx.AsyncClient(base_url=live_server.url) as http:
            answer = await http.get("/search", params={"q": "添丁"})
        assert "生育登记" in answer.text
        await page.get_by_role("button", name="删除同义词 添丁").click()
        await page.wait_for_url("**/staff/search-terms")
        assert "添丁" not in await page.locator("section:has(#synonyms)").inner_text()
    finally:
        await context.close()
    assert outside.seen == []


async def test_a_clerk_sees_only_the_desks_their_roles_open(
    browser: Browser, live_server: LiveHub, app: Starlette
) -> None:
    """投资促进局's clerk holds no role: no 人员 or 审计记录 in the menu, no decision on their
    own application but its withdrawal, the requester's side of data sharing, the search terms
    without the editor; a desk opened by its address is the FORBIDDEN page."""
    password = app.state.hub.settings.demo_password_value or ""
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        token = await api_token(http, "tzcj_clerk", password)
        found = await graphql(
            http, '{ me { staff { id name } } org(code: "GW-KJCX") { id } }', {}, token
        )
        staff_id = found["me"]["staff"]["id"]
        await graphql(
            http,
            """mutation($i: ApplyForTransferInput!) {
                 applyForTransfer(input: $i) { application { id } } }""",
            {"i": {"staffId": staff_id, "toOrgId": found["org"]["id"], "reason": "家庭原因"}},
            token,
        )
    name = found["me"]["staff"]["name"]
    context, outside = await open_context(browser, live_server)
    try:
        page = await context.new_page()
        await sign_in(page, live_server, "tzcj_clerk", password)
        menu = await page.get_by_role("navigation", name="工作台").inner_text()
        assert "调动申请" in menu and "数据共享" in menu and "搜索词" in menu
        assert "人员" not in menu and "审计记录" not in menu
        await page.get_by_role("link", name="调动申请").click()
        card = page.locator("ul.results > li", has_text=name)
        await card.wait_for()
        assert await card.get_by_role("button", name="批准调入").count() == 0
        assert await card.get_by_role("link", name="审计记录").count() == 0
        assert not (bad := await serious(page)), describe(bad)
        current = page.get_by_role("navigation", name="工作台").locator("[aria-current=page]")
        assert await current.inner_text() == "调动申请"
        # a version that is not a number, with the page's own token: refused, nothing changes
        token = await card.locator("input[name=csrf]").first.get_attribute("value")
        application = await card.locator("input[name=application]").first.get_attribute("value")
        odd = await page.request.post(
            live_server / "/staff/transfers/withdraw",
            form={"csrf": token or "", "application": application or "", "version": "²"},
        )
        assert odd.status == 400 and "BAD_USER_INPUT" in await odd.text()
        await card.get_by_role("button", name="撤回申请").click()
        await page.wait_for_url("**/staff/transfers?status=WITHDRAWN")
        assert name in await page.locator("ul.results").inner_text()
        # data sharing: the org's own side, not the provider's
        await page.get_by_role("link", name="数据共享").click()
        await page.wait_for_url("**/staff/sharing")
        headings = await page.locator("main h2").all_inner_texts()
        assert "需求清单" in headings and "本单位的调用记录" in headings
        assert "待我审核的申请" not in headings and "本单位给出的授权" not in headings
        assert not (bad := await serious(page)), describe(bad)
        # search terms: what citizens did not find, without the synonym editor
        await page.get_by_role("link", name="搜索词").click()
        await page.wait_for_url("**/staff/search-terms")
        assert await page.get_by_label("市民的说法").count() == 0
        assert await page.get_by_role("button", name="删除").count() == 0
        assert "同义词表" in await page.locator("main").inner_text()
        answer = await page.goto(live_server / "/staff/audit")
        assert answer is not None and answer.status == 403
        assert "FORBIDDEN" in await page.locator("main").inner_text()
    finally:
        await context.close()
    assert outside.seen == []
