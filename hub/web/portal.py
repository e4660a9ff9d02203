"""The open data portal: the city's data resource catalogue by category and provider, each
dataset's fields, and a preview of those open to everyone."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hub.web.citizen import PAGE_SIZE
from hub.web.layout import h, href, page, pager, paging
from hub.web.queries import fetch

CATEGORIES = {
    "POPULATION": "人口",
    "LEGAL_ENTITY": "法人",
    "GEOSPATIAL": "自然资源和空间地理",
    "CREDIT": "社会信用",
    "ELICENSE": "电子证照",
    "THEMATIC": "主题",
    "DEPARTMENTAL": "部门",
}
OPENNESS = {"UNCONDITIONAL": "无条件开放", "CONDITIONAL": "有条件开放", "NONE": "不予开放"}
SHARING = {"UNCONDITIONAL": "无条件共享", "CONDITIONAL": "有条件共享", "NONE": "不予共享"}
CYCLES = {
    "REALTIME": "实时",
    "DAILY": "每日",
    "WEEKLY": "每周",
    "MONTHLY": "每月",
    "QUARTERLY": "每季度",
    "YEARLY": "每年",
    "IRREGULAR": "不定期",
}


async def portal(request: Request) -> Response:
    params = request.query_params
    category = params.get("category")
    category = category if category in CATEGORIES else None
    provider = (params.get("provider") or "")[:100] or None
    chosen: dict[str, Any] = {}
    if category:
        chosen["categories"] = [category]
    if provider:
        chosen["provider"] = provider
    variables = {"filter": chosen or None, **paging(request, PAGE_SIZE)}
    data = await fetch(request, "DataPortal", variables)
    found = data["datasets"]
    current = ' aria-current="true"'
    tabs = "".join(
        f'<li><a href="{href("/data", category=None if key == category else key)}"'
        f"{current if key == category else ''}>{label}</a></li>"
        for key, label in CATEGORIES.items()
    )
    rows = "".join(
        f"""<li><a class="item" href="/data/{h(d["code"])}">{h(d["name"])}</a>
<p class="facts"><a href="{href("/data", provider=d["provider"]["id"])}">
{h(d["provider"]["name"])}</a>
· {h(d["categoryLabel"])} · {OPENNESS[d["openType"]]} · {CYCLES[d["updateCycle"]]}更新</p>
<p>{h(d["summary"][:80])}{"…" if len(d["summary"]) > 80 else ""}</p></li>"""
        for d in (e["node"] for e in found["edges"])
    )
    providers = data["datasetProviders"]
    named = next((p["org"]["name"] for p in providers if p["org"]["id"] == provider), None)
    kept = {"category": category, "provider": provider}
    clear = f' <a href="{href("/data", category=category)}">不限提供部门</a>' if provider else ""
    heading = f"{h(named)}提供的数据" if named else "公共数据开放"
    body = f"""<h1>{heading}</h1>
<p class="lead">本市政务数据资源目录：按类别或提供部门浏览，查看数据项，开放的数据可预览。</p>
<nav aria-label="数据类别"><ul class="chips">{tabs}</ul></nav>
{_providers(providers, provider, category)}
<p class="count" role="status">共 {found["totalCount"]} 个数据资源{clear}</p>
<ul class="results">{rows}</ul>
{pager("/data", kept, found["pageInfo"])}"""
    return page(request, title="数据开放", body=body)


def _providers(providers: list[dict[str, Any]], chosen: str | None, category: str | None) -> str:
    """The providing departments, folded (tens of them): each with its datasets' count."""
    current = ' aria-current="true"'
    items = "".join(
        f'<li><a href="{href("/data", category=category, provider=p["org"]["id"])}"'
        f"{current if p['org']['id'] == chosen else ''}>{h(p['org']['name'])}"
        f"（{p['datasetCount']}）</a></li>"
        for p in providers
    )
    return (
        f'<details class="providers"><summary>按提供部门浏览（{len(providers)} 个部门）</summary>'
        f'<nav aria-label="提供部门"><ul class="chips">{items}</ul></nav></details>'
    )


def _preview(dataset: dict[str, Any]) -> str:
    rows = dataset["sampleRows"]
    if dataset["openType"] != "UNCONDITIONAL" or not rows:
        why = dataset["openCondition"] or "该数据资源不向社会开放，仅在部门间按规定共享。"
        return f"<p>{h(why)}</p>"
    names = [f["name"] for f in dataset["fields"]]
    head = "".join(f'<th scope="col">{h(n)}</th>' for n in names)
    body = "".join(
        "<tr>" + "".join(f"<td>{h(_cell(row.get(n)))}</td>" for n in names) + "</tr>"
        for row in rows[:10]
    )
    return (
        '<div class="scroll" tabindex="0" role="region" aria-label="数据预览">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _length(length: int | None) -> str:
    return f"({length})" if length else ""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


async def dataset_page(request: Request) -> Response:
    code = request.path_params["code"][:64]
    d = (await fetch(request, "DatasetPage", {"code": code}))["dataset"]
    fields = "".join(
        f'<tr><td>{f["position"]}</td><th scope="row">{h(f["name"])}</th>'
        f"<td>{h(f['dataType'])}{_length(f['length'])}</td>"
        f"<td>{h(f['description'])}</td></tr>"
        for f in d["fields"]
    )
    body = f"""<p class="kicker">{h(d["categoryLabel"])} · <a
 href="{href("/data", provider=d["provider"]["id"])}">{h(d["provider"]["name"])}</a></p>
<h1>{h(d["name"])}</h1>
<p class="lead">{h(d["summary"])}</p>
<dl class="facts">
<div><dt>开放</dt><dd>{OPENNESS[d["openType"]]}</dd></div>
<div><dt>共享</dt><dd>{SHARING[d["shareType"]]}</dd></div>
<div><dt>更新</dt><dd>{CYCLES[d["updateCycle"]]}</dd></div>
<div><dt>记录数</dt><dd>{d["recordCount"]:,}</dd></div>
<div><dt>格式</dt><dd>{h("、".join(d["formats"]) or "—")}</dd></div>
<div><dt>更新日期</dt><dd>{h(d["updatedOn"])}</dd></div>
</dl>
<section aria-labelledby="fields"><h2 id="fields">数据项（{len(d["fields"])}）</h2>
<div class="scroll" tabindex="0" role="region" aria-label="数据项">
<table><thead><tr><th scope="col">序号</th><th scope="col">名称</th><th scope="col">类型</th>
<th scope="col">说明</th></tr></thead><tbody>{fields}</tbody></table></div></section>
<section aria-labelledby="preview"><h2 id="preview">数据预览</h2>{_preview(d)}</section>"""
    return page(request, title=d["name"], body=body)
