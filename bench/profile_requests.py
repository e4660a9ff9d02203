"""Where a request's CPU goes: the real app in-process, profiled with pyinstrument.

Builds ``hub.app.create_app(settings)`` under ``asgi_lifespan.LifespanManager`` on a seeded
SQLite data directory (seeded once, as ``hub serve`` seeds an empty database) and sends the
requests of ``bench/graphql_bench.py`` through ``httpx.ASGITransport``: no server, no network.
Per case: a warm-up; a timed pass (CPU ms per request from ``time.process_time``); a counting
pass (SQL statements, aiosqlite thread handoffs); a pass, three times as long, under a plain
CPU-time sampler (SIGPROF: no per-call hook, so call-heavy code is not inflated); and a pass
under pyinstrument (its call tree, top self-time frames, HTML report). Each sample's time goes
to a bucket by the file of its innermost Python frame (a C function's to its caller's file).

    python bench/profile_requests.py [--requests 300] [--warmup 50] [--case detail ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import sys
import sysconfig
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

# The same documents, service choice and request bodies as the wrk benchmark.
import graphql_bench as gb  # noqa: E402
from graphql_bench import Request, SetupError  # noqa: E402

# Tables only the background workers poll (as tests/conftest.py's StatementCounter).
BACKGROUND = ("search_", "zero_result_query", "sso_logout")
IDLE, CLIENT, OTHER = "idle: loop waits (epoll)", "client: httpx + this script", "other"
HTTP, ENDPOINT = "HTTP: Starlette + middleware", "hub endpoint, params, persisted, cost"
PARSE, EXECUTE = "graphql-core parse + validate (miss)", "graphql-core execute"
STRAWBERRY, RESOLVERS = "strawberry resolver wrappers", "hub resolvers + DataLoaders"
SQL, ORM = "SQLAlchemy: build, cache key, execute", "ORM: hydrate rows, attribute access"
BRIDGE, LOOP, JSONB = "aiosqlite + greenlet (handoffs)", "asyncio event loop", "JSON module"
BUCKETS: tuple[str, ...] = (HTTP, ENDPOINT, PARSE, EXECUTE, STRAWBERRY, RESOLVERS, SQL, ORM)
BUCKETS += (BRIDGE, LOOP, JSONB, OTHER, CLIENT)
_ORM = ("loading", "state", "attributes", "instrumentation", "identity", "strategies")
# First match wins, on the path relative to site-packages, the checkout or the stdlib.
PREFIXES = {
    CLIENT: ("httpx/", "httpcore/", "bench/profile_requests.py"),
    HTTP: ("starlette/", "anyio/", "hub/app.py", "hub/http/middleware.py", "hub/http/guard.py"),
    ENDPOINT: ("hub/http/", "hub/auth/", "hub/metrics.py", "hub/logs.py", "prometheus_client/"),
    EXECUTE: ("graphql/",),
    RESOLVERS: ("strawberry/dataloader.py", "hub/", "bench/raw_app.py"),
    STRAWBERRY: ("strawberry/",),
    BRIDGE: ("aiosqlite/", "greenlet/", "sqlalchemy/dialects/sqlite/", "sqlalchemy/util/conc"),
    ORM: (*(f"sqlalchemy/orm/{m}.py" for m in _ORM), "sqlmodel/main.py", "sqlmodel/_c", "pydantic"),
    SQL: ("sqlalchemy/", "sqlmodel/"),
    LOOP: ("stdlib/asyncio/", "stdlib/selectors.py"),
    JSONB: ("stdlib/json/",),
}
_FIRST = (CLIENT, HTTP, ENDPOINT, EXECUTE, RESOLVERS, STRAWBERRY, BRIDGE, ORM, SQL, LOOP, JSONB)
ORDER = [(prefix, bucket) for bucket in _FIRST for prefix in PREFIXES[bucket]]
# Whole subtrees that override the leaf's file: the document cache's miss path, and the
# per-request cost walk for documents whose page sizes are variables.
SUBTREES = {("hub/http/documents.py", "_prepare"): PARSE}
SUBTREES[("hub/http/documents.py", "check_cost")] = ENDPOINT
_STDLIB = sysconfig.get_paths()["stdlib"].rstrip("/") + "/"


def short(path: str) -> str:
    if "/site-packages/" in path:
        return path.rsplit("/site-packages/", 1)[1]
    if path.startswith(f"{gb.ROOT}/"):
        return path[len(str(gb.ROOT)) + 1 :]
    return "stdlib/" + path[len(_STDLIB) :] if path.startswith(_STDLIB) else path


def classify(stack: list[tuple[str, str]]) -> tuple[str, str]:
    """The bucket of one sample (frames outermost first, each (function, file)), and where it
    is as ``file:function``, with the C function a Python frame was in after an arrow."""
    real = [(fn, short(path)) for fn, path in stack if path and not path.startswith("<")]
    if not real:
        return OTHER, "?"
    function, path = real[-1]
    leaf = stack[-1][0] if stack[-1][1].startswith("<") else ""
    where = f"{path}:{function}" + (f" → {leaf}" if leaf else "")
    if path == "stdlib/selectors.py" and function == "select":
        return IDLE, where
    for frame in real:
        if frame[::-1] in SUBTREES:
            return SUBTREES[frame[::-1]], where
    return next((b for p, b in ORDER if path.startswith(p)), OTHER), where


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    app: str  # "hub", "hub-nocache" or "raw"
    request: Request
    register: bytes | None = None  # the Apollo handshake that stores the query under its hash


def cases(code: str) -> list[Case]:
    first = gb.PAGE_SIZE
    d = (gb.DETAIL_QUERY, "ServiceDetail", {"code": code})
    p = (gb.PAGE_QUERY, "ServicePage", {"first": first})

    def handshake(query: str, operation: str, variables: dict[str, Any]) -> bytes:
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": gb._sha(query)}}
        body = {"query": query, "operationName": operation, "variables": variables}
        return gb._compact({**body, "extensions": extensions}).encode()

    q, raw = Request.graphql, "/raw/service"
    return [
        Case("detail", "detail, persisted hash", "hub", q(*d, persisted=True), handshake(*d)),
        Case("page", "page of 20, persisted hash", "hub", q(*p, persisted=True), handshake(*p)),
        Case("detail-nocache", "detail, text, cache off", "hub-nocache", q(*d, persisted=False)),
        Case("page-nocache", "page of 20, text, cache off", "hub-nocache", q(*p, persisted=False)),
        Case("raw-detail", "raw Starlette detail", "raw", Request("GET", f"{raw}/{code}")),
        Case("raw-page", "raw Starlette page", "raw", Request("GET", f"{raw}s?first={first}")),
    ]


def make_settings(data_dir: Path, *, document_cache: bool) -> Any:
    from hub.settings import Settings

    # Explicit values and no .env (the caller's HUB_ variables were dropped in main()); the
    # log level of graphql_bench.py's servers; no semantic search, whose background embedding
    # would count as request CPU.
    values: dict[str, Any] = dict(environment="development", data_dir=data_dir, database_url=None)
    values.update(log_level="WARNING", log_json=False, seed_on_empty=True, search_semantic=False)
    values.update(response_cache_bytes=0)  # a miss: every request computed
    return Settings(_env_file=None, document_cache_size=1024 if document_cache else 0, **values)


@contextlib.asynccontextmanager
async def client_for(kind: str, data_dir: Path) -> Any:
    import httpx
    from asgi_lifespan import LifespanManager

    if kind == "raw":
        from raw_app import create_raw_app

        app = create_raw_app(make_settings(data_dir, document_cache=True))
    else:
        from hub.app import create_app

        app = create_app(make_settings(data_dir, document_cache=kind == "hub"))
    async with LifespanManager(app, startup_timeout=300, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            yield client


async def send(client: Any, method: str, path: str, body: bytes | None) -> bytes:
    headers = {"Content-Type": "application/json"} if body is not None else None
    response = await client.request(method, path, content=body, headers=headers)
    if response.status_code != 200:
        raise SetupError(f"{method} {path[:60]} answered {response.status_code}: {response.text}")
    return bytes(response.content)


async def loop(client: Any, request: Request, n: int) -> None:
    for _ in range(n):
        await send(client, request.method, request.path, request.body)


@dataclass
class Timing:
    cpu_ms: float  # process CPU per request, all threads
    loop_ms: float  # the event-loop thread's CPU per request
    wall_ms: float
    other_cpus: float  # CPUs busy meanwhile outside this process (load from elsewhere)
    gc_ms: float  # in the cyclic garbage collector, per request (wall; it is CPU-bound)
    gc_runs: list[int]  # collections of generations 0, 1 and 2 over the pass


async def timed(client: Any, request: Request, n: int) -> Timing:
    spent, runs = [0.0, 0.0], [0, 0, 0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            spent[1] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - spent[1]
            runs[info["generation"]] += 1

    gc.callbacks.append(on_gc)
    busy, cpu, main = gb._ticks_busy(), time.process_time(), time.thread_time()
    wall = time.perf_counter()
    await loop(client, request, n)
    wall = time.perf_counter() - wall
    cpu, main = time.process_time() - cpu, time.thread_time() - main
    gc.callbacks.remove(on_gc)
    elsewhere = max(0.0, (gb._ticks_busy() - busy) / gb._HZ - cpu) / wall
    per = 1000 / n
    return Timing(cpu * per, main * per, wall * per, elsewhere, spent[0] * per, runs)


@contextlib.contextmanager
def counting() -> Iterator[Counter[str]]:
    """Counts SQL statements (but the background workers'), aiosqlite thread handoffs, values
    graphql-core completes (its ``is_awaitable`` calls) and objects left as cyclic garbage."""
    import aiosqlite.core
    import graphql.execution.executor as executor
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts: Counter[str] = Counter()
    original, is_awaitable = aiosqlite.core.Connection._execute, executor.default_is_awaitable

    async def _execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counts["handoffs"] += 1
        return await original(self, fn, *args, **kwargs)

    def counted(value: Any) -> Any:
        counts["values"] += 1
        return is_awaitable(value)

    def on_sql(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts["statements"] += not any(table in statement for table in BACKGROUND)

    aiosqlite.core.Connection._execute = _execute  # type: ignore[method-assign]
    executor.default_is_awaitable = counted  # type: ignore[assignment]
    event.listen(Engine, "before_cursor_execute", on_sql)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds goes to gc.garbage, to count
    try:
        yield counts
    finally:
        gc.collect()
        counts["cyclic garbage"] = len(gc.garbage)
        gc.set_debug(0)
        gc.garbage.clear()
        aiosqlite.core.Connection._execute = original  # type: ignore[method-assign]
        executor.default_is_awaitable = is_awaitable
        event.remove(Engine, "before_cursor_execute", on_sql)


@contextlib.contextmanager
def cpu_sampler(interval: float) -> Iterator[list[list[tuple[str, str]]]]:
    """SIGPROF after each ``interval`` s of the process's CPU (all threads; Linux delivers it
    at the scheduler tick, so about every 4 ms at HZ=250); the handler, on the loop thread,
    notes its Python stack. Each sample stands for an equal share of the pass's CPU. CPU that
    other threads use while the loop waits in epoll counts as idle."""
    codes: list[list[Any]] = []

    def on_signal(_signum: int, frame: Any) -> None:
        stack = []
        while frame is not None:
            stack.append(frame.f_code)
            frame = frame.f_back
        codes.append(stack)

    previous = signal.signal(signal.SIGPROF, on_signal)
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    stacks: list[list[tuple[str, str]]] = []
    try:
        yield stacks
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, previous)
        stacks.extend([(c.co_name, c.co_filename) for c in reversed(s)] for s in codes)


def buckets_of(samples: list[tuple[list[tuple[str, str]], float]], n: int) -> dict[str, Any]:
    """ms per request by bucket and by frame, from (stack, seconds) samples."""
    buckets: defaultdict[str, float] = defaultdict(float)
    frames: defaultdict[str, float] = defaultdict(float)
    for stack, seconds in samples:
        bucket, where = classify(stack)
        buckets[bucket] += 1000 * seconds / n
        if bucket != IDLE:
            frames[where] += 1000 * seconds / n
    idle = buckets.pop(IDLE, 0.0)
    top = sorted(frames.items(), key=lambda item: -item[1])[:10]
    found = {"buckets": {b: buckets.get(b, 0.0) for b in BUCKETS}, "top": top}
    return {"idle_ms": idle, "busy_ms": sum(buckets.values()), **found}


async def profile(client: Any, case: Case, args: argparse.Namespace) -> dict[str, Any]:
    from pyinstrument import Profiler

    n = args.requests
    cpu = time.process_time()
    with cpu_sampler(args.interval) as stacks:
        await loop(client, case.request, 3 * n)
    cpu = time.process_time() - cpu
    sampled = buckets_of([(s, cpu / len(stacks)) for s in stacks], 3 * n)
    sampled.update(cpu_ms=1000 * cpu / (3 * n), samples=len(stacks))
    # async_mode "disabled": DataLoader batches run in tasks of their own, and the loop's work
    # between them is part of the cost; we want all of it, not only the awaiting frame.
    profiler = Profiler(interval=args.interval, async_mode="disabled")
    cpu = time.process_time()
    profiler.start()
    await loop(client, case.request, n)
    session = profiler.stop()
    records = [([tuple(i.split("\x00")[:2]) for i in s], t) for s, t in session.frame_records]
    pyi = buckets_of(records, n)  # type: ignore[arg-type]
    pyi.update(cpu_ms=1000 * (time.process_time() - cpu) / n, samples=len(records))
    trim = {"filter_threshold": 0.02}  # leave out frames under 2 % of the total
    print(profiler.output_text(unicode=True, color=False, show_all=False, processor_options=trim))
    if args.html:
        Path(args.html).mkdir(parents=True, exist_ok=True)
        (Path(args.html) / f"{case.key}.html").write_text(profiler.output_html())
    return {"sampler": sampled, "pyinstrument": pyi}


def report(timing: Timing, counts: dict[str, float], found: dict[str, Any]) -> None:
    s, p = found["sampler"], found["pyinstrument"]
    print(
        f"CPU {timing.cpu_ms:.2f} ms/request: loop thread {timing.loop_ms:.2f}, other threads "
        f"{timing.cpu_ms - timing.loop_ms:.2f}; wall {timing.wall_ms:.2f} ms; other processes "
        f"{timing.other_cpus:.2f} CPUs; garbage collector {timing.gc_ms:.2f} ms/request "
        f"(collections by generation {timing.gc_runs}).\nUnder the CPU sampler "
        f"{s['cpu_ms']:.2f} ms/request, under pyinstrument {p['cpu_ms']:.2f}"
    )
    print(
        "per request: " + ", ".join(f"{v:.1f} {k}" for k, v in sorted(counts.items())) + "\n"
        f"CPU while the loop waits in epoll {s['idle_ms']:.2f} ms/request (sampler); loop thread "
        f"in epoll {p['idle_ms']:.2f} ms (pyinstrument, wall)"
    )
    print(f"\n{'where the time goes (busy)':<40} {'CPU ms':>7} {'sampler':>8} {'pyinstr.':>9}")
    for bucket in BUCKETS:
        ms = s["buckets"][bucket]
        share = ms / s["busy_ms"] if s["busy_ms"] else 0.0
        other = p["buckets"][bucket] / p["busy_ms"] if p["busy_ms"] else 0.0
        print(f"  {bucket:<38} {ms:7.2f} {100 * share:7.1f}% {100 * other:8.1f}%")
    for name in ("sampler", "pyinstrument"):
        busy, count = found[name]["busy_ms"], found[name]["samples"]
        print(f"\ntop self-time frames, {name} ({busy:.2f} ms busy a request, {count} samples)")
        for where, ms in found[name]["top"]:
            print(f"  {where[-80:]:<80} {ms:6.2f} {100 * ms / busy:5.1f}%")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from hub.commands.serve import prepare

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # Seeds only an empty database; seeded, it is left alone, as `hub serve --no-seed` (the
    # benchmark's servers) would: importing the seed generator alone adds ~190,000 objects.
    seeded = gb._published_count(data_dir / "hub.sqlite3") > 0
    await prepare(make_settings(data_dir, document_cache=True), seed=not seeded)
    subject = gb._pick_service(data_dir / "hub.sqlite3", None)
    print(f"detail: service {subject.code} ({subject.materials} materials, {subject.forms} forms)")
    chosen = [c for c in cases(subject.code) if not args.case or c.key in args.case]
    results: dict[str, Any] = {}
    for kind in ("hub", "hub-nocache", "raw"):
        if not any(c.app == kind for c in chosen):
            continue
        async with client_for(kind, data_dir) as client:
            gc.collect()  # start-up's garbage (and a previous app's) first
            started = time.perf_counter()
            gc.collect()
            full, tracked = 1000 * (time.perf_counter() - started), len(gc.get_objects())
            print(f"\n{kind}: {tracked} objects tracked by gc, a full collection {full:.0f} ms")
            if args.gc_freeze:
                gc.freeze()  # what was allocated at start-up is never collected again
            for case in (c for c in chosen if c.app == kind):
                load = os.getloadavg()
                print(f"\n=== {case.label} [{case.key}], load average {load[0]:.2f}", flush=True)
                if case.register is not None:
                    await send(client, "POST", "/graphql", case.register)
                body = await send(client, case.request.method, case.request.path, case.request.body)
                if "errors" in json.loads(body):
                    raise SetupError(f"{case.label}: {body[:500]!r}")
                await loop(client, case.request, args.warmup)
                timing = await timed(client, case.request, args.requests)
                with counting() as counts:
                    await loop(client, case.request, args.count)
                per = {k: v / args.count for k, v in counts.items()}
                found = await profile(client, case, args)
                report(timing, per, found)
                results[case.key] = {"label": case.label, "load_average": load, **found}
                results[case.key].update(timing=asdict(timing), per_request=per)
    print(f"\nCPU ms/request, timed pass ({args.requests} requests, no profiler)")
    for r in results.values():
        t = r["timing"]
        print(f"  {r['label']:<32} {t['cpu_ms']:6.2f}  (loop thread {t['loop_ms']:.2f})")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="per case and pass")
    parser.add_argument("--warmup", type=int, default=50, help="requests before measuring")
    parser.add_argument("--count", type=int, default=50, help="requests in the counting pass")
    parser.add_argument("--interval", type=float, default=0.001, help="sampling interval, s")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after start-up")
    parser.add_argument("--case", action="append", choices=[c.key for c in cases("x")])
    parser.add_argument("--data-dir", default=str(RESULTS / "profile-data"))
    parser.add_argument("--html", default=str(RESULTS / "profiles"), help="'' for none")
    parser.add_argument("--out", default=str(RESULTS / "profile_requests.json"))
    args = parser.parse_args(argv)
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        del os.environ[name]  # the settings are the script's own, whatever the shell says
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    try:
        results = asyncio.run(run(args))
    except SetupError as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "requests": args.requests}
    out.write_text(json.dumps({**meta, "results": results}, indent=1, ensure_ascii=False))
    print(f"figures written to {out}; HTML profiles in {args.html or '(none)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
