"""The staff workbench: my posts, the members of my subtree, transfer applications to decide,
and the audit trail. Every page asks the schema as the signed-in person, so it shows exactly
what their roles allow; a decision is a form (POST, CSRF token) that runs the mutation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.auth.viewer import Viewer
from hub.http.sso.forms import FormError, form_params
from hub.models.enums import Role
from hub.web.layout import h, href, page, pager, paging, problem_page, url
from hub.web.queries import PageProblem, fetch
from hub.web.staff_auth import csrf_ok, csrf_token, staff_viewer

PAGE_SIZE = 20
ROLE_WORDS = {"ADMIN": "管理员", "REVIEWER": "数据共享审核", "CATALOGUE": "目录编辑"}
STATUS_WORDS = {
    "PENDING": "待审批",
    "APPROVED": "已批准",
    "REJECTED": "已驳回",
    "WITHDRAWN": "已撤回",
}

StaffHandler = Callable[[Request, Viewer], Awaitable[Response]]


def signed_in(handler: StaffHandler) -> Callable[[Request], Awaitable[Response]]:
    """Only for a signed-in staff member: a GET without one goes to sign in and comes back;
    a POST is refused (its form would be lost), a page saying so. The routes show a
    ``PageProblem`` as a page, as for every other page."""

    async def page_for_staff(request: Request) -> Response:
        viewer = await staff_viewer(request)
        if viewer is None:
            if request.method == "GET":
                back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(url("/staff/sign-in", back=back), status_code=303)
            return problem_page(
                request, 401, "请先登录", "登录已失效，请重新登录后再提交。", "UNAUTHENTICATED"
            )
        return await handler(request, viewer)

    return page_for_staff


async def posted_form(request: Request, viewer: Viewer) -> dict[str, str]:
    """A workbench form's fields, once its CSRF token proves it came from the page."""
    try:
        form = await form_params(request)
    except FormError:
        raise PageProblem(400, "提交有误", "表单不完整。", "BAD_USER_INPUT") from None
    if not csrf_ok(request, viewer, form.get("csrf")):
        raise PageProblem(403, "页面已过期", "请刷新页面后重新提交。", "FORBIDDEN")
    return form


def form_version(form: dict[str, str]) -> int | None:
    """The ``version`` a decision form carries (the item's, as the page read it), or None when
    it is not a number: ASCII digits only, since ``str.isdigit`` also admits ² and the like,
    which ``int`` refuses."""
    version = form.get("version", "")
    return int(version[:9]) if version.isascii() and version.isdigit() else None


@dataclass(frozen=True, slots=True)
class Desks:
    """The desks a person's roles open. The schema decides what anyone may do; this only spares
    them links and forms that would answer FORBIDDEN (a desk opened by its address anyway
    answers the FORBIDDEN page)."""

    admin: bool  # 人员 and 审计记录: an administrator of some org
    provider: bool  # the provider's side of data sharing: a reviewer or an administrator
    catalogue: bool  # the synonym table's editor

    @classmethod
    def of(cls, viewer: Viewer) -> Desks:
        def holds(role: Role) -> bool:
            return bool(viewer.role_paths(role.value))

        admin = holds(Role.ADMIN)
        return cls(admin, admin or holds(Role.REVIEWER), holds(Role.CATALOGUE))

    def menu(self, here: str) -> str:
        """The desks' links, the one at ``here`` (a path) marked as the current page."""
        links = [("/staff", "我的岗位")]
        links += [("/staff/members", "人员")] if self.admin else []
        links += [("/staff/transfers", "调动申请")]
        links += [("/staff/audit", "审计记录")] if self.admin else []
        links += [("/staff/sharing", "数据共享"), ("/staff/search-terms", "搜索词")]
        links += [("/sso/logout", "退出登录")]
        current = ' aria-current="page"'
        items = "".join(
            f'<li><a href="{path}"{current if path == here else ""}>{label}</a></li>'
            for path, label in links
        )
        return f'<nav class="workbench" aria-label="工作台"><ul class="chips">{items}</ul></nav>'


def frame(request: Request, viewer: Viewer, title: str, body: str, status: int = 200) -> Response:
    """A workbench page: the menu of the desks the person's roles open, then ``body``."""
    body = Desks.of(viewer).menu(request.url.path) + body
    return page(request, title=f"{title} - 工作台", body=body, status=status, public=False)


def _roles(roles: list[str]) -> str:
    return "、".join(ROLE_WORDS.get(r, r) for r in roles) or "无"


