"""The HTTP side of /graphql: GET, persisted queries, limits, typed and masked errors,
request ids, metrics and health."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from graphql import GraphQLError
from prometheus_client.parser import text_string_to_metric_families

from hub.app import create_app
from hub.errors import Forbidden
from hub.http.endpoint import format_error
from hub.http.persisted import RedisStore, query_hash
from hub.settings import Settings

THEMES = "query Themes { themes { code name } }"
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")


async def test_get_serves_public_reads_with_cache_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": THEMES})
    assert response.status_code == 200
    assert response.json()["data"]["themes"]
    # kept by HTTP caches but asked again each time: hub's exact cache answers 304 at once
    assert response.headers["cache-control"] == "public, no-cache"
    again = await client.get(
        "/graphql", params={"query": THEMES}, headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


async def test_graphiql_page_for_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_persisted_query_protocol(client: httpx.AsyncClient) -> None:
    sha = query_hash(THEMES)
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    # unknown hash: the client must send the text once
    first = await client.post("/graphql", json={"extensions": extensions})
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await client.post("/graphql", json={"query": THEMES, "extensions": extensions})
    assert registered.json()["data"]["themes"]
    # now the hash alone works, also over GET
    by_hash = await client.get("/graphql", params={"extensions": json.dumps(extensions)})
    assert by_hash.json()["data"] == registered.json()["data"]
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    mismatch = await client.post("/graphql", json={"query": THEMES, "extensions": wrong})
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_registered_queries_only(seeded_settings: Settings, tmp_path: Path) -> None:
    # given a deployment that accepts only the queries shipped with its apps
    (tmp_path / "themes.graphql").write_text(THEMES, encoding="utf-8")
    settings = seeded_settings.model_copy(
        update={"persisted_queries_only": True, "persisted_queries_dir": tmp_path}
    )
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            # when a client sends its own query text, then it is refused
            ad_hoc = await http.post("/graphql", json={"query": "{ themes { code } }"})
            assert ad_hoc.json()["errors"][0]["extensions"]["code"] == ("PERSISTED_QUERY_NOT_FOUND")
            # when it sends a registered query by hash, then it runs
            extensions = {"persistedQuery": {"version": 1, "sha256Hash": query_hash(THEMES)}}
            allowed = await http.post("/graphql", json={"extensions": extensions})
            assert allowed.json()["data"]["themes"]


async def test_depth_alias_and_token_limits(client: httpx.AsyncClient) -> None:
    deep = "{ rootOrg { " + "children { " * 12 + "name" + " }" * 12 + " } }"
    body = (await client.post("/graphql", json={"query": deep})).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    aliases = "{ " + " ".join(f"a{i}: themes {{ name }}" for i in range(31)) + " }"
    body = (await client.post("/graphql", json={"query": aliases})).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    tokens = "{ themes { " + "name " * 2100 + "} }"
    body = (await client.post("/graphql", json={"query": tokens})).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_bad_requests_get_clear_errors(client: httpx.AsyncClient) -> None:
    not_json = await client.post(
        "/graphql", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown_field = (await client.post("/graphql", json={"query": "{ nope }"})).json()
    assert unknown_field["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    syntax = (await client.post("/graphql", json={"query": "{ themes { "})).json()
    assert syntax["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_variable = (
        await client.post(
            "/graphql",
            json={
                "query": "query($n: Int) { services(first: $n) { totalCount } }",
                "variables": {"n": "ten"},
            },
        )
    ).json()
    assert bad_variable["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_internal_errors_are_masked_with_the_request_id() -> None:
    leaked = GraphQLError("boom", original_error=RuntimeError("password=hunter2"))
    formatted = format_error(leaked, "req-123")
    assert formatted["message"] == "Internal server error."
    assert formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"}
    typed = format_error(GraphQLError("x", original_error=Forbidden("Not yours.")), "r")
    assert typed["extensions"]["code"] == "FORBIDDEN"
    assert typed["message"] == "Not yours."


async def test_request_id_is_made_unless_a_trusted_proxy_sent_it(
    client: httpx.AsyncClient, seeded_settings: Settings
) -> None:
    # a client's own X-Request-ID is replaced: audit events must not carry ids it chose
    replaced = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert replaced.headers["x-request-id"] != "abc-123"
    assert len(replaced.headers["x-request-id"]) == 32
    # behind a trusted proxy (the test client's address), a sane id is kept, others replaced
    app = create_app(seeded_settings.model_copy(update={"trusted_proxies": "127.0.0.1"}))
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            echoed = await http.get("/healthz", headers={"x-request-id": "abc-123"})
            assert echoed.headers["x-request-id"] == "abc-123"
            made = await http.get("/healthz", headers={"x-request-id": "bad id with spaces"})
            assert made.headers["x-request-id"] != "bad id with spaces"
            assert len(made.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_operation(client: httpx.AsyncClient) -> None:
    await client.post("/graphql", json={"query": THEMES, "operationName": "Themes"})
    metrics = (await client.get("/metrics")).text
    assert 'hub_graphql_requests_total{operation="Themes",outcome="ok"}' in metrics
    assert "hub_graphql_request_seconds_bucket" in metrics
    search = '{ searchServices(query: "生育", first: 1) { totalCount } }'
    assert "errors" not in (await client.post("/graphql", json={"query": search})).json()
    metrics = (await client.get("/metrics")).text
    figures = {
        s.name: s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
        if not s.labels or s.name == "hub_search_seconds_count"
    }
    assert figures["hub_process_resident_bytes"] > 10_000_000
    assert figures["hub_search_seconds_count"] >= 1
    assert figures["hub_search_outbox_pending"] >= 0
    assert figures["hub_db_connections_open"] >= figures["hub_db_connections_in_use"] >= 0
    assert figures["hub_response_cache_entries"] >= 1


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


@pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
async def test_workers_share_persisted_queries_through_redis(seeded_settings: Settings) -> None:
    # given two app processes (workers) on one Redis
    query = "query SharedThemes { themes { code } }"
    sha = query_hash(query)
    settings = seeded_settings.model_copy(update={"redis_url": REDIS_URL})
    first, second = create_app(settings), create_app(settings)
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    async with (
        LifespanManager(first, startup_timeout=120, shutdown_timeout=30),
        LifespanManager(second, shutdown_timeout=30),
    ):
        one = httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://a")
        two = httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://b")
        async with one, two:
            # when the first learns the query
            await one.post("/graphql", json={"query": query, "extensions": extensions})
            # then the second answers its hash
            answer = await two.post("/graphql", json={"extensions": extensions})
            assert answer.json()["data"]["themes"]
        await first.state.hub.persisted._redis.delete(RedisStore.PREFIX + sha)


@pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
async def test_learned_queries_in_redis_are_bounded_and_expire() -> None:
    assert REDIS_URL
    prefix = f"hub:test-pq:{os.getpid()}:"
    store = RedisStore(REDIS_URL, ttl_seconds=600, max_bytes=10_000, max_entries=8, prefix=prefix)
    try:
        registered = "query Registered { themes { code } }"
        await store.put(query_hash(registered), registered, keep=True)
        texts = [f"{{ themes {{ name }} }} # {i:04d}" + "x" * 1_000 for i in range(40)]
        for text in texts:
            await store.put(query_hash(text), text)
            await store.put(query_hash(registered), registered)  # learning it again keeps it
        redis = store._redis
        learned, order, sizes, total, _ = store.index_keys
        assert await redis.zcard(order) <= 8
        assert await redis.zcard(learned) == await redis.zcard(order)
        assert int(await redis.get(total)) <= 10_000
        assert int(await redis.get(total)) == sum(int(v) for v in (await redis.hvals(sizes)))
        # the newest are kept, with a TTL; the oldest are gone; the registered one never expires
        newest = prefix + query_hash(texts[-1])
        assert await redis.get(newest) == texts[-1]
        assert 0 < await redis.ttl(newest) <= 600
        assert await redis.get(prefix + query_hash(texts[0])) is None
        assert await redis.ttl(prefix + query_hash(registered)) == -1
        # a key that vanished behind the index's back is learned again, not skipped
        await redis.delete(newest)
        await store.put(query_hash(texts[-1]), texts[-1])
        assert await redis.get(newest) == texts[-1]
        # entries whose TTL ran out leave the index and the byte total too
        short = RedisStore(REDIS_URL, ttl_seconds=1, prefix=prefix + "short:")
        try:
            await short.put(query_hash(texts[0]), texts[0])
            await asyncio.sleep(2.2)
            await short.put(query_hash(texts[1]), texts[1])
            assert int(await redis.get(short.index_keys[3])) == len(texts[1])
            assert await redis.zcard(short.index_keys[1]) == 1
        finally:
            await short.aclose()
    finally:
        keys = [k async for k in store._redis.scan_iter(match=prefix + "*")]
        if keys:
            await store._redis.delete(*keys)
        await store.aclose()


async def test_one_synonym_preview_per_request(client: httpx.AsyncClient) -> None:
    """A preview runs up to 55 searches: its cost admits one per request, refused before it
    runs (and before anyone is asked to sign in)."""
    preview = 'synonymPreview(phrase: "狗证", targets: ["犬只登记"]) { query }'
    body = (
        await client.post("/graphql", json={"query": f"{{ a: {preview} b: {preview} }}"})
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    one = (await client.post("/graphql", json={"query": f"{{ {preview} }}"})).json()
    assert one["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # staff only
