"""A service's guide (办事指南) and its printable materials checklist. Both are whole without
JavaScript: a guide opened from a shared link shows everything at once."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hub.web.citizen import visits_text
from hub.web.layout import h, href, page
from hub.web.queries import fetch

_NUMBERED = re.compile(r"(?:^|[；;。]\s*)\d{1,2}\s*[.、．]\s*")
MEDIUM = {"PAPER": "纸质", "ELECTRONIC": "电子", "BOTH": "纸质或电子"}
NECESSITY_CLASS = {"REQUIRED": "required", "DEFERRABLE": "deferrable", "OPTIONAL": "optional"}


def numbered(text: str) -> str:
    """“1. …；2. …” as a list; other text as a paragraph."""
    parts = [p.strip(" ；;。") for p in _NUMBERED.split(text) if p.strip(" ；;。")]
    if len(parts) < 2:
        return f"<p>{h(text)}</p>"
    return "<ol>" + "".join(f"<li>{h(p)}。</li>" for p in parts) + "</ol>"


def _limit(limit: dict[str, Any]) -> str:
    return "当场办结" if limit["value"] == 0 else h(limit["text"])


def counts(requirement: dict[str, Any]) -> str:
    parts = []
    if requirement["originalCount"]:
        parts.append(f"原件 {requirement['originalCount']} 份")
    if requirement["copyCount"]:
        parts.append(f"复印件 {requirement['copyCount']} 份")
    parts.append(MEDIUM.get(requirement["medium"], ""))
    return " · ".join(p for p in parts if p)


def exemption(requirement: dict[str, Any]) -> str:
    """Whether the applicant may skip the material (免提交), said with what backs it; or, when
    the catalogue allows it but the implementing org cannot look the data up yet, that too."""
    if requirement["exemption"] == "NONE":
        return ""
    material = requirement["material"]
    if not requirement["exempt"]:
        missing = requirement["exemptionMissing"]
        lacking = f"“{h(missing['name'])}”的共享授权" if missing else "所需数据"
        return (
            f'<p class="note"><strong>暂不能免提交</strong>：办理部门尚未获得{lacking}，'
            "请带上本材料。</p>"
        )
    backed = requirement["exemptionBackedBy"]
    source = f"（{h(backed['provider']['name'])}提供的“{h(backed['name'])}”）" if backed else ""
    if requirement["exemption"] == "ELICENSE":
        licence = material["elicenseName"] or material["name"]
        why = f"办理部门可调取{h(licence)}电子证照{source}"
    else:
        why = f"办理部门可通过共享数据核验{source}"
    return f'<p class="exempt"><strong>免提交</strong>：{why}。</p>'


def _forms(requirement: dict[str, Any]) -> str:
    links = []
    if requirement["blankForm"]:
        form = requirement["blankForm"]
        links.append(
            f'<a href="{h(form["url"])}">空白表格《{h(requirement["material"]["name"])}》</a>'
        )
    if requirement["sampleForm"]:
        links.append(f'<a href="{h(requirement["sampleForm"]["url"])}">填写样表</a>')
    return f'<p class="forms">{" ".join(links)}</p>' if links else ""


def _material(index: int, requirement: dict[str, Any]) -> str:
    kind = NECESSITY_CLASS.get(requirement["necessity"], "required")
    notes = []
    if requirement["note"]:
        notes.append(f'<p class="note">{h(requirement["note"])}</p>')
    if requirement["fillNotes"]:
        notes.append(f'<p class="note">填写要求：{h(requirement["fillNotes"])}</p>')
    return f"""<li class="material {kind}">
<input type="checkbox" id="m{index}">
<label for="m{index}">{h(requirement["material"]["name"])}
<span class="tag {kind}">{h(requirement["necessityLabel"])}</span></label>
<p class="counts">{counts(requirement)} · 来源：{h(requirement["sourceChannelLabel"])}</p>
{exemption(requirement)}{"".join(notes)}{_forms(requirement)}
</li>"""


def _fees(service: dict[str, Any]) -> str:
    if service["isFree"] or not service["fees"]:
        return "<p>不收费</p>"
    return (
        "<ul>"
        + "".join(
            f"<li>{h(f['name'])}：{f['amount']:g} {h(f['unit'])}（{h(f['basis'])}）</li>"
            for f in service["fees"]
        )
        + "</ul>"
    )


def _links(title: str, items: list[dict[str, Any]], make: Any) -> str:
    if not items:
        return ""
    entries = "".join(f'<li><a href="{make(i)}">{h(i["name"])}</a></li>' for i in items)
    return f"<h3>{h(title)}</h3><ul>{entries}</ul>"


async def _service(request: Request) -> dict[str, Any]:
    code = request.path_params["code"][:64]
    data = await fetch(request, "ServiceGuide", {"code": code})
    service: dict[str, Any] = data["service"]
    return service


async def guide(request: Request) -> Response:
    s = await _service(request)
    materials = "".join(_material(i, r) for i, r in enumerate(s["materials"], start=1))
    steps = "".join(
        f"<li><strong>{h(step['title'])}</strong>：{h(step['description'])}</li>"
        for step in s["steps"]
    )
    online = (
        f'<p><a class="button" href="{h(s["onlineUrl"])}" rel="noopener">在线办理</a></p>'
        if s["onlineUrl"]
        else ""
    )
    related = (
        _links("所属一件事", s["bundles"], lambda b: f"/bundles/{h(b['code'])}")
        + _links("相关事项", s["relatedItems"], lambda r: f"/services/{h(r['code'])}")
        + _links("人生大事", s["lifeEvents"], lambda e: href("/browse", event=e["id"]))
        + _links("主题", s["themes"], lambda t: href("/browse", theme=t["id"]))
    )
    body = f"""<p class="kicker">{h(s["org"]["name"])} · {h(s["itemTypeLabel"])}</p>
