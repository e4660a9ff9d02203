"""The citizen's way in: the home page, search results, and the services of a theme or a life
event."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hub.web.layout import h, href, page, pager, paging
from hub.web.queries import HASHES, fetch

PAGE_SIZE = 10
MAX_QUERY_CHARS = 100
VISITS_LABELS = {0: "零跑动", 1: "最多跑一次", 2: "最多跑两次"}
DEPTH_LABELS = {4: "全程网办", 3: "网上受理及以上", 2: "在线预审及以上", 1: "信息公开及以上"}
AUDIENCE_WORDS = {"PERSON": "个人", "LEGAL_ENTITY": "法人", "BOTH": "个人和法人"}


def _small_int(value: str | None, top: int) -> int | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 2:
        return None
    return int(value) if int(value) <= top else None


def promise(limit: dict[str, Any]) -> str:
    """The promised time limit in words; none at all means it is done on the spot."""
    return "当场办结" if limit["value"] == 0 else f"承诺{h(limit['text'])}办结"


def visits_text(visits: int) -> str:
    return VISITS_LABELS.get(visits, f"跑动{visits}次")


def result_item(node: dict[str, Any], name_html: str | None = None) -> str:
    name = name_html if name_html is not None else h(node["name"])
    facts = [
        h(node["org"]["name"]),
        visits_text(node["visits"]),
        h(node["onlineDepthLabel"]),
        promise(node["promisedTimeLimit"]),
    ]
    if node["isFree"]:
        facts.append("不收费")
    return (
        f'<li><a class="item" href="/services/{h(node["code"])}">{name}</a>'
        f'<p class="facts">{" · ".join(facts)}</p></li>'
    )


async def home(request: Request) -> Response:
    data = await fetch(request, "HomePage")
    hot = "".join(
        f'<li><a href="{href("/search", q=s["query"])}">{h(s["query"])}</a></li>'
        for s in data["hotSearches"]
    )
    hot_section = (
        f'<section aria-labelledby="hot-h"><h2 id="hot-h">热门搜索</h2>'
        f'<ul class="chips">{hot}</ul></section>'
        if hot
        else ""
    )

    def themes(key: str) -> str:
        return "".join(
            f'<li><a href="{href("/browse", theme=t["id"])}">{h(t["name"])}</a></li>'
            for t in data[key]
        )

    events = "".join(
        f'<li><a href="{href("/browse", event=e["id"])}">{h(e["name"])}</a></li>'
        for e in data["lifeEvents"]
    )
    bundles = "".join(
        f'<li><a href="/bundles/{h(b["code"])}">{h(b["name"])}</a><p>{h(b["description"])}</p></li>'
        for b in data["bundles"]
    )
    body = f"""<h1 class="visually-hidden">{h("办事服务")}</h1>
<form class="search" role="search" action="/search" method="get"
 data-suggest="{HASHES["Suggest"]}">
<label for="q">搜索办事服务</label>
<div class="search-row">
<input id="q" name="q" type="search" autocomplete="off" placeholder="如：生育、社保卡、营业执照"
 enterkeyhint="search" maxlength="{MAX_QUERY_CHARS}" aria-describedby="q-hint"
 aria-controls="suggestions">
<button type="submit">搜索</button>
</div>
<p id="q-hint" class="hint">可输入汉字、拼音或首字母，如 shebaoka、sbk；按↓键选择建议</p>
<ul id="suggestions" class="suggestions" aria-label="搜索建议" hidden></ul>
<p id="suggest-status" class="visually-hidden" role="status" aria-live="polite"></p>
</form>
{hot_section}
<section aria-labelledby="events-h"><h2 id="events-h">人生大事</h2>
<ul class="tiles">{events}</ul></section>
<section aria-labelledby="bundles-h"><h2 id="bundles-h">一件事一次办</h2>
<ul class="cards">{bundles}</ul></section>
<section aria-labelledby="person-h"><h2 id="person-h">个人办事</h2>
<ul class="tiles">{themes("personThemes")}</ul></section>
<section aria-labelledby="entity-h"><h2 id="entity-h">法人办事</h2>
<ul class="tiles">{themes("entityThemes")}</ul></section>"""
    return page(request, title="首页", body=body)


def _filter(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The search filter from the address, and the parameters that carry it on."""
    params = request.query_params
    kept: dict[str, Any] = {}
    chosen: dict[str, Any] = {}
    if theme := params.get("theme"):
        kept["theme"] = theme[:100]
        chosen["themes"] = [kept["theme"]]
    if org := params.get("org"):
        kept["org"] = org[:100]
        chosen["org"] = kept["org"]
    if (visits := _small_int(params.get("visits"), 9)) is not None:
        kept["visits"] = visits
        chosen["maxVisits"] = visits
    if (depth := _small_int(params.get("depth"), 4)) is not None:
        kept["depth"] = depth
        chosen["onlineDepthMin"] = depth
    return chosen, kept


def _facet_group(title: str, options: list[tuple[str, str, int, bool]]) -> str:
    """One filter group: (label, address, count, chosen) per option."""
    if not options:
        return ""
    current = ' aria-current="true"'
    items = "".join(
        f'<li><a href="{url}"{current if on else ""}>{h(label)}'
        f' <span class="count">{count}</span></a></li>'
        for label, url, count, on in options
    )
    return f'<div class="facet"><h3>{h(title)}</h3><ul>{items}</ul></div>'


