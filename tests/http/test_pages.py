"""The citizen's pages through the real app: the data comes from the public schema (the pages'
documents are persisted queries a client can use by hash), hostile input is escaped or refused
with a page that names the code and request id, and stored forms open in the browser without
being able to run a script on hub's origin."""

from __future__ import annotations

import gzip
import json
import re

import httpx

from hub.web.bundles import merge
from hub.web.queries import DOCUMENTS, HASHES

HTML = "text/html; charset=utf-8"


async def test_the_home_page_lists_what_a_citizen_starts_from(client: httpx.AsyncClient) -> None:
    answer = await client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == HTML
    page = answer.text
    assert 'type="search"' in page and '<label for="q">搜索办事服务</label>' in page
    for text in ("人生大事", "一件事一次办", "个人办事", "法人办事", "出生", "新生儿出生一件事"):
        assert text in page
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "http://" not in re.sub(r'href="http[^"]*"', "", page.split("<main")[0])


async def test_the_pages_documents_are_persisted_queries(client: httpx.AsyncClient) -> None:
    """A client sends only the hash of the page's Suggest document and gets the suggestions."""
    params = {
        "operationName": "Suggest",
        "variables": json.dumps({"prefix": "zsy"}),
        "extensions": json.dumps(
            {"persistedQuery": {"version": 1, "sha256Hash": HASHES["Suggest"]}}
        ),
    }
    answer = await client.get("/graphql", params=params)
    names = [s["name"] for s in answer.json()["data"]["suggestServices"]]
    assert "再生育申请" in names
    assert set(DOCUMENTS) >= {"HomePage", "SearchPage", "ServiceGuide", "BundlePage"}


async def test_search_results_escape_the_query_and_filter(client: httpx.AsyncClient) -> None:
    hostile = '<script>alert(1)</script>生育"'
    answer = await client.get("/search", params={"q": hostile})
    assert answer.status_code == 200
    assert "<script>alert" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    zero = await client.get("/search", params={"q": "生育", "visits": "0"})
    assert "零跑动" in zero.text and 'aria-current="true"' in zero.text
    # a service that needs a visit is not among the zero-visit results
    assert "生育登记</a>" not in zero.text.split('<ol class="results">')[1]


async def test_bad_input_gets_a_page_with_the_code_and_request_id(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/services/S-NOPE-1")
    assert missing.status_code == 404
    assert "NOT_FOUND" in missing.text
    assert missing.headers["x-request-id"] in missing.text
    bad_theme = await client.get("/search", params={"q": "生育", "theme": "not-an-id"})
    assert bad_theme.status_code == 400 and "BAD_USER_INPUT" in bad_theme.text
    long = await client.get("/search", params={"q": "生" * 1000})
    assert long.status_code == 200  # cut to 100 characters, searched
    shown = re.search("<h1>“(生+)”", long.text)
    assert shown is not None and len(shown.group(1)) == 100
    cursor = await client.get("/search", params={"q": "生育", "after": "x" * 1000})
    assert cursor.status_code == 400


async def test_the_text_size_switch_stays_on_this_site(client: httpx.AsyncClient) -> None:
    large = await client.get("/text-size", params={"size": "large", "back": "/search?q=a"})
    client.cookies.delete("hub_text")  # the client is shared with other tests
    assert large.status_code == 303 and large.headers["location"] == "/search?q=a"
    assert "hub_text=large" in large.headers["set-cookie"]
    for away in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = await client.get("/text-size", params={"size": "large", "back": away})
        assert answer.headers["location"] == "/"
    page = await client.get("/", headers={"Cookie": "hub_text=large"})
    assert '<html lang="zh-CN" class="large">' in page.text
    assert "标准字号" in page.text


async def test_pages_and_assets_are_compressed(client: httpx.AsyncClient) -> None:
    answer = await client.get("/services/S-WJJ-001", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert "再生育申请审批表" in answer.text
    css = re.search(r'href="(/static/hub\.css\?v=\w+)"', answer.text)
    assert css is not None
    raw = await client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert "immutable" in raw.headers["cache-control"]
    assert raw.headers["content-encoding"] == "gzip"
    assert gzip.decompress(gzip.compress(raw.content)).startswith(b"/*")


async def test_a_stored_form_opens_inline_but_cannot_script(client: httpx.AsyncClient) -> None:
    guide = await client.get("/services/S-WJJ-001")
    link = re.search(r'href="http://test(/files/[^"]+)">空白表格', guide.text)
    assert link is not None
    form = await client.get(link.group(1))
    assert form.status_code == 200
    assert form.headers["content-disposition"].startswith("inline")
    csp = form.headers["content-security-policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp


def test_a_bundle_merges_each_material_once() -> None:
    def need(code: str, necessity: str, original: int, copies: int, exempt: bool) -> dict:
        return {
            "material": {"code": code, "name": code},
            "necessity": necessity,
            "originalCount": original,
            "copyCount": copies,
            "exempt": exempt,
            "note": "",
            "blankForm": None,
        }

    merged = merge(
        [
            {
                "name": "甲",
                "materials": [
                    need("ID", "REQUIRED", 1, 0, True),
                    need("F", "OPTIONAL", 1, 0, False),
                ],
            },
            {
                "name": "乙",
                "materials": [
                    need("ID", "OPTIONAL", 1, 2, False),
                    need("F", "DEFERRABLE", 2, 0, False),
                ],
            },
        ]
    )
    by_code = {m.code: m for m in merged}
    assert len(merged) == 2
    assert by_code["ID"].necessity == "REQUIRED" and by_code["ID"].copies == 2
    assert by_code["ID"].exempt is False  # 乙 cannot skip it
    assert by_code["ID"].items == ["甲", "乙"]
    assert by_code["F"].necessity == "DEFERRABLE" and by_code["F"].original == 2


async def test_the_bundle_page_lists_fewer_materials_than_its_items(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/bundles/B-XSECS")
    assert answer.status_code == 200
    counts = re.search(r"分开办需要提交 (\d+) 份材料，一次办只需准备 (\d+) 种", answer.text)
    assert counts is not None and int(counts.group(2)) < int(counts.group(1))
    assert answer.text.count('type="checkbox"') == int(counts.group(2))


async def test_the_data_portal_filters_and_previews(client: httpx.AsyncClient) -> None:
    everything = await client.get("/data")
    population = await client.get("/data", params={"category": "POPULATION"})
    total = int(re.search(r"共 (\d+) 个数据资源", everything.text).group(1))  # type: ignore[union-attr]
    some = int(re.search(r"共 (\d+) 个数据资源", population.text).group(1))  # type: ignore[union-attr]
    assert 0 < some < total
    dataset = await client.get("/data/DS-BD-0001")
    assert "数据项" in dataset.text and "不动产单元号" in dataset.text
    assert 'aria-label="数据预览"' in dataset.text


async def test_the_data_portal_offers_its_providers(client: httpx.AsyncClient) -> None:
    everything = await client.get("/data")
    offered = re.findall(r'href="/data\?provider=([^"]+)">([^<（]+)（(\d+)）', everything.text)
    assert "按提供部门浏览（30 个部门）" in everything.text and len(offered) == 30
    org_id, name, count = offered[0]
    chosen = await client.get("/data", params={"provider": org_id})
    assert f"<h1>{name}提供的数据</h1>" in chosen.text
    assert f"共 {count} 个数据资源" in chosen.text and 'aria-current="true"' in chosen.text