async def home(request: Request, viewer: Viewer) -> Response:
    me = (await fetch(request, "StaffHome", viewer=viewer))["me"]
    if me is None:
        raise PageProblem(401, "请先登录", "登录已失效。", "UNAUTHENTICATED")
    staff = me["staff"]
    posts = "".join(
        f"""<li><strong>{h(m["org"]["name"])}</strong> · {h(m["position"] or "—")}
{h(m["rank"])}<p class="facts">{h(m["postTypeLabel"])} · 角色：{_roles(m["roles"])} ·
自 {h(m["startsOn"])} 起</p></li>"""
        for m in staff["memberships"]
    )
    admin_orgs = "".join(
        f'<li><a href="{href("/staff/members", org=r["org"]["id"])}">{h(r["org"]["name"])}</a></li>'
        for r in me["effectiveRoles"]
        if "ADMIN" in r["roles"]
    )
    admin = (
        f'<section aria-labelledby="admin-h"><h2 id="admin-h">我管理的单位</h2>'
        f'<ul class="chips">{admin_orgs}</ul></section>'
        if admin_orgs
        else ""
    )
    body = f"""<h1>{h(staff["name"])}</h1>
<p class="kicker">工号 {h(staff["loginNo"])}{" · 系统管理员" if me["isSystemAdmin"] else ""}</p>
<section aria-labelledby="posts-h"><h2 id="posts-h">我的岗位</h2>
<ul class="results">{posts or "<li>没有在职岗位</li>"}</ul></section>
{admin}"""
    return frame(request, viewer, "我的岗位", body)


async def members(request: Request, viewer: Viewer) -> Response:
    org = (request.query_params.get("org") or "")[:100]
    if not org:
        me = (await fetch(request, "StaffHome", viewer=viewer))["me"]
        admin = [r["org"]["id"] for r in me["effectiveRoles"] if "ADMIN" in r["roles"]]
        own = [m["org"]["id"] for m in me["staff"]["memberships"]]
        org = (admin or own or [""])[0]
    search = (request.query_params.get("q") or "").strip()[:50]
    variables = {"orgId": org, "search": search or None, **paging(request, PAGE_SIZE)}
    data = await fetch(request, "StaffMembers", variables, viewer=viewer)
    found = data["orgMembers"]
    rows = "".join(
        f"""<tr><th scope="row">{h(m["staff"]["name"] if m["staff"] else "—")}</th>
<td>{h(m["org"]["name"])}</td><td>{h(m["position"])} {h(m["rank"])}</td>
<td>{h(m["postTypeLabel"])}</td><td>{_roles(m["roles"])}</td></tr>"""
        for m in (e["node"] for e in found["edges"])
    )
    kept = {"org": org, "q": search or None}
    name = (data["org"] or {}).get("name", "")
    body = f"""<h1>{h(name)} · 人员</h1>
<form class="search" method="get" action="/staff/members" role="search">
<input type="hidden" name="org" value="{h(org)}">
<label for="member-q">按姓名、拼音或工号查找</label>
<div class="search-row"><input id="member-q" name="q" type="search" value="{h(search)}"
 maxlength="50"><button type="submit">查找</button></div></form>
<p class="count" role="status">本单位及下属单位共 {found["totalCount"]} 个在职岗位</p>
<div class="scroll" tabindex="0" role="region" aria-label="人员列表">
<table><thead><tr><th scope="col">姓名</th><th scope="col">单位</th>
<th scope="col">职务职级</th><th scope="col">岗位类型</th><th scope="col">角色</th></tr></thead>
<tbody>{rows}</tbody></table></div>
{pager("/staff/members", kept, found["pageInfo"])}"""
    return frame(request, viewer, f"{name} 人员", body)


def _application(a: dict[str, Any], csrf: str, desks: Desks) -> str:
    decided = ""
    if a["status"] != "PENDING":
        decided = (
            f'<p class="facts">{h(a["statusLabel"])}：{h((a["decidedBy"] or {}).get("name", ""))}'
            f" {h((a['decidedAt'] or '')[:16].replace('T', ' '))} {h(a['decisionNote'])}</p>"
        )
    tokens = f"""<input type="hidden" name="csrf" value="{h(csrf)}">
<input type="hidden" name="application" value="{h(a["id"])}">
<input type="hidden" name="version" value="{a["version"]}">"""
    forms = ""
    if a["viewerMayDecide"]:
        note_id = f"note-{h(a['id'])}"
        forms += f"""<form method="post" action="/staff/transfers/decide" class="decide">
{tokens}
<label for="{note_id}">审批意见（驳回时必填）</label>
<input id="{note_id}" name="note" type="text" maxlength="200">
<p><button type="submit" name="decision" value="approve">批准调入</button>
<button type="submit" name="decision" value="reject" class="secondary">驳回</button></p>
</form>"""
    if a["viewerMayWithdraw"]:
        forms += f"""<form method="post" action="/staff/transfers/withdraw" class="decide">
{tokens}
<p><button type="submit" class="secondary">撤回申请</button></p></form>"""
    position = " ".join(p for p in (a["position"], a["rank"]) if p) or "保留原职务职级"
    applied_by = (a["appliedBy"] or {}).get("name", "—")
    trail = (
        f'<p><a href="{href("/staff/audit", target=a["id"])}">审计记录</a></p>'
        if desks.admin
        else ""
    )
    return f"""<li><strong>{h(a["staffName"])}</strong>：{h(a["fromOrg"]["name"])} →
{h(a["toOrg"]["name"])}
<p class="facts">{h(a["statusLabel"])} · {h(position)} · 申请人 {h(applied_by)}
· {h(a["createdAt"][:10])}</p>
<p>理由：{h(a["reason"])}</p>{decided}{forms}{trail}</li>"""


