"""Every failure is JSON with a typed ``extensions.code`` and the request id, whatever the input:
deep JSON, bad ids, NUL and lone surrogates, unknown routes, oversized bodies and headers,
forged tokens; and the GraphQL-over-HTTP media type answers with its status codes."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from graphql import get_introspection_query
from pydantic import SecretStr
from starlette.applications import Starlette

from hub.app import create_app
from hub.auth.tokens import _signing_key
from hub.settings import Settings

GRAPHQL_RESPONSE = "application/graphql-response+json"


def _typed(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/")
    body: dict[str, Any] = response.json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return body


def _gid(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


async def test_deep_json_is_refused_not_crashed(client: httpx.AsyncClient) -> None:
    # about 18 KB of URL: variables nested 3,000 deep
    deep = "[" * 3000 + "]" * 3000
    url = "/graphql?query=%7Bthemes%7Bname%7D%7D&variables=" + deep
    _typed(await client.get(url), 400, "BAD_USER_INPUT")
    body = '{"query": "{ themes { name } }", "variables": {"a": ' + "[" * 100_000 + "]" * 100_000
    body += "}}"
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    _typed(response, 400, "BAD_USER_INPUT")
    _typed(
        await client.post(
            "/graphql", content=b"\xff\xfe", headers={"content-type": "application/json"}
        ),
        400,
        "BAD_USER_INPUT",
    )


async def test_routes_and_files_answer_typed_json(client: httpx.AsyncClient) -> None:
    _typed(await client.get("/files/99999999999999999999999/x"), 404, "NOT_FOUND")
    _typed(await client.get("/files/%C2%B2/x"), 404, "NOT_FOUND")
    _typed(await client.get("/no/such/page"), 404, "NOT_FOUND")
    _typed(await client.put("/graphql", json={}), 405, "METHOD_NOT_ALLOWED")
    _typed(
        await client.post("/graphql", content="{}", headers={"content-type": "text/plain"}),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )


async def test_bad_ids_are_typed(client: httpx.AsyncClient) -> None:
    query = "query($id: ID!) { node(id: $id) { id } }"
    for raw in ("Org:²", "Org:99999999999999999999999", "Org:-1", "Org:1e3"):
        response = await client.post(
            "/graphql", json={"query": query, "variables": {"id": _gid(raw)}}
        )
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "BAD_USER_INPUT"), raw
    nodes = await client.post(
        "/graphql",
        json={
            "query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "variables": {"ids": [_gid("Org:²"), _gid("Org:" + "9" * 40)]},
        },
    )
    assert nodes.json()["data"]["nodes"] == [None, None]
    services = await client.post(
        "/graphql",
        json={
            "query": "query($org: ID!) { services(filter: {org: $org}) { totalCount } }",
            "variables": {"org": _gid("Org:²")},
        },
    )
    assert services.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nul_and_lone_surrogates_never_reach_the_database(client: httpx.AsyncClient) -> None:
    # in variables the request is refused as a whole (400); in the query text, the document
    lookups = [
        ("query($c: String!) { service(code: $c) { name } }", {"c": "S-\x00"}, 400),
        ("query($c: String!) { org(code: $c) { name } }", {"c": "\x00"}, 400),
        ('{ dataset(code: "D\\u0000") { name } }', {}, 200),
        (
            'mutation($l: String!) { login(input: {loginNo: $l, password: "x"}) { tokenType } }',
            {"l": "a\x00b"},
            400,
        ),
    ]
    for query, variables, status in lookups:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        body = _typed(response, status, "BAD_USER_INPUT")
        assert "NUL" in body["errors"][0]["message"]
    # a lone surrogate, as JSON may carry it
    raw = (
        '{"query": "mutation($l: String!) { login(input: {loginNo: $l, password: \\"x\\"}) '
        '{ tokenType } }", "variables": {"l": "\\ud800"}}'
    )
    response = await client.post(
        "/graphql", content=raw, headers={"content-type": "application/json"}
    )
    assert "surrogate" in _typed(response, 400, "BAD_USER_INPUT")["errors"][0]["message"]


async def test_forged_token_subject_is_unauthenticated(
    client: httpx.AsyncClient, seeded_settings: Settings
) -> None:
    key = _signing_key(seeded_settings.secret_key.get_secret_value())
    now = int(time.time())
    token = jwt.encode({"sid": "x", "sub": "²", "iat": now, "exp": now + 60}, key, "HS256")
    response = await client.post(
        "/graphql",
        json={"query": "{ themes { name } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    _typed(response, 200, "UNAUTHENTICATED")


async def test_oversized_body_headers_and_query(client: httpx.AsyncClient) -> None:
    big = json.dumps({"query": "{ themes { name } }", "pad": "x" * 1_000_000})
    response = await client.post(
        "/graphql", content=big, headers={"content-type": "application/json"}
    )
    _typed(response, 413, "PAYLOAD_TOO_LARGE")
    response = await client.post(
        "/graphql",
        json={"query": "{ themes { name } }"},
        headers={"authorization": "Bearer " + "a" * 20_000},
    )
    _typed(response, 431, "HEADERS_TOO_LARGE")
    long_query = "{ themes { name } }" + "#" + "x" * 40_000
    _typed(await client.post("/graphql", json={"query": long_query}), 413, "PAYLOAD_TOO_LARGE")


async def test_security_headers_and_vary(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ themes { name } }"})
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "Authorization" in response.headers["vary"]
    assert response.headers["cache-control"] == "public, no-cache"


async def test_graphql_response_media_type(client: httpx.AsyncClient) -> None:
    accept = {"accept": GRAPHQL_RESPONSE}
    cases = [
        ({"query": "{ themes { "}, 400),  # parse
        ({"query": "{ nope }"}, 400),  # validation
        (
            {
                "query": "query($n: Int) { services(first: $n) { totalCount } }",
                "variables": {"n": "ten"},
            },
            400,
        ),  # variable coercion
        ({"query": "{ themes { name } }"}, 200),
    ]
    for payload, status in cases:
        strict = await client.post("/graphql", json=payload, headers=accept)
        assert strict.status_code == status, payload
        assert strict.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        legacy = await client.post("/graphql", json=payload)
        assert legacy.status_code == 200
        assert legacy.headers["content-type"].startswith("application/json")


async def test_standard_introspection_is_allowed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": get_introspection_query(descriptions=True)}
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_metrics_are_closed_in_production(seeded_settings: Settings) -> None:
    settings = seeded_settings.model_copy(
        update={"environment": "production", "metrics_token": SecretStr("m" * 32)}
    )
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            _typed(await http.get("/metrics"), 404, "NOT_FOUND")
            wrong = await http.get("/metrics", headers={"authorization": "Bearer nope"})
            _typed(wrong, 404, "NOT_FOUND")
            right = await http.get("/metrics", headers={"authorization": "Bearer " + "m" * 32})
            assert right.status_code == 200
            assert "hub_zero_result_log_dropped" in right.text


async def test_operation_deadline(seeded_settings: Settings) -> None:
    app = create_app(seeded_settings.model_copy(update={"operation_timeout_seconds": 0.001}))
    query = (
        "{ services(first: 100) { edges { node { name materials { material { name } } "
        "themes { name } } } } }"
    )
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            _typed(await http.post("/graphql", json={"query": query}), 200, "TIMEOUT")
            page = await http.get("/services/S-WJJ-001")  # the same deadline, as a page
            assert page.status_code == 503 and "服务繁忙" in page.text


async def test_searches_weigh_more_than_fields(client: httpx.AsyncClient) -> None:
    def searches(n: int) -> str:
        return (
            "{ "
            + " ".join(
                f'a{i}: searchServices(query: "生育{i}", first: 1) {{ totalCount }}'
                for i in range(n)
            )
            + " }"
        )

    body = (await client.post("/graphql", json={"query": searches(10)})).json()
    assert "errors" not in body, body
    refused = _typed(
        await client.post("/graphql", json={"query": searches(30)}), 200, "QUERY_TOO_COMPLEX"
    )
    assert refused["errors"][0]["extensions"]["cost"] > 25_000


@pytest.mark.parametrize("path", ["/graphql", "/sso/token"])
async def test_a_client_gone_before_its_body_is_no_error(
    app: Starlette, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that times out and hangs up before its body arrives: nothing to answer, and
    no ERROR (under load such clients come by the hundred)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"host", b"test"), (b"content-length", b"40")]
    kind = b"application/json" if path == "/graphql" else b"application/x-www-form-urlencoded"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*headers, (b"content-type", kind), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    hub_log = logging.getLogger("hub")  # hub's own handler; it does not propagate
    hub_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="hub"):
            await app(scope, receive, send)
    finally:
        hub_log.removeHandler(caplog.handler)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "client disconnected" in caplog.text
