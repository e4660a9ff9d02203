"""Two desks of the workbench: data sharing (the org's demand list, requests to submit and,
for a provider's reviewers and administrators, to review; grants both ways; calls made and
calls on the data it provides) and search terms (what citizens searched and did not find, and,
for catalogue staff, the synonym table's editor with a preview before saving)."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.auth.viewer import Viewer
from hub.web.layout import h, href, url
from hub.web.queries import PageProblem, fetch
from hub.web.staff_auth import csrf_token
from hub.web.workbench import Desks, form_version, frame, posted_form

MODES = {"QUERY": "查询", "VERIFY": "核验"}
REQUEST_WORDS = {
    "SUBMITTED": "待审核",
    "APPROVED": "已批准",
    "REJECTED": "已驳回",
    "WITHDRAWN": "已撤回",
}
OUTCOMES = {
    "ANSWERED": "已答复", "NO_GRANT": "无授权", "FIELD_NOT_GRANTED": "字段未授权",
    "MODE_NOT_GRANTED": "方式未授权", "QUOTA_EXCEEDED": "超出配额", "NOT_SERVED": "未接入",
    "BAD_INPUT": "输入有误",
}  # fmt: skip
_SPLIT = re.compile(r"[\s,，、;；]+")


def _hidden(csrf: str, **values: object) -> str:
    fields = {"csrf": csrf, **values}
    return "".join(f'<input type="hidden" name="{h(k)}" value="{h(v)}">' for k, v in fields.items())


def _section(key: str, title: str, items: str, empty: str) -> str:
    return (
        f'<section aria-labelledby="{key}"><h2 id="{key}">{h(title)}</h2>'
        f'<ul class="results">{items or f"<li>{h(empty)}</li>"}</ul></section>'
    )


def _demand(entry: dict[str, Any], csrf: str) -> str:
    d = entry["dataset"]
    fields = "、".join(entry["fieldNames"])
    purpose = f"purpose-{h(d['code'])}"
    return f"""<li><strong>{h(d["name"])}</strong>
<p class="facts">{h(d["provider"]["name"])} · 字段：{h(fields)}</p>
<form method="post" action="/staff/sharing/request">
{_hidden(csrf, dataset=d["id"], fields=json.dumps(entry["fieldNames"], ensure_ascii=False))}
<label for="{purpose}">用途（必填，说明用于哪项业务）</label>
<input id="{purpose}" name="purpose" type="text" maxlength="200" required>
{_basis(d)}
<label for="mode-{h(d["code"])}">使用方式</label>
<select id="mode-{h(d["code"])}" name="mode"><option value="VERIFY">核验（只回答是否一致）</option>
<option value="QUERY">查询</option></select>
<p><button type="submit">提交申请</button></p></form></li>"""


def _basis(dataset: dict[str, Any]) -> str:
    """A conditionally shared dataset needs the legal basis of the request (法定依据)."""
    if dataset["shareType"] != "CONDITIONAL":
        return ""
    basis = f"basis-{h(dataset['code'])}"
    return (
        f'<label for="{basis}">法定依据（有条件共享的数据必填）</label>'
        f'<input id="{basis}" name="basis" type="text" maxlength="200" required>'
    )


def _request(r: dict[str, Any], csrf: str, *, review: bool) -> str:
    due = f" · 应于 {h(r['dueOn'])} 前答复" if r["dueOn"] else ""
    overdue = ' <span class="tag required">已超期</span>' if r["overdue"] else ""
    form = ""
    if review:
        reason = f"reason-{h(r['id'])}"
        form = f"""<form method="post" action="/staff/sharing/review">
{_hidden(csrf, request=r["id"], version=r["version"])}
<label for="{reason}">意见（驳回时必填）</label>
<input id="{reason}" name="reason" type="text" maxlength="200">
<p><button type="submit" name="decision" value="APPROVE">批准</button>
<button type="submit" name="decision" value="REJECT" class="secondary">驳回</button></p></form>"""
    return f"""<li><strong>{h(r["dataset"]["name"])}</strong>{overdue}
<p class="facts">{h(r["requesterOrg"]["name"])} → {h(r["dataset"]["provider"]["name"])} ·
{REQUEST_WORDS.get(r["status"], r["status"])} · {MODES[r["accessMode"]]}{due}</p>
<p>字段：{h("、".join(r["fieldNames"]))}；用途：{h(r["purpose"])}</p>{form}</li>"""


def _grant(g: dict[str, Any]) -> str:
    until = h(g["endsOn"]) if g["endsOn"] else "长期"
    quota = f" · 每日 {g['dailyQuota']} 次" if g["dailyQuota"] else ""
    return f"""<li><strong>{h(g["dataset"]["name"])}</strong>
