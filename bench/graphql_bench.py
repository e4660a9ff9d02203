"""How much GraphQL costs over the same reads done by hand.

Starts ``hub serve`` (one uvicorn worker, seeded SQLite) and ``bench/raw_app.py`` (a plain
Starlette app that runs the same statements and answers the same JSON), checks that both
answer the same bodies, then drives each with ``wrk`` over loopback and prints req/s, p50 and
p99 for:

  (a) one service's detail with materials, forms and org, by persisted-query hash
      (POST, and GET as a CDN would send it);
  (b) a page of 20 services with their materials, by persisted-query hash;
  (c) the raw endpoints for (a) and (b): the ceiling.

Then it restarts the server with the document cache off (``HUB_DOCUMENT_CACHE_SIZE=0``) and
repeats (a) and (b) sending the full query text every time. (a) and (b) run with the response
cache off (``HUB_RESPONSE_CACHE_BYTES=0``): they measure a miss, every request computed. A
fourth server keeps the response cache on and answers (a) and (b) by GET from it: the hit.
It reports; it does not judge: the exit status is 0 whether or not the targets are met, 2
when it could not set up.

    python bench/graphql_bench.py [--duration 10] [--warmup 2] [--connections 16]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
LUA = BENCH / "wrk" / "report.lua"
HOST = "127.0.0.1"  # loopback only, always

sys.path.insert(0, str(BENCH))
from raw_app import DETAIL_QUERY, PAGE_QUERY  # noqa: E402

PAGE_SIZE = 20
TARGET_DETAIL_RATIO = 0.7  # on a miss, against the raw ceiling (issue 11/11)
TARGET_PAGE_RATIO = 0.6
TARGET_PAGE_P99_MS = 50.0


class SetupError(Exception):
    """The benchmark could not start or check what it measures; nothing was judged."""


# --------------------------------------------------------------------------- processes


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    base: str

    def stop(self) -> None:
        """SIGTERM the process group it leads, then SIGKILL what is left after 15 s."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _child_env(data_dir: Path, **hub: str) -> dict[str, str]:
    """Our environment without any HUB_ setting of the caller's, plus the benchmark's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_DATA_DIR": str(data_dir), "HUB_LOG_LEVEL": "WARNING", **hub})
    # absolute file links name one address whichever port answers, so bodies compare equal
    env.setdefault("HUB_PUBLIC_URL", "http://hub.bench")
    return env


def _start(name: str, argv: list[str], env: dict[str, str], port: int, logs: Path) -> Server:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        # Its own session, so that stop() reaches it and only it. The cwd is the data dir so
        # that no stray .env of the caller's changes the settings.
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=env["HUB_DATA_DIR"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, log, f"http://{HOST}:{port}")


def _wait_ready(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SetupError(
                f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError):
            status, _ = _http("GET", f"{server.base}/readyz")
            if status == 200:
                return
        time.sleep(0.2)
    raise SetupError(f"{server.name} not ready after {timeout:.0f} s:\n{server.log_tail()}")


def _port_free(port: int) -> None:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            raise SetupError(f"port {port} on {HOST} is in use; pass another") from None


def _http(
    method: str, url: str, body: bytes | None = None, timeout: float = 10.0
) -> tuple[int, bytes]:
    assert url.startswith(f"http://{HOST}:"), url
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --------------------------------------------------------------------------- setup


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SetupError("wrk is missing; install it (Debian: apt-get install -y wrk)")
    print("wrk is missing: apt-get install -y wrk …", flush=True)
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise SetupError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    found = shutil.which("wrk")
    if not found:
        raise SetupError("wrk is still missing after apt-get install")
    return found


def _published_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                "SELECT count(*) FROM service_item WHERE status = 'published'"
            ).fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0])


def _hub(*args: str) -> list[str]:
    return [sys.executable, "-m", "hub.cli", *args]


def _prepare_data(data_dir: Path, fresh: bool) -> int:
    """Seed ``data_dir`` with the defaults of ``hub seed`` unless it holds a seeded city."""
    db = data_dir / "hub.sqlite3"
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    count = _published_count(db)
    if count:
        print(f"reusing {db} ({count} published services)", flush=True)
        return count
    env = _child_env(data_dir)
    for argv in (_hub("db", "upgrade"), _hub("seed")):
        print(f"$ HUB_DATA_DIR={data_dir} hub {' '.join(argv[3:])}", flush=True)
        started = time.monotonic()
        done = subprocess.run(argv, env=env, cwd=data_dir, capture_output=True, text=True)
        if done.returncode != 0 and "invalid choice: 'seed'" in done.stderr:
            print("  this hub has no `seed` command yet: calling seed.load.load_seed", flush=True)
            _load_seed(data_dir)
        elif done.returncode != 0:
            raise SetupError(
                f"hub {' '.join(argv[3:])} failed ({done.returncode}):\n"
                f"{(done.stdout + done.stderr)[-3000:]}"
            )
        print(f"  done in {time.monotonic() - started:.1f} s", flush=True)
    count = _published_count(db)
    if not count:
        raise SetupError(f"hub seed left no published services in {db}")
    return count


def _load_seed(data_dir: Path) -> None:
    """What `hub seed` does with its defaults, minus staff passwords (none are needed here)."""
    import asyncio

    async def load() -> None:
        from hub.db import create_engine
        from hub.seed.load import load_seed
        from hub.settings import Settings

        # Explicit values, so that no HUB_ variable of the caller's points elsewhere.
        settings = Settings(_env_file=None, data_dir=data_dir, database_url=None)
        engine = create_engine(settings)
        try:
            await load_seed(engine, settings, scale=1, progress=False)
        finally:
            await engine.dispose()

    try:
        asyncio.run(load())
    except Exception as exc:
        raise SetupError(f"seeding {data_dir} failed: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class Subject:
    code: str
    materials: int
    forms: int


def _pick_service(db: Path, code: str | None) -> Subject:
    """A typical service for (a): the median by material count of those that have forms."""
    query = """
        SELECT s.code, count(r.id) AS materials,
               coalesce(sum((r.blank_form_id IS NOT NULL) + (r.sample_form_id IS NOT NULL)), 0)
                 AS forms
        FROM service_item s LEFT JOIN material_requirement r ON r.service_id = s.id
        WHERE s.status = 'published' {where}
        GROUP BY s.id {having}
        ORDER BY materials, forms, s.code
    """
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        if code is not None:
            rows = conn.execute(query.format(where="AND s.code = ?", having=""), (code,))
        else:
            rows = conn.execute(query.format(where="", having="HAVING forms > 0"))
        found = rows.fetchall()
    if not found:
        raise SetupError(f"no published service {code!r}" if code else "no service with forms")
    row = found[len(found) // 2]
    return Subject(code=row[0], materials=int(row[1]), forms=int(row[2]))


# --------------------------------------------------------------------------- requests


def _sha(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None

    @classmethod
    def graphql(
        cls,
        query: str,
        operation: str,
        variables: dict[str, Any],
        *,
        persisted: bool,
        method: str = "POST",
    ) -> Request:
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": _sha(query)}}
        params: dict[str, Any] = {"operationName": operation, "variables": variables}
        if persisted:
            params["extensions"] = extensions
        else:
            params["query"] = query
        if method == "GET":
            encoded = {k: v if isinstance(v, str) else _compact(v) for k, v in params.items()}
            return cls("GET", "/graphql?" + urllib.parse.urlencode(encoded))
        return cls("POST", "/graphql", _compact(params).encode())


def _register(base: str, query: str, operation: str, variables: dict[str, Any]) -> None:
    """The Apollo handshake: one request with query and hash stores the query under it."""
    body = _compact(
        {
            "query": query,
            "operationName": operation,
            "variables": variables,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(query)}},
        }
    ).encode()
    status, raw = _http("POST", f"{base}/graphql", body)
    if status != 200 or "errors" in json.loads(raw):
        raise SetupError(f"registering {operation} failed ({status}): {raw[:500]!r}")


def _fetch_json(base: str, request: Request) -> Any:
    status, raw = _http(request.method, base + request.path, request.body)
    if status != 200:
        raise SetupError(f"{request.method} {request.path[:80]} answered {status}: {raw[:500]!r}")
    return json.loads(raw)


def _graphql_errors(base: str) -> float:
    """Requests the hub counted with an outcome other than ok, from its /metrics."""
    status, raw = _http("GET", f"{base}/metrics")
    if status != 200:
        return float("nan")
    total = 0.0
    for line in raw.decode().splitlines():
        if line.startswith("hub_graphql_requests_total{") and 'outcome="ok"' not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


# --------------------------------------------------------------------------- measuring


def _ticks_busy() -> int:
    """Clock ticks all CPUs spent busy since boot (Linux; 0 elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0
    values = [int(v) for v in fields]
    return sum(values) - values[3] - values[4]  # minus idle and iowait


def _ticks_of(pid: int) -> int:
    """Clock ticks the process (all its threads) has run, user and system."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(after_name[11]) + int(after_name[12])


def _ticks_of_children() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * _HZ)


def _ticks_of_self() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round((usage.ru_utime + usage.ru_stime) * _HZ)


_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_BUSY_ELSEWHERE = 0.2  # CPUs used by other processes that make a row suspect


def _wait_for_quiet(limit: float) -> None:
    """Wait up to ``limit`` seconds for the machine to idle (our servers are idle here)."""
    deadline = time.monotonic() + limit
    told = False
    while time.monotonic() < deadline:
        before = _ticks_busy()
        time.sleep(1.0)
        busy = (_ticks_busy() - before) / _HZ
        if busy < _BUSY_ELSEWHERE:
            return
        if not told:
            print(f"  (the machine is busy: {busy:.1f} CPUs; waiting up to {limit:.0f} s)")
            told = True


@dataclass
class Result:
    key: str
    label: str
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int
    graphql_errors: float | None = None
    server_cpu_ms: float = 0.0  # CPU time of the server process per request, all threads
    busy_elsewhere: float = 0.0  # CPUs used by processes other than the server and wrk
    ceiling: str | None = None
    ratio: float | None = None
    wrk: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    server: str  # "hub" or "raw"
    request: Request
    ceiling: str | None = None


@dataclass
class Load:
    wrk: str
    duration: int
    warmup: int
    connections: int
    threads: int
    bodies: Path
    settle: float

    def run(self, url: str, body: bytes | None, seconds: int) -> dict[str, Any]:
        argv = [
            self.wrk,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
        ]
        if body is not None:
            path = self.bodies / f"{hashlib.sha1(body).hexdigest()}.json"
            path.write_bytes(body)
            argv += ["--", str(path)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                return dict(json.loads(line.removeprefix("RESULT ")))
        raise SetupError(f"wrk printed no RESULT ({done.returncode}):\n{done.stdout}{done.stderr}")

    def measure(self, case: Case, server: Server) -> Result:
        url = server.base + case.request.path
        if self.settle:
            _wait_for_quiet(self.settle)
        if self.warmup:
            self.run(url, case.request.body, self.warmup)
        metrics = server.base if case.server != "raw" else None
        before = _graphql_errors(metrics) if metrics else None
        ticks = (_ticks_busy(), _ticks_of(server.process.pid), _ticks_of_children())
        own = _ticks_of_self()
        out = self.run(url, case.request.body, self.duration)
        server_ticks = _ticks_of(server.process.pid) - ticks[1]
        wrk_ticks = _ticks_of_children() - ticks[2]
        elsewhere = _ticks_busy() - ticks[0] - server_ticks - wrk_ticks - (_ticks_of_self() - own)
        after = _graphql_errors(metrics) if metrics else None
        latency = out["latency_us"]
        seconds = out["duration_us"] / 1e6
        result = Result(
            key=case.key,
            label=case.label,
            rps=out["requests"] / seconds if seconds else 0.0,
            p50_ms=latency["p50"] / 1000,
            p90_ms=latency["p90"] / 1000,
            p99_ms=latency["p99"] / 1000,
            max_ms=latency["max"] / 1000,
            requests=out["requests"],
            errors=sum(out["errors"].values()),
            graphql_errors=(after - before) if before is not None and after is not None else None,
            server_cpu_ms=1000 * server_ticks / _HZ / out["requests"] if out["requests"] else 0.0,
            busy_elsewhere=max(0.0, elsewhere / _HZ / seconds) if seconds else 0.0,
            ceiling=case.ceiling,
            wrk=out,
        )
        print(
            f"  {case.label:<44} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.1f} ms"
            f"  p99 {result.p99_ms:6.1f} ms  server CPU {result.server_cpu_ms:5.2f} ms/req",
            flush=True,
        )
        return result


# --------------------------------------------------------------------------- the run


def _cases(code: str) -> list[Case]:
    """In the order measured: each ceiling just before the GraphQL cases held against it."""
    detail, page = {"code": code}, {"first": PAGE_SIZE}
    return [
        Case("c-detail", "(c) raw detail", "raw", Request("GET", f"/raw/service/{code}")),
        Case(
            "a-post",
            "(a) detail, POST, persisted hash",
            "hub",
            Request.graphql(DETAIL_QUERY, "ServiceDetail", detail, persisted=True),
            "c-detail",
        ),
        Case(
            "a-get",
            "(a) detail, GET, persisted hash",
            "hub",
            Request.graphql(DETAIL_QUERY, "ServiceDetail", detail, persisted=True, method="GET"),
            "c-detail",
        ),
        Case(
            "a-nocache",
            "(a) detail, POST, full query, caches off",
            "hub-nocache",
            Request.graphql(DETAIL_QUERY, "ServiceDetail", detail, persisted=False),
            "c-detail",
        ),
        Case(
            "a-cached",
            "(a) detail, GET, response cache hit",
            "hub-cached",
            Request.graphql(DETAIL_QUERY, "ServiceDetail", detail, persisted=True, method="GET"),
            "c-detail",
        ),
        Case(
            "c-page",
            "(c) raw page of 20",
            "raw",
            Request("GET", f"/raw/services?first={PAGE_SIZE}"),
        ),
        Case(
            "b-post",
            "(b) page of 20, POST, persisted hash",
            "hub",
            Request.graphql(PAGE_QUERY, "ServicePage", page, persisted=True),
            "c-page",
        ),
        Case(
            "b-nocache",
            "(b) page of 20, POST, full query, caches off",
            "hub-nocache",
            Request.graphql(PAGE_QUERY, "ServicePage", page, persisted=False),
            "c-page",
        ),
        Case(
            "b-cached",
            "(b) page of 20, GET, response cache hit",
            "hub-cached",
            Request.graphql(PAGE_QUERY, "ServicePage", page, persisted=True, method="GET"),
            "c-page",
        ),
    ]


def _check_same(cases: list[Case], servers: dict[str, Server]) -> None:
    """Every GraphQL case answers exactly what its raw ceiling answers, without errors."""
    reference: dict[str, Any] = {}
    for case in cases:
        body = _fetch_json(servers[case.server].base, case.request)
        if case.server == "raw":
            reference[case.key] = body
            continue
        if "errors" in body:
            raise SetupError(f"{case.label}: errors {body['errors']}")
        expected = reference[case.ceiling or ""]
        if body != expected:
            raise SetupError(
                f"{case.label}: the GraphQL body differs from the raw one; the ceiling must do "
                f"the same work.\n graphql: {_compact(body)[:800]}\n raw:     "
                f"{_compact(expected)[:800]}"
            )


def _start_servers(
    args: argparse.Namespace, data_dir: Path, logs: Path, servers: dict[str, Server]
) -> None:
    """The ceiling, the hub, and the hub with its document cache off, one after the other
    (the first hub to start may rebuild the search index; the second then finds it fresh)."""
    serve = ["serve", "--no-seed", "--host", HOST, "--workers", "1", "--port"]
    plan = [
        (
            "raw",
            args.raw_port,
            [sys.executable, str(BENCH / "raw_app.py"), "--host", HOST, "--port"],
            {},
        ),
        ("hub", args.port, _hub(*serve), {"HUB_RESPONSE_CACHE_BYTES": "0"}),
        (
            "hub-nocache",
            args.nocache_port,
            _hub(*serve),
            {"HUB_DOCUMENT_CACHE_SIZE": "0", "HUB_RESPONSE_CACHE_BYTES": "0"},
        ),
        ("hub-cached", args.cached_port, _hub(*serve), {}),
    ]
    for name, port, argv, env in plan:
        _port_free(port)
        servers[name] = _start(name, [*argv, str(port)], _child_env(data_dir, **env), port, logs)
        _wait_ready(servers[name])


def _median(runs: list[Result]) -> Result:
    def mid(attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in runs))

    first = runs[0]
    graphql_errors = [r.graphql_errors for r in runs if r.graphql_errors is not None]
    return Result(
        key=first.key,
        label=first.label,
        rps=mid("rps"),
        p50_ms=mid("p50_ms"),
        p90_ms=mid("p90_ms"),
        p99_ms=mid("p99_ms"),
        max_ms=max(r.max_ms for r in runs),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        graphql_errors=sum(graphql_errors) if graphql_errors else None,
        server_cpu_ms=mid("server_cpu_ms"),
        busy_elsewhere=max(r.busy_elsewhere for r in runs),
        ceiling=first.ceiling,
        wrk={"rounds": [r.wrk for r in runs]},
    )


def _ratio(results: dict[str, Result]) -> None:
    for result in results.values():
        if result.ceiling and result.ceiling in results and results[result.ceiling].rps:
            result.ratio = result.rps / results[result.ceiling].rps


def _report(results: dict[str, Result], args: argparse.Namespace, subject: Subject) -> None:
    print()
    print(
        f"hub GraphQL vs raw Starlette — 1 uvicorn worker each, wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s over {HOST}, {os.cpu_count()} CPUs; "
        f"medians of {args.rounds} rounds"
    )
    print(f"(a) uses service {subject.code}: {subject.materials} materials, {subject.forms} forms")
    print()
    header = (
        f"{'case':<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7} {'errors':>6} "
        f"{'/ceiling':>8} {'other':>6}"
    )
    print(header)
    print("-" * len(header))
    order = ["c-detail", "a-post", "a-get", "a-nocache", "a-cached"]
    order += ["c-page", "b-post", "b-nocache", "b-cached"]
    for key in order:
        r = results.get(key)
        if r is None:
            continue
        errors = r.errors + int(r.graphql_errors or 0)
        ratio = f"{r.ratio:8.2f}" if r.ratio is not None else f"{'—':>8}"
        mark = "*" if r.busy_elsewhere > _BUSY_ELSEWHERE else " "
        print(
            f"{r.label:<44} {r.rps:7.0f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.server_cpu_ms:7.2f} "
            f"{errors:6d} {ratio} {r.busy_elsewhere:5.2f}{mark}"
        )
    print(
        "CPU ms: server process CPU per request (all threads). other: CPUs used meanwhile by "
        "processes\nother than the server and wrk; * marks a row above "
        f"{_BUSY_ELSEWHERE} (the machine was busy: rerun)."
    )
    print()
    a, b = results.get("a-post"), results.get("b-post")
    if a is not None and a.ratio is not None:
        verdict = "met" if a.ratio >= TARGET_DETAIL_RATIO else "MISSED"
        print(
            f"target (a)/(c) >= {TARGET_DETAIL_RATIO} with persisted queries: "
            f"{a.ratio:.2f} — {verdict}"
        )
    if b is not None and b.ratio is not None:
        verdict = "met" if b.ratio >= TARGET_PAGE_RATIO else "MISSED"
        print(f"target (b)/(c) >= {TARGET_PAGE_RATIO} on a miss: {b.ratio:.2f} — {verdict}")
    for miss, hit in (("a-get", "a-cached"), ("b-post", "b-cached")):
        m, h = results.get(miss), results.get(hit)
        if m is not None and h is not None and m.rps and m.server_cpu_ms:
            print(
                f"response cache, {h.label.split(',')[0]}: hit/miss req/s {h.rps / m.rps:.1f}x, "
                f"CPU ms {h.server_cpu_ms:.2f} vs {m.server_cpu_ms:.2f}"
            )
    if b is not None:
        verdict = "met" if b.p99_ms < TARGET_PAGE_P99_MS else "MISSED"
        print(
            f"target (b) p99 < {TARGET_PAGE_P99_MS:.0f} ms at {args.connections} clients: "
            f"{b.p99_ms:.1f} ms — {verdict}"
        )
    nb = results.get("b-nocache")
    na = results.get("a-nocache")
    if na is not None and na.ratio is not None and nb is not None:
        print(
            f"caches off: (a)/(c) {na.ratio:.2f}, (b)/(c) {nb.ratio or 0:.2f}, "
            f"(b) p99 {nb.p99_ms:.1f} ms"
        )
    if any(r.errors or r.graphql_errors for r in results.values()):
        print("WARNING: some requests failed (see the errors column); figures are suspect.")


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "hub"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() + ("+dirty hub/" if dirty.stdout.strip() else "")


def run(args: argparse.Namespace) -> dict[str, Result]:
    wrk = _ensure_wrk()
    data_dir = Path(args.data_dir).resolve()
    published = _prepare_data(data_dir, args.fresh)
    subject = _pick_service(data_dir / "hub.sqlite3", args.code)
    print(
        f"{published} published services; (a) asks for {subject.code} "
        f"({subject.materials} materials, {subject.forms} forms)",
        flush=True,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    logs = RESULTS / "logs"
    logs.mkdir(exist_ok=True)
    cases = _cases(subject.code)
    rounds: dict[str, list[Result]] = {case.key: [] for case in cases}
    servers: dict[str, Server] = {}
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as bodies:
        load = Load(
            wrk,
            args.duration,
            args.warmup,
            args.connections,
            args.threads,
            Path(bodies),
            args.settle,
        )
        try:
            _start_servers(args, data_dir, logs, servers)
            for hub in (servers["hub"].base, servers["hub-cached"].base):
                _register(hub, DETAIL_QUERY, "ServiceDetail", {"code": subject.code})
                _register(hub, PAGE_QUERY, "ServicePage", {"first": PAGE_SIZE})
            _check_same(cases, servers)
            for round_ in range(1, args.rounds + 1):
                print(f"\nround {round_} of {args.rounds}", flush=True)
                for case in cases:
                    rounds[case.key].append(load.measure(case, servers[case.server]))
        finally:
            for server in reversed(servers.values()):
                server.stop()
    results = {key: _median(runs) for key, runs in rounds.items()}
    _ratio(results)
    _report(results, args, subject)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "commit": _git_commit(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "settings": {
                    "duration_s": args.duration,
                    "rounds": args.rounds,
                    "warmup_s": args.warmup,
                    "connections": args.connections,
                    "threads": args.threads,
                    "settle_s": args.settle,
                    "published_services": published,
                    "detail_service": asdict(subject),
                },
                "results": {k: asdict(v) for k, v in results.items()},
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nfigures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds measured per case")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all cases; medians")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of load before each case")
    parser.add_argument(
        "--settle",
        type=float,
        default=10,
        help="before each case, wait up to this many seconds for other processes to go quiet",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8710, help="hub serve")
    parser.add_argument("--raw-port", type=int, default=8711, help="bench/raw_app.py")
    parser.add_argument(
        "--nocache-port", type=int, default=8712, help="hub serve, HUB_DOCUMENT_CACHE_SIZE=0"
    )
    parser.add_argument(
        "--cached-port", type=int, default=8714, help="hub serve with the response cache on"
    )
    parser.add_argument(
        "--data-dir",
        default=str(RESULTS / "graphql-data"),
        help="seeded here with `hub seed` unless it already holds a seeded city",
    )
    parser.add_argument("--fresh", action="store_true", help="delete --data-dir and seed anew")
    parser.add_argument("--code", help="service code for (a); default: a typical one with forms")
    parser.add_argument("--out", default=str(RESULTS / "graphql_bench.json"))
    args = parser.parse_args(argv)
    try:
        run(args)
    except SetupError as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
