"""Several hub processes, as an operator runs them: ``hub serve --workers 2`` answers one scrape
with every worker's figures; two ``hub serve`` "hosts" (own ports and data directories, one
PostgreSQL, one Redis) share sign-ins, the response cache, and a write's effect at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.commands.serve import workers_for
from hub.settings import Settings
from tests.conftest import service_line
from tests.identity.conftest import migrated_pg_url
from tests.live_server import LiveServer, hub_env

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
THEMES = {"query": "{ themes { code } }"}
SEARCH = {"query": '{ searchServices(query: "生育") { totalCount } }'}
NAME = "query N($code: String!) { service(code: $code) { name } }"
LOGIN = (
    "mutation L($l: String!, $p: String!) { login(input: {loginNo: $l, password: $p}) "
    "{ accessToken } }"
)


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def test_one_worker_per_core_in_production(tmp_path: Path) -> None:
    production = Settings(environment="production", data_dir=tmp_path, secret_key="s" * 40)
    development = Settings(environment="development", data_dir=tmp_path)
    assert workers_for(production, None) >= 1 and workers_for(development, None) == 1
    assert workers_for(production, 3) == 3 == workers_for(development, 3)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    metrics_dir = tmp_path_factory.mktemp("metrics")
    (metrics_dir / "counter_1.db").write_bytes(b"left from an earlier run")
    data = tmp_path_factory.mktemp("workers") / "data"
    # an empty data directory: the seed, then both workers find no search index at once
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "HUB_LOG_LEVEL": "INFO"}
    with LiveServer.start(data, serve_args=("--workers", "2"), **env) as live:
        yield live, metrics_dir


def test_a_scrape_sees_every_worker(two_workers: tuple[LiveServer, Path]) -> None:
    server, metrics_dir = two_workers
    assert not (metrics_dir / "counter_1.db").exists()  # an earlier run's figures are gone

    def ask(_: int) -> int:  # a connection of its own each time: both workers take some
        return httpx.post(server.graphql_url, json=THEMES, timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(ask, range(60))) == {200}
    served = {p.stem.rpartition("_")[2] for p in metrics_dir.glob("counter_*.db")}
    assert len(served) == 2, "both workers counted requests"
    for _ in range(6):
        text = httpx.get(f"{server.url}/metrics", timeout=10).text
        requests = samples(text, "hub_graphql_requests_total")
        assert sum(v for _, v in requests) == 60  # whichever worker answers the scrape
        memory = samples(text, "hub_process_resident_bytes")
        assert len({labels["pid"] for labels, _ in memory}) == 2
        assert all(v > 10_000_000 for _, v in memory)
        assert samples(text, "hub_search_outbox_pending") == [({}, 0.0)]
        lookups = samples(text, "hub_response_cache_lookups_total")
        assert sum(v for _, v in lookups) == 60


def test_the_workers_build_one_search_index(two_workers: tuple[LiveServer, Path]) -> None:
    """Both workers start on one embedded index that does not exist yet: one builds it while
    the other waits, then finds it built (two builds fought over the same directory)."""
    server, _ = two_workers
    log = server.output()
    assert log.count("search index rebuilt with") == 1, log
    assert "WARNING" not in log and "ERROR" not in log, log
    found = httpx.post(server.graphql_url, json=SEARCH, timeout=10).json()
    assert found["data"]["searchServices"]["totalCount"] > 0


@pytest.mark.skipif(REDIS_URL is None, reason="runs where HUB_TEST_REDIS_URL is set")
async def test_two_hosts_share_one_database_and_redis(tmp_path: Path) -> None:
    async with migrated_pg_url("two_hosts") as pg_url:
        if pg_url is None:
            pytest.skip("runs where HUB_TEST_DATABASE_URL is set")
        settings = {"HUB_DATABASE_URL": pg_url, "HUB_REDIS_URL": str(REDIS_URL)}
        # behind one load balancer: one public address (absolute links name it, and the
        # hosts' answers are the same bytes)
        settings["HUB_PUBLIC_URL"] = "https://hub.example.gov.cn"
        seeded = subprocess.run(
            [sys.executable, "-m", "hub.cli", "seed"],
            env=hub_env(tmp_path / "seed", **settings),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert seeded.returncode == 0, seeded.stderr
        with (
            LiveServer.start(tmp_path / "a", **settings) as a,
            LiveServer.start(tmp_path / "b", **settings) as b,
        ):
            run_two_hosts(a, b, tmp_path)


def run_two_hosts(a: LiveServer, b: LiveServer, tmp_path: Path) -> None:
    def name_on(host: LiveServer) -> httpx.Response:
        params = {"query": NAME, "variables": json.dumps({"code": "S-TWO"})}
        return httpx.get(host.graphql_url, params=params, timeout=10)

    lines = tmp_path / "one.jsonl"
    lines.write_text(service_line("S-TWO", "两地办理", org="GW") + "\n", encoding="utf-8")
    assert a.hub("import", "services", str(lines)).returncode == 0
    assert name_on(a).headers["x-hub-cache"] == "miss"
    shared = name_on(b)
    assert shared.headers["x-hub-cache"] == "shared"
    assert shared.json()["data"]["service"]["name"] == "两地办理"
    # a change written through host A's command: host B's very next read has it
    lines.write_text(service_line("S-TWO", "两地通办", org="GW") + "\n", encoding="utf-8")
    assert a.hub("import", "services", str(lines)).returncode == 0
    fresh = name_on(b)
    assert fresh.json()["data"]["service"]["name"] == "两地通办"
    assert fresh.headers["x-hub-cache"] == "miss"
    # signed in on A, known on B; signed out on A, refused on B at once
    login = {"query": LOGIN, "variables": {"l": "admin", "p": "hub-demo-2026"}}
    token = httpx.post(a.graphql_url, json=login, timeout=30).json()["data"]["login"]
    headers = {"Authorization": f"Bearer {token['accessToken']}"}
    me = {"query": "{ me { staff { loginNo } } }"}
    assert httpx.post(b.graphql_url, json=me, headers=headers, timeout=10).json()["data"]
    out = httpx.post(
        a.graphql_url, json={"query": "mutation { logout { sessionsEnded } }"}, headers=headers
    )
    assert "errors" not in out.json(), out.text
    refused = httpx.post(b.graphql_url, json=me, headers=headers, timeout=10).json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