<p class="facts">{h(g["dataset"]["provider"]["name"])} → {h(g["granteeOrg"]["name"])} ·
{MODES[g["accessMode"]]} · {h(g["startsOn"])} 至 {until}{quota}</p>
<p>字段：{h("、".join(g["fieldNames"]))}</p></li>"""


def _calls(calls: list[dict[str, Any]]) -> str:
    return "".join(
        f"<li>{h(c['at'][:19].replace('T', ' '))} · {h(c['dataset']['name'])} · "
        f"{MODES[c['mode']]} {c['keys']} 条 · {OUTCOMES.get(c['outcome'], c['outcome'])}</li>"
        for c in calls
    )


async def sharing(request: Request, viewer: Viewer) -> Response:
    """The org's side as a requester for everyone with a post; the provider's side (requests
    to review, grants given, calls on its data) for its reviewers and administrators."""
    provider = Desks.of(viewer).provider
    data = await fetch(request, "StaffSharing", {"provider": provider}, viewer=viewer)
    csrf = csrf_token(request, viewer)
    nodes = {key: [e["node"] for e in data[key]["edges"]] for key in data}
    sections = [
        _section(
            "demand",
            "需求清单",
            "".join(_demand(e, csrf) for e in nodes["demandList"]),
            "需求清单为空：在数据开放目录中找到数据后加入。",
        )
    ]
    if provider:
        review = "".join(_request(r, csrf, review=True) for r in nodes["toReview"])
        sections.append(_section("review", "待我审核的申请", review, "没有待审核的申请"))
    asked = "".join(_request(r, csrf, review=False) for r in nodes["asked"])
    sections.append(_section("asked", "本单位提出的申请", asked, "没有申请"))
    held = "".join(_grant(g) for g in nodes["held"])
    sections.append(_section("held", "本单位获得的授权", held, "没有授权"))
    sections.append(_section("made", "本单位的调用记录", _calls(nodes["made"]), "没有调用"))
    if provider:
        given = "".join(_grant(g) for g in nodes["given"])
        sections.append(_section("given", "本单位给出的授权", given, "没有授权"))
        calls = _calls(nodes["calls"])
        sections.append(_section("calls", "本单位数据被调用的记录", calls, "没有调用"))
    body = """<h1>数据共享</h1>
