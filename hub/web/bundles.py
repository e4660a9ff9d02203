"""A 一件事 bundle: its items in order and one merged, de-duplicated materials list (the point
of a bundle is to hand each paper in once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hub.web.citizen import promise, visits_text
from hub.web.layout import h, href, page
from hub.web.queries import fetch

_RANK = {"REQUIRED": 0, "DEFERRABLE": 1, "OPTIONAL": 2}
_LABEL = {"REQUIRED": "必要", "DEFERRABLE": "容缺", "OPTIONAL": "视情况提供"}


@dataclass
class Merged:
    """One material as the bundle needs it: once, in the largest count any item asks for,
    as necessary as its most demanding item, exempt only when every item that needs it
    exempts it."""

    code: str
    name: str
    necessity: str
    original: int
    copies: int
    exempt: bool
    form_url: str | None
    items: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def merge(items: list[dict[str, Any]]) -> list[Merged]:
    merged: dict[str, Merged] = {}
    for item in items:
        for r in item["materials"]:
            code = r["material"]["code"]
            form = r["blankForm"]["url"] if r["blankForm"] else None
            entry = merged.get(code)
            if entry is None:
                entry = merged[code] = Merged(
                    code,
                    r["material"]["name"],
                    r["necessity"],
                    r["originalCount"],
                    r["copyCount"],
                    r["exempt"],
                    form,
                )
            else:
                if _RANK[r["necessity"]] < _RANK[entry.necessity]:
                    entry.necessity = r["necessity"]
                entry.original = max(entry.original, r["originalCount"])
                entry.copies = max(entry.copies, r["copyCount"])
                entry.exempt = entry.exempt and r["exempt"]
                entry.form_url = entry.form_url or form
            if item["name"] not in entry.items:
                entry.items.append(item["name"])
            if r["note"] and r["note"] not in entry.notes:
                entry.notes.append(r["note"])
    return sorted(merged.values(), key=lambda m: (_RANK[m.necessity], m.exempt))


def _merged_item(index: int, m: Merged) -> str:
    counts = []
    if m.original:
        counts.append(f"原件 {m.original} 份")
    if m.copies:
        counts.append(f"复印件 {m.copies} 份")
    used = "、".join(m.items)
    extra = (
        '<p class="exempt"><strong>免提交</strong>：可由共享数据或电子证照核验。</p>'
        if m.exempt
        else ""
    )
    form = f'<p class="forms"><a href="{h(m.form_url)}">空白表格</a></p>' if m.form_url else ""
    notes = "".join(f'<p class="note">{h(n)}</p>' for n in m.notes[:2])
    kind = m.necessity.lower()
    return f"""<li class="material {kind}">
<input type="checkbox" id="b{index}">
<label for="b{index}">{h(m.name)} <span class="tag {kind}">{_LABEL[m.necessity]}</span></label>
<p class="counts">{" · ".join(counts)} · 用于：{h(used)}</p>
{extra}{notes}{form}
</li>"""


async def bundle_page(request: Request) -> Response:
    code = request.path_params["code"][:64]
    bundle = (await fetch(request, "BundlePage", {"code": code}))["bundle"]
    items = bundle["items"]
    merged = merge(items)
    before = sum(len(i["materials"]) for i in items)
    steps = "".join(
        f"""<li><a href="/services/{h(i["code"])}">{h(i["name"])}</a>
<p class="facts">{h(i["org"]["name"])} · {visits_text(i["visits"])} ·
{promise(i["promisedTimeLimit"])}</p></li>"""
        for i in items
    )
    materials = "".join(_merged_item(n, m) for n, m in enumerate(merged, start=1))
    event = bundle["lifeEvent"]
    event_link = (
        f'<p>属于人生大事：<a href="{href("/browse", event=event["id"])}">'
        f"{h(event['name'])}</a></p>"
        if event
        else ""
    )
    body = f"""<p class="kicker">一件事一次办 · 牵头部门：{h(bundle["leadOrg"]["name"])}</p>
<h1>{h(bundle["name"])}</h1>
<p class="lead">{h(bundle["description"])}</p>
{event_link}
<section aria-labelledby="items"><h2 id="items">包含 {len(items)} 个事项，按顺序办理</h2>
<ol class="results">{steps}</ol></section>
<section aria-labelledby="materials"><h2 id="materials">合并后的材料清单</h2>
<p class="hint">分开办需要提交 {before} 份材料，一次办只需准备 {len(merged)} 种，
同一材料只交一次。</p>
<ul class="checklist">{materials}</ul></section>"""
    return page(request, title=bundle["name"], body=body)