def _facets(query: str, kept: dict[str, Any], facets: dict[str, Any]) -> str:
    def link(**change: Any) -> str:
        params = {**kept, **change}
        return href("/search", q=query, **params)

    names: dict[str, int] = {}
    for f in facets["themes"]:
        names[f["theme"]["name"]] = names.get(f["theme"]["name"], 0) + 1
    themes = [
        (
            f["theme"]["name"]
            + (
                f"（{AUDIENCE_WORDS[f['theme']['audience']]}）"
                if names[f["theme"]["name"]] > 1
                else ""
            ),
            link(theme=None if kept.get("theme") == f["theme"]["id"] else f["theme"]["id"]),
            f["count"],
            kept.get("theme") == f["theme"]["id"],
        )
        for f in facets["themes"]
    ]
    orgs = [
        (
            f["org"]["name"],
            link(org=None if kept.get("org") == f["org"]["id"] else f["org"]["id"]),
            f["count"],
            kept.get("org") == f["org"]["id"],
        )
        for f in facets["orgs"]
    ]
    visits = []
    total = 0
    for f in sorted(facets["visits"], key=lambda f: f["value"]):
        total += f["count"]
        if f["value"] in VISITS_LABELS:
            on = kept.get("visits") == f["value"]
            visits.append(
                (VISITS_LABELS[f["value"]], link(visits=None if on else f["value"]), total, on)
            )
    depths = []
    total = 0
    for f in sorted(facets["onlineDepths"], key=lambda f: -f["value"]):
        total += f["count"]
        if f["value"] in DEPTH_LABELS:
            on = kept.get("depth") == f["value"]
            depths.append(
                (DEPTH_LABELS[f["value"]], link(depth=None if on else f["value"]), total, on)
            )
    groups = (
        _facet_group("跑动次数", visits)
        + _facet_group("网办深度", depths)
        + _facet_group("主题", themes)
        + _facet_group("部门", orgs)
    )
    return (
        f'<details class="filters"{" open" if kept else ""}><summary>筛选</summary>'
        f"{groups}</details>"
    )


def _bundle_card(bundle: dict[str, Any]) -> str:
    items = "".join(
        f'<li><a href="/services/{h(i["code"])}">{h(i["name"])}</a></li>' for i in bundle["items"]
    )
    return f"""<aside class="bundle-card" aria-labelledby="bundle-{h(bundle["code"])}">
<p class="kicker">一件事一次办</p>
<h2 id="bundle-{h(bundle["code"])}">
<a href="/bundles/{h(bundle["code"])}">{h(bundle["name"])}</a></h2>
<p>{h(bundle["description"])}</p>
<ol>{items}</ol>
<p><a class="button" href="/bundles/{h(bundle["code"])}">查看合并后的材料清单</a></p>
</aside>"""


def _empty(query: str) -> str:
    return f"""<div class="empty">
<p class="lead">没有找到与“{h(query)}”相关的事项。</p>
<ul>
<li>换个说法试试，例如“社保卡补办”写成“社保卡丢了”；</li>
<li>少输几个字，或只输入关键词，例如“生育”；</li>
<li>可以用拼音或首字母，例如 shengyu、sy；</li>
<li>也可以 <a href="/#person-h">按主题查找</a>，或拨打 12345 咨询。</li>
</ul>
</div>"""


async def search(request: Request) -> Response:
    query = (request.query_params.get("q") or "").strip()[:MAX_QUERY_CHARS]
    if not query:
        body = """<h1>搜索办事服务</h1>
<p class="lead">请输入要办的事，例如“生育”“社保卡”“营业执照”。</p>"""
        return page(request, title="搜索", body=body)
    chosen, kept = _filter(request)
    variables = {"query": query, "filter": chosen or None, **paging(request, PAGE_SIZE)}
    found = (await fetch(request, "SearchPage", variables))["searchServices"]
    cards = "".join(_bundle_card(b) for b in found["bundles"][:1])
    items = "".join(result_item(e["node"], e["nameHighlighted"]) for e in found["edges"])
    count = found["totalCount"]
    results = (
        f'<ol class="results">{items}</ol>'
        + pager("/search", {"q": query, **kept}, found["pageInfo"])
        if items
        else _empty(query)
    )
    body = f"""<h1>“{h(query)}”的搜索结果</h1>
<p class="count" role="status">共找到 {count} 个事项</p>
{cards}
{_facets(query, kept, found["facets"]) if count or kept else ""}
{results}"""
    return page(request, title=f"{query} - 搜索", body=body, search_value=query)


async def browse(request: Request) -> Response:
    params = request.query_params
    theme = (params.get("theme") or "")[:100]
    event = (params.get("event") or "")[:100]
    if not theme and not event:
        return await home(request)
    focus = theme or event
    kept = {"theme": theme} if theme else {"event": event}
    chosen = {"themes": [theme]} if theme else {"lifeEvent": event}
    variables = {"focus": focus, "filter": chosen, **paging(request, PAGE_SIZE)}
    data = await fetch(request, "BrowsePage", variables)
    about = data["focus"] or {"name": "", "__typename": ""}
    services = data["services"]
    items = "".join(result_item(e["node"]) for e in services["edges"])
    intro = ""
    if about["__typename"] == "LifeEvent":
        bundles = "".join(
            f'<li><a href="/bundles/{h(b["code"])}">{h(b["name"])}</a></li>'
            for b in about["bundles"]
        )
        intro = f'<p class="lead">{h(about["description"])}</p>'
        if bundles:
            intro += (
                '<div class="bundle-card"><p class="kicker">一件事一次办</p>'
                f"<ul>{bundles}</ul></div>"
            )
    elif about["__typename"] == "Theme":
        intro = f'<p class="lead">{AUDIENCE_WORDS[about["audience"]]}办事</p>'
    body = f"""<h1>{h(about["name"])}</h1>
{intro}
<p class="count">共 {services["totalCount"]} 个事项</p>
<ol class="results">{items}</ol>
{pager("/browse", kept, services["pageInfo"])}"""
    return page(request, title=about["name"] or "办事服务", body=body)