async def transfers(request: Request, viewer: Viewer) -> Response:
    status = request.query_params.get("status", "PENDING")
    status = status if status in STATUS_WORDS else "PENDING"
    variables = {
        "status": status,
        "first": PAGE_SIZE,
        "after": (request.query_params.get("after") or "")[:200] or None,
    }
    found = (await fetch(request, "TransferApplications", variables, viewer=viewer))[
        "transferApplications"
    ]
    csrf = csrf_token(request, viewer)
    current = ' aria-current="true"'
    tabs = "".join(
        f'<li><a href="{href("/staff/transfers", status=key)}"{current if key == status else ""}>'
        f"{label}</a></li>"
        for key, label in STATUS_WORDS.items()
    )
    desks = Desks.of(viewer)
    items = "".join(_application(e["node"], csrf, desks) for e in found["edges"])
    more = pager("/staff/transfers", {"status": status}, found["pageInfo"])
    body = f"""<h1>调动申请</h1>
<nav aria-label="申请状态"><ul class="chips">{tabs}</ul></nav>
<p class="count" role="status">{STATUS_WORDS[status]} {found["totalCount"]} 件</p>
<ul class="results">{items or "<li>没有申请</li>"}</ul>{more}"""
    return frame(request, viewer, "调动申请", body)


async def decide(request: Request, viewer: Viewer) -> Response:
    form = await posted_form(request, viewer)
    version = form_version(form)
    if form.get("decision") not in ("approve", "reject") or version is None:
        return problem_page(request, 400, "提交有误", "请选择批准或驳回。", "BAD_USER_INPUT")
    application = form.get("application", "")[:100]
    variables = {
        "input": {
            "applicationId": application,
            "expectedVersion": version,
            "approve": form["decision"] == "approve",
            "note": form.get("note", "")[:200] or None,
        }
    }
    await fetch(request, "DecideTransfer", variables, viewer=viewer)
    return RedirectResponse(f"/staff/audit?target={application}", status_code=303)


async def withdraw(request: Request, viewer: Viewer) -> Response:
    form = await posted_form(request, viewer)
    version = form_version(form)
    if version is None:
        return problem_page(request, 400, "提交有误", "表单不完整。", "BAD_USER_INPUT")
    variables = {
        "input": {
            "applicationId": form.get("application", "")[:100],
            "expectedVersion": version,
        }
    }
    await fetch(request, "WithdrawTransfer", variables, viewer=viewer)
    return RedirectResponse(url("/staff/transfers", status="WITHDRAWN"), status_code=303)


ACTION_WORDS = {
    "transfer_application.apply": "提出调动申请",
    "transfer_application.approve": "批准调动申请",
    "transfer_application.reject": "驳回调动申请",
    "transfer_application.withdraw": "撤回调动申请",
    "staff.transfer": "调动",
    "membership.add": "新增岗位",
    "membership.update": "修改岗位",
    "membership.end": "结束岗位",
    "staff.create": "新建人员",
    "staff.suspend": "停用人员",
    "staff.reinstate": "恢复人员",
}


async def audit(request: Request, viewer: Viewer) -> Response:
    target = (request.query_params.get("target") or "")[:100] or None
    variables = {
        "target": target,
        "first": PAGE_SIZE,
        "after": (request.query_params.get("after") or "")[:200] or None,
    }
    found = (await fetch(request, "AuditTrail", variables, viewer=viewer))["auditEvents"]
    rows = "".join(_event(edge["node"]) for edge in found["edges"])
    more = pager("/staff/audit", {"target": target}, found["pageInfo"])
    scope = "这件申请的" if target else ""
    body = f"""<h1>{scope}审计记录</h1>
<p class="count" role="status">共 {found["totalCount"]} 条</p>
<ul class="results">{rows or "<li>没有记录</li>"}</ul>{more}"""
    return frame(request, viewer, "审计记录", body)


def _event(e: dict[str, Any]) -> str:
    org = f" · {h(e['org']['name'])}" if e["org"] else ""
    reason = f"<p>{h(e['reason'])}</p>" if e["reason"] else ""
    return f"""<li><strong>{h(ACTION_WORDS.get(e["action"], e["action"]))}</strong>
<p class="facts">{h(e["at"][:19].replace("T", " "))} · {h(e["actorName"] or "系统")}{org}
· <code>{h(e["action"])}</code></p>{reason}
<details><summary>变更内容</summary><pre>{h(_json(e["before"]))}
→ {h(_json(e["after"]))}</pre></details></li>"""


def _json(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, indent=1)
