"""``hub import services`` beside a running ``hub serve`` on SQLite, under read traffic.

The server's outbox worker (and its zero-result log) commit while the import writes, so every
line of the import must wait for the writer's lock instead of failing, and the server must
keep answering reads meanwhile. Everything there is real: the server and the CLI are
subprocesses over one data directory. Before them, the two pieces in one process: a writing
transaction takes the lock up front, and the import commits line by line.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from hub.catalogue.importer import ImportReport, import_services, import_services_each
from hub.db import transaction
from hub.models import Org, SearchOutbox, ServiceItem
from hub.search.sync import MAX_BACKOFF_SECONDS
from tests.conftest import Database, service_line
from tests.live_server import LiveServer

LINES = 200
NAME = "萤火虫观测登记"

READS = [
    "{ services(first: 20) { edges { node { name } } } }",
    '{ searchServices(query: "生育", first: 10) { totalCount edges { node { name } } } }',
    f'{{ searchServices(query: "{NAME}", first: 5) {{ edges {{ node {{ code }} }} }} }}',
    # finds nothing, so the server writes a zero-result record: a writer of its own
    '{ searchServices(query: "zzqxv不存在的事项", first: 5) { totalCount } }',
]


async def count(db: Database, model: type) -> int:
    async with db.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_a_writer_holds_the_lock_from_its_begin_and_readers_take_none(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's one writer lock")
    async with transaction(db.sessions) as first:
        # another writer, started now, waits for this one instead of slipping in between
        # this one's reads and its writes (which would leave those reads stale)
        other = asyncio.create_task(_import_in_own_transaction(db, "S-2"))
        await asyncio.sleep(0.5)
        assert not other.done()
        assert await count(db, ServiceItem) == 0  # a reader is not held up
        report = await import_services(first, [service_line("S-1", "生育登记")])
        assert report.errors == []
    assert (await other).errors == []
    assert await count(db, ServiceItem) == 2


async def _import_in_own_transaction(db: Database, code: str) -> ImportReport:
    async with transaction(db.sessions) as session:
        return await import_services(session, [service_line(code, "收养登记")])


async def test_the_command_commits_each_line_on_its_own(db: Database) -> None:
    lines = [
        service_line("S-1", "生育登记", org="新设科室"),
        service_line("S-2", "坏行", visits=9),
        "",
        service_line("S-3", "收养登记", org="新设科室"),
    ]
    report = await import_services_each(db.sessions, lines, orgs_under="GW")
    assert [e.number for e in report.errors] == [2]
    assert (report.created, report.updated, len(report.orgs_created)) == (2, 0, 1)
    assert await count(db, ServiceItem) == await count(db, SearchOutbox) == 2
    async with db.sessions() as session:
        org = (await session.exec(select(Org).where(Org.name == "新设科室"))).one()
        assert (org.parent_id, org.depth) == (db.root_id, 1)


class ReadLoad(threading.Thread):
    """Posts :data:`READS` in turn until stopped; keeps every answer that was not a clean 200."""

    def __init__(self, url: str) -> None:
        super().__init__(name="read-load", daemon=True)
        self.url = url
        self.halt = threading.Event()
        self.answered = 0
        self.failures: list[str] = []

    def run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.halt.is_set():
                for query in READS:
                    try:
                        response = http.post(self.url, json={"query": query})
                        body = response.json()
                    except (httpx.HTTPError, ValueError) as exc:
                        self.failures.append(f"{query[:40]}: {exc!r}")
                        continue
                    self.answered += 1
                    if response.status_code != 200 or "errors" in body:
                        self.failures.append(f"{response.status_code} {str(body)[:300]}")

    def __enter__(self) -> ReadLoad:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.halt.set()
        self.join(timeout=60)


def graphql(server: LiveServer, query: str) -> dict[str, Any]:
    response = httpx.post(server.graphql_url, json={"query": query}, timeout=30)
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


def import_file(server: LiveServer, path: Path) -> None:
    """200 valid lines over the seeded orgs and person themes; every 4th brings a new material."""
    data = graphql(
        server, "{ rootOrg { code children { code } } themes(audience: PERSON) { name } }"
    )
    orgs = [data["rootOrg"]["code"], *(c["code"] for c in data["rootOrg"]["children"])]
    themes = [t["name"] for t in data["themes"]]
    lines = []
    for i in range(LINES):
        item = {
            "code": f"LIVE-{i:03d}",
            "name": f"{NAME}第{i}号",
            "org": orgs[i % len(orgs)],
            "themes": [themes[i % len(themes)]],
            "audience": "person",
            "description": f"导入测试事项{i}，服务运行时写入。",
            "materials": ["居民身份证", *([f"观测记录表{i}"] if i % 4 == 0 else [])],
            "aliases": [f"萤火虫{i}"],
        }
        lines.append(json.dumps(item, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def imported_count(server: LiveServer) -> int:
    uri = f"file:{server.data_dir / 'hub.sqlite3'}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=30) as conn:
        row = conn.execute("SELECT count(*) FROM service_item WHERE code LIKE 'LIVE-%'").fetchone()
    conn.close()
    return int(row[0])


def searched_count(server: LiveServer) -> int:
    """How many imported items the server's search finds, once it finds them all or time is
    up. The import applies the outbox itself while the server's worker does too: the embedded
    index has one writer at a time, and a worker that lost that race backs off (at most
    :data:`MAX_BACKOFF_SECONDS`) before it tries again, so the wait allows two of its longest."""
    query = (
        f'{{ searchServices(query: "{NAME}", first: 100) '
        "{ totalCount edges { node { code } } } }"
    )
    deadline = time.monotonic() + 2 * MAX_BACKOFF_SECONDS + 30
    while True:
        found = graphql(server, query)["searchServices"]
        codes = {e["node"]["code"] for e in found["edges"]}
        assert all(code.startswith("LIVE-") for code in codes), codes
        if found["totalCount"] >= LINES or time.monotonic() > deadline:
            return int(found["totalCount"])
        time.sleep(0.5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with LiveServer.start(tmp_path_factory.mktemp("live") / "data") as live:
        yield live


def test_an_import_beside_a_serving_server_writes_every_line(
    server: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "services.jsonl"
    import_file(server, path)

    with ReadLoad(server.graphql_url) as load:
        first = server.hub("import", "services", str(path))
        again = server.hub("import", "services", str(path))  # the upsert path: all updates

    assert first.returncode == 0, (first.stdout, first.stderr[-2000:], again.stdout)
    assert f"{LINES} created, 0 updated, 0 refused" in first.stdout, first.stdout
    assert again.returncode == 0, (again.stdout, again.stderr[-2000:])
    assert f"0 created, {LINES} updated, 0 refused" in again.stdout, again.stdout
    assert imported_count(server) == LINES
    assert load.answered > 0 and load.failures == [], load.failures[:5]
    assert searched_count(server) == LINES, server.output()[-3000:]
    assert server.process.poll() is None, server.output()[-3000:]


def test_other_commands_beside_a_serving_server(server: LiveServer) -> None:
    with ReadLoad(server.graphql_url) as load:
        seed = server.hub("seed", "--no-progress")
        sync = server.hub("search", "sync")
    assert seed.returncode == 1, seed.stderr
    assert "already holds orgs" in seed.stderr  # the seed loads only an empty database
    assert sync.returncode == 0, sync.stderr
    assert load.answered > 0 and load.failures == [], load.failures[:5]
    assert server.process.poll() is None, server.output()[-3000:]