<h1>{h(s["name"])}</h1>
<dl class="facts">
<div><dt>办理对象</dt><dd>{h(s["audienceLabel"])}</dd></div>
<div><dt>承诺时限</dt><dd>{_limit(s["promisedTimeLimit"])}</dd></div>
<div><dt>法定时限</dt><dd>{_limit(s["legalTimeLimit"])}</dd></div>
<div><dt>跑动次数</dt><dd>{visits_text(s["visits"])}</dd></div>
<div><dt>网办深度</dt><dd>{h(s["onlineDepthLabel"])}</dd></div>
<div><dt>收费</dt><dd>{"不收费" if s["isFree"] else "收费"}</dd></div>
</dl>
{online}
<nav class="toc" aria-label="本页目录"><a href="#conditions">受理条件</a>
<a href="#materials">申请材料</a> <a href="#steps">办理流程</a>
<a href="#where">地点和时间</a></nav>
<section aria-labelledby="about"><h2 id="about">事项说明</h2><p>{h(s["description"])}</p></section>
<section aria-labelledby="conditions"><h2 id="conditions">受理条件</h2>
{numbered(s["conditions"])}</section>
<section aria-labelledby="materials"><h2 id="materials">申请材料</h2>
<p class="hint">共 {len(s["materials"])} 项；勾选已备好的材料（只保存在本页）。</p>
<ul class="checklist">{materials}</ul>
<p><a class="button secondary" href="/services/{h(s["code"])}/checklist">打印材料清单</a></p>
</section>
<section aria-labelledby="steps"><h2 id="steps">办理流程</h2>
<ol class="steps">{steps}</ol></section>
<section aria-labelledby="fees"><h2 id="fees">收费标准</h2>{_fees(s)}</section>
<section aria-labelledby="basis"><h2 id="basis">设定依据</h2><p>{h(s["legalBasis"])}</p></section>
<section aria-labelledby="where"><h2 id="where">办理地点和时间</h2>
<dl class="where">
<dt>办理地点</dt><dd>{h(s["address"])}</dd>
<dt>办理时间</dt><dd>{h(s["hours"])}</dd>
<dt>咨询电话</dt><dd><a href="tel:{h(s["phone"])}">{h(s["phone"])}</a></dd>
</dl></section>
<section aria-labelledby="more"><h2 id="more">相关服务</h2>{related or "<p>暂无</p>"}</section>
<p class="fine">更新于 {h(s["updatedAt"][:10])} · 事项编码 {h(s["code"])}</p>"""
    return page(request, title=s["name"], body=body)


async def checklist(request: Request) -> Response:
    """The materials as one printable list, with where and when to go."""
    s = await _service(request)
    rows = "".join(
        f"""<tr><td class="box" aria-hidden="true">☐</td>
<th scope="row">{h(r["material"]["name"])}</th><td>{h(r["necessityLabel"])}</td>
<td>{counts(r)}{"<br>免提交" if r["exempt"] else ""}</td></tr>"""
        for r in s["materials"]
    )
    body = f"""<h1>{h(s["name"])} · 材料清单</h1>
<p>{h(s["org"]["name"])}　承诺时限：{_limit(s["promisedTimeLimit"])}</p>
<table class="print-list">
<caption class="visually-hidden">申请材料</caption>
<thead><tr><td></td><th scope="col">材料</th><th scope="col">要求</th>
<th scope="col">份数</th></tr></thead>
<tbody>{rows}</tbody>
</table>
<p>办理地点：{h(s["address"])}<br>办理时间：{h(s["hours"])}<br>咨询电话：{h(s["phone"])}</p>
<p class="no-print"><button type="button" data-print>打印</button>
<a href="/services/{h(s["code"])}">返回办事指南</a></p>"""
    return page(request, title=f"{s['name']} 材料清单", body=body)