<p class="lead">可用不可见：按授权查询或核验，不复制数据。</p>
""" + "\n".join(sections)
    return frame(request, viewer, "数据共享", body)


def _field_names(text: str) -> list[str]:
    """The demand list's field names, carried by the form as a JSON list (a name may hold a
    comma); anything else is no names."""
    try:
        names = json.loads(text)
    except ValueError:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return []
    return names[:100]


async def submit_request(request: Request, viewer: Viewer) -> Response:
    form = await posted_form(request, viewer)
    mode = form.get("mode", "")
    fields = _field_names(form.get("fields", ""))
    if mode not in MODES or not fields:
        raise PageProblem(400, "提交有误", "请选择使用方式。", "BAD_USER_INPUT")
    request_input = {
        "datasetId": form.get("dataset", "")[:100],
        "fieldNames": fields,
        "purpose": form.get("purpose", "")[:200],
        "legalBasis": form.get("basis", "")[:200],
        "accessMode": mode,
    }
    await fetch(request, "SubmitRequest", {"input": request_input}, viewer=viewer)
    return RedirectResponse("/staff/sharing#asked", status_code=303)


async def review_request(request: Request, viewer: Viewer) -> Response:
    form = await posted_form(request, viewer)
    version = form_version(form)
    if form.get("decision") not in ("APPROVE", "REJECT") or version is None:
        raise PageProblem(400, "提交有误", "请选择批准或驳回。", "BAD_USER_INPUT")
    review = {
        "requestId": form.get("request", "")[:100],
        "expectedVersion": version,
        "decision": form["decision"],
        "reason": form.get("reason", "")[:200],
    }
    await fetch(request, "ReviewRequest", {"input": review}, viewer=viewer)
    return RedirectResponse("/staff/sharing#review", status_code=303)


def _targets(text: str) -> list[str]:
    return [t for t in _SPLIT.split(text.strip()) if t][:20]


async def search_terms(request: Request, viewer: Viewer) -> Response:
    """What citizens searched and did not find, and the synonym table; catalogue staff also
    get the editor (a preview of what a synonym would change, then save or remove)."""
    editor = Desks.of(viewer).catalogue
    params = request.query_params
    contains = (params.get("contains") or "").strip()[:32] or None
    data = await fetch(request, "StaffSearchTerms", {"contains": contains}, viewer=viewer)
    csrf = csrf_token(request, viewer)
    phrase = (params.get("phrase") or "").strip()[:32] if editor else ""
    targets = (params.get("targets") or "").strip()[:200]
    preview = ""
    if phrase and _targets(targets):
        effects = await fetch(
            request,
            "SynonymPreview",
            {"phrase": phrase, "targets": _targets(targets)},
            viewer=viewer,
        )
        rows = "".join(
            f"<li>“{h(e['query'])}”（搜过 {e['timesSeen']} 次）：现在 {e['totalNow']} 个结果，"
            f"加上同义词后 {e['totalWith']} 个："
            f"{h('、'.join(s['name'] for s in e['services'][:5]))}</li>"
            for e in effects["synonymPreview"]
        )
        preview = _section("preview", "预览效果", rows, "没有受影响的查询")
    misses = "".join(
        (
            f'<li><a href="{href("/staff/search-terms", phrase=z["query"])}">{h(z["query"])}</a>'
            if editor
            else f"<li>{h(z['query'])}"
        )
        + f" · {z['count']} 次 · 最近 {h(z['lastAskedAt'][:10])}</li>"
        for z in data["zeroResultQueries"]
    )
    synonyms = "".join(
        f"""<li><strong>{h(s["phrase"])}</strong> → {h("、".join(s["targets"]))}{
            _remove_form(csrf, s["phrase"]) if editor else ""
        }</li>"""
        for s in data["searchSynonyms"]
    )
    form = f"""<section aria-labelledby="editor"><h2 id="editor">添加同义词</h2>
<form method="get" action="/staff/search-terms">
<label for="phrase">市民的说法</label>
<input id="phrase" name="phrase" type="text" maxlength="32" value="{h(phrase)}" required>
<label for="targets">对应的规范说法（多个用逗号分隔）</label>
<input id="targets" name="targets" type="text" maxlength="200" value="{h(targets)}" required>
<p><button type="submit">预览</button></p></form>
{_save_form(csrf, phrase, targets) if phrase and _targets(targets) else ""}
</section>
{preview}"""
    note = '<p class="lead">同义词表由事项目录管理员维护。</p>'
    body = f"""<h1>搜索词</h1>
{_section("misses", "没有结果的搜索", misses, "最近没有无结果的搜索")}
{form if editor else note}
<form method="get" action="/staff/search-terms" role="search">
<label for="contains">查找同义词</label>
<div class="search-row"><input id="contains" name="contains" type="search" maxlength="32"
 value="{h(contains or "")}"><button type="submit">查找</button></div></form>
{_section("synonyms", "同义词表", synonyms, "没有同义词")}"""
    return frame(request, viewer, "搜索词", body)


def _remove_form(csrf: str, phrase: str) -> str:
    return f"""
<form method="post" action="/staff/search-terms/remove" class="inline">
{_hidden(csrf, phrase=phrase)}
<button type="submit" class="secondary" aria-label="删除同义词 {h(phrase)}">删除</button>
</form>"""


def _save_form(csrf: str, phrase: str, targets: str) -> str:
    return f"""<form method="post" action="/staff/search-terms/put">
{_hidden(csrf, phrase=phrase, targets=targets)}
<p><button type="submit">保存“{h(phrase)}”的同义词</button></p></form>"""


async def put_synonym(request: Request, viewer: Viewer) -> Response:
    form = await posted_form(request, viewer)
    variables = {
        "phrase": form.get("phrase", "")[:32],
        "targets": _targets(form.get("targets", "")),
    }
    await fetch(request, "PutSynonym", variables, viewer=viewer)
    return RedirectResponse(
        url("/staff/search-terms", contains=variables["phrase"]), status_code=303
    )


async def remove_synonym(request: Request, viewer: Viewer) -> Response:
    form = await posted_form(request, viewer)
    await fetch(request, "RemoveSynonym", {"phrase": form.get("phrase", "")[:32]}, viewer=viewer)
    return RedirectResponse("/staff/search-terms", status_code=303)
