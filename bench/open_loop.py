"""The city's day, the open loop: a fixed-rate scheduler, its runner, and the latencies.

**Method.** Requests arrive at a fixed rate whatever the latency (an open loop, as users do):
each level's send times are drawn in advance, a Poisson process per operation at its rate,
and each request is launched at its time on one asyncio + httpx client, at most
``--max-inflight`` at once (one more is refused and counted as an error, as is a timeout).
Latency runs from the *scheduled* time, so a slow server shows up as latency instead of as
fewer requests (no coordinated omission). A send later than 5 ms after its time is counted
as generator lag: when many are, the figures are the client's fault. Each level runs
``--warmup`` s unmeasured, then ``--duration`` s measured; the in-flight requests are awaited.
``--find-max`` then searches multiples of the peak for the highest rate whose p99 (whole mix)
stays under 200 ms with no error: doubling from the best level that passed until one fails,
then bisecting, at most ``--max-probes`` runs of ``--probe-duration`` s.

The operations and their rates are ``bench/city_mix.py``'s. The server's CPU and RSS (and
PostgreSQL's and Redis's CPU) are read from ``/proc`` when a level's measured seconds start
and end. ``connected`` opens the clients, ``measure`` runs the levels and the ``--find-max``
probes, printing each as it ends. A long run (the soak, ``bench/soak.py``) also reads the RSS
every ``sample_s`` s, keeps p99 per minute, and refreshes the signed-in chains' tokens every 2
minutes (a relying party's token lives 5).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import math
import random
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import graphql_bench as gb  # noqa: E402
import httpx  # noqa: E402
import sso_setup as sso  # noqa: E402
from city_mix import MIX, OPS, Plan, _one  # noqa: E402
from graphql_bench import HOST, Server, SetupError  # noqa: E402
from sso_load import _NoCookies  # noqa: E402

P99_MS, LAG_MS = 200.0, 5.0
REFRESH_S = 120.0  # a long run refreshes the chains' tokens this often


def _processes(pgid: int) -> tuple[list[int], int]:
    """The server's process group (uvicorn's supervisor and its workers), and the CPU ticks of
    every PostgreSQL and Redis process on the machine (others' included)."""
    pids, db = [], 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            name, rest = text.split("(", 1)[1].rsplit(")", 1)
            fields = rest.split()
            if int(fields[2]) == pgid:
                pids.append(int(stat.parent.name))
            elif name.startswith(("postgres", "redis-server")):
                db += int(fields[11]) + int(fields[12])
    return pids, db


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """``VmRSS`` (all), ``RssAnon`` (the heap: what a leak grows) or ``RssFile`` (mapped
    files, e.g. the search index's segments: the kernel takes such pages back when short)."""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        return int(next(x for x in lines if x.startswith(f"{field}:")).split()[1]) / 1024
    return 0.0


def _memory_mb(server: Server) -> tuple[float, float, float]:
    """The server's RSS, anonymous and file-backed parts, over its processes."""
    pids, _ = _processes(server.process.pid)
    return tuple(  # type: ignore[return-value]
        sum(_rss_mb(p, field) for p in pids) for field in ("VmRSS", "RssAnon", "RssFile")
    )


Usage = tuple[float, int, int, int, int, float, dict[int, int]]


def _usage(server: Server) -> Usage:
    """When; ticks of the server, this process, PostgreSQL + Redis, all CPUs; RSS; the
    server's ticks by process (to see whether several workers share the load)."""
    pids, db = _processes(server.process.pid)
    each = {p: gb._ticks_of(p) for p in pids}
    rss = sum(_rss_mb(p) for p in pids)
    now = time.monotonic()
    return now, sum(each.values()), gb._ticks_of_self(), db, gb._ticks_busy(), rss, each


def settle(server: Server, limit: float) -> None:
    """Wait up to ``limit`` s for the server to idle (under 0.1 CPU for 3 s): after a seed or
    a reindex it embeds passages for semantic search in the background."""
    deadline, quiet, told = time.monotonic() + limit, 0, False
    while time.monotonic() < deadline and quiet < 3:
        before = _usage(server)[1]
        time.sleep(1.0)
        busy = (_usage(server)[1] - before) / gb._HZ
        quiet = quiet + 1 if busy < 0.1 else 0
        if not quiet and not told:
            print(f"waiting up to {limit:.0f} s for the server to idle ({busy:.1f} CPUs) …")
            told = True
    if quiet < 3:
        print(f"WARNING: the server is still busy after {limit:.0f} s; measuring anyway")


def _arrivals(
    rates: dict[str, float], start: float, end: float, least: int, rng: random.Random
) -> list[tuple[float, str]]:
    """Poisson send times per operation in [start, end); at least ``least`` each."""
    out = []
    for key, rate in rates.items():
        times, t = [], start + (rng.expovariate(rate) if rate > 0 else end)
        while t < end:
            times.append(t)
            t += rng.expovariate(rate)
        times += [rng.uniform(start, end) for _ in range(least - len(times))]
        out += [(t, key) for t in times]
    return sorted(out)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def _minutes(
    done: list[tuple[float, float]], missed: list[float], seconds: float
) -> list[dict[str, Any]]:
    """Good answers, errors (those with a send time), p50 and p99 per minute of send time."""
    n = max(1, math.ceil(seconds / 60))
    ok: list[list[float]] = [[] for _ in range(n)]
    bad = [0] * n
    for when, latency in done:
        ok[min(n - 1, max(0, int(when // 60)))].append(latency)
    for when in missed:
        bad[min(n - 1, max(0, int(when // 60)))] += 1
    return [
        {
            "minute": i + 1,
            "ok": len(ok[i]),
            "errors": bad[i],
            "p50_ms": 1000 * _pct(ok[i], 0.5),
            "p99_ms": 1000 * _pct(ok[i], 0.99),
        }
        for i in range(n)
    ]


async def _refresh(plan: Plan) -> None:
    """The signed-in chains' tokens, fresh: userinfo and introspection draw from them."""
    for chain in plan.chains:
        await asyncio.to_thread(sso.refresh_sync, plan.base, plan.rp, chain)
        plan.tokens.append((time.monotonic(), chain.access))


async def run_level(
    args: argparse.Namespace,
    plan: Plan,
    http: httpx.AsyncClient,
    server: Server,
    factor: float,
    seconds: float,
    sample_s: float = 0.0,
) -> dict[str, Any]:
    """One level: ``factor`` × the peak of every operation, open loop, measured ``seconds``.
    With ``sample_s``: also the RSS every ``sample_s`` s and the figures per minute (a soak)."""
    await _refresh(plan)  # a few fresh tokens, whatever the sign-in rate
    rates = {op.key: op.peak * factor for op in MIX}
    end = args.warmup + seconds
    arrivals = _arrivals(rates, 0, args.warmup, 0, plan.rng)
    arrivals += _arrivals(rates, args.warmup, end, args.min_per_op, plan.rng)
    arrivals.sort()
    loop = asyncio.get_running_loop()
    latency: dict[str, list[float]] = {op.key: [] for op in MIX}
    errors: Counter[str] = Counter()
    launched: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {op.key: Counter() for op in MIX}
    lags: list[float] = []
    inflight, tasks = 0, set[asyncio.Task[None]]()
    usage: list[Usage] = []
    # with sample_s: (s into the measured window, RSS MB), (send time into it, latency s) of
    # the good answers, and the send times of the errors
    memory: list[tuple[float, tuple[float, float, float]]] = []
    done: list[tuple[float, float]] = []
    missed: list[float] = []

    def fail(key: str, why: str, when: float | None = None) -> None:
        errors[key] += 1
        reasons[key][why[:160]] += 1
        if sample_s and when is not None:
            missed.append(when)

    async def fire(key: str, at: float, measured: bool) -> None:
        nonlocal inflight
        inflight += 1
        lag = loop.time() - at
        try:
            bad = await _one(plan, http, key)
        finally:
            inflight -= 1
        if measured:
            lags.append(lag)
            if bad is None:
                latency[key].append(loop.time() - at)
                if sample_s:
                    done.append((at - start - args.warmup, latency[key][-1]))
            else:
                fail(key, bad, at - start - args.warmup)

    async def watch() -> None:
        """The RSS every ``sample_s`` s until the last send; the chains' tokens kept fresh."""
        zero, refreshed, k = start + args.warmup, loop.time(), 1
        while zero + k * sample_s < start + end - 1:  # the end's sample follows
            await asyncio.sleep(max(0.0, zero + k * sample_s - loop.time()))
            memory.append((loop.time() - zero, await asyncio.to_thread(_memory_mb, server)))
            if loop.time() - refreshed > REFRESH_S:
                refreshed = loop.time()
                try:
                    await _refresh(plan)
                except (SetupError, httpx.HTTPError) as exc:
                    print(f"WARNING: refreshing the chains' tokens failed: {exc}", flush=True)
            k += 1

    async def sample() -> None:
        await asyncio.sleep(max(0.0, start + args.warmup - loop.time()))
        usage.append(_usage(server))
        if sample_s:
            memory.append((0.0, _memory_mb(server)))
            await watch()
        await asyncio.sleep(max(0.0, start + end - loop.time()))
        usage.append(_usage(server))
        if sample_s:
            memory.append((loop.time() - start - args.warmup, _memory_mb(server)))

    start = loop.time() + 0.1
    sampler = loop.create_task(sample())
    for t, key in arrivals:
        delay = start + t - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        measured = t >= args.warmup
        launched[key] += measured
        if inflight >= args.max_inflight:
            if measured:
                fail(key, f"refused: {args.max_inflight} requests in flight", t - args.warmup)
            continue
        task = loop.create_task(fire(key, start + t, measured))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await sampler
    if tasks:
        await asyncio.wait(set(tasks), timeout=args.timeout + 5)
    for task in set(tasks):  # not answered in time: an error, and no load on the next level
        task.cancel()
    for key in launched:
        for _ in range(launched[key] - len(latency[key]) - errors[key]):
            fail(key, f"no answer {args.timeout + 5:.0f} s after the level's last send")
    (t0, s0, g0, d0, b0, _, each0), (t1, s1, g1, d1, b1, rss, each1) = usage
    wall = (t1 - t0) * gb._HZ
    split = sorted(((n - each0.get(p, 0)) / wall for p, n in each1.items()), reverse=True)
    ops = {}
    for op in MIX:
        got = latency[op.key]
        ops[op.key] = {
            "target_per_s": rates[op.key],
            "count": launched[op.key],
            "errors": errors[op.key],
            "p50_ms": 1000 * _pct(got, 0.5),
            "p99_ms": 1000 * _pct(got, 0.99),
            "errors_by_reason": dict(reasons[op.key].most_common(5)),
        }
    every = [x for v in latency.values() for x in v]
    sent = sum(launched.values())
    late = [x for x in lags if x > LAG_MS / 1000]
    extra: dict[str, Any] = {}
    if sample_s:
        extra["rss_samples"] = [[round(s, 1), *(round(mb, 1) for mb in mbs)] for s, mbs in memory]
        extra["minutes"] = _minutes(done, missed, seconds)
    return {
        "factor": factor,
        "seconds": seconds,
        "target_per_s": sum(rates.values()),
        "sent_per_s": sent / seconds,
        "ok_per_s": len(every) / seconds,
        "errors": sum(errors.values()),
        "p50_ms": 1000 * _pct(every, 0.5),
        "p99_ms": 1000 * _pct(every, 0.99),
        "late_sends": len(late),
        "lag_p99_ms": 1000 * _pct(lags, 0.99),
        "lag_max_ms": 1000 * max(lags, default=0.0),
        "server_cpus": (s1 - s0) / wall,
        "server_rss_mb": rss,
        "server_processes": len(each1),
        "server_split": [round(x, 2) for x in split if x >= 0.01],
        "generator_cpus": (g1 - g0) / wall,
        "db_cpus": max(0.0, (d1 - d0) / wall),  # processes that ended take their ticks
        "other_cpus": max(0.0, (b1 - b0 - (s1 - s0) - (g1 - g0) - (d1 - d0)) / wall),
        "ops": ops,
        **extra,
    }


def passed(level: dict[str, Any]) -> bool:
    return level["errors"] == 0 and level["p99_ms"] < P99_MS and level["sent_per_s"] > 0


def _print_level(level: dict[str, Any]) -> None:
    late, sent = level["late_sends"], level["sent_per_s"] * level["seconds"]
    print(
        f"\n{level['factor']:.0%} of peak: target {level['target_per_s']:.1f} ops/s, sent "
        f"{level['sent_per_s']:.1f}/s, answered well {level['ok_per_s']:.1f}/s, errors "
        f"{level['errors']}; p50 {level['p50_ms']:.1f} ms, p99 {level['p99_ms']:.1f} ms"
        f"\n  generator lag: {late} sends over {LAG_MS:.0f} ms late (p99 "
        f"{level['lag_p99_ms']:.1f} ms, max {level['lag_max_ms']:.1f} ms)"
        f"{'  <- over 1 %: the figures are partly the client' if late > max(9, sent / 100) else ''}"
        f"\n  server {level['server_cpus']:.2f} CPUs, RSS {level['server_rss_mb']:.0f} MB "
        f"({level['server_processes']} processes: {' + '.join(map(str, level['server_split']))}"
        f"); load generator {level['generator_cpus']:.2f} "
        f"CPUs; PostgreSQL + Redis {level['db_cpus']:.2f}; other {level['other_cpus']:.2f}"
    )
    print(
        f"  {'operation':<36} {'target/s':>8} {'count':>6} {'errors':>6} {'p50 ms':>7} "
        f"{'p99 ms':>7}"
    )
    for op in MIX:
        o = level["ops"][op.key]
        print(
            f"  {op.label:<36} {o['target_per_s']:8.2f} {o['count']:6d} {o['errors']:6d} "
            f"{o['p50_ms']:7.1f} {o['p99_ms']:7.1f}"
        )
        for why, n in list(o["errors_by_reason"].items())[:2]:
            print(f"      {n} × {why}")


@contextlib.asynccontextmanager
async def connected(args: argparse.Namespace, plan: Plan) -> AsyncIterator[httpx.AsyncClient]:
    """The client, the bureaus' clients (``plan.bureaus``), and each operation sent once."""

    def connect(address: str) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=args.max_inflight, max_keepalive_connections=200)
        transport = httpx.AsyncHTTPTransport(limits=limits, local_address=address)
        jar = http.cookiejar.CookieJar(policy=_NoCookies())
        return httpx.AsyncClient(
            base_url=plan.base, timeout=args.timeout, transport=transport, cookies=jar
        )

    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(connect(HOST))
        for i in range(1, args.addresses + 1):
            plan.bureaus.append(await stack.enter_async_context(connect(f"127.0.1.{i}")))
        for key in OPS:  # each once: it answers well, and the POSTs' documents are learned
            bad = await _one(plan, client, key)
            if bad:
                raise SetupError(f"{key} does not answer well: {bad}")
        yield client


async def measure(
    args: argparse.Namespace, plan: Plan, client: httpx.AsyncClient, server: Server
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The levels, then the ``--find-max`` probes (from the levels)."""
    levels = []
    for factor in args.levels:
        levels.append(await run_level(args, plan, client, server, factor, args.duration))
        _print_level(levels[-1])
        await asyncio.sleep(args.rest)
    probes: list[dict[str, Any]] = []
    if not args.find_max:
        return levels, probes
    low = max((x["factor"] for x in levels if passed(x)), default=0.0)
    high = min((x["factor"] for x in levels if x["factor"] > low), default=None)
    while len(probes) < args.max_probes:
        if high is None:
            factor = low * 2 if low else max(args.levels) * 2
        elif not low:
            factor = high / 4
        elif high / low > 1 + args.precision:
            factor = (low * high) ** 0.5
        else:
            break
        if factor > args.max_factor:
            break
        probes.append(await run_level(args, plan, client, server, factor, args.probe_duration))
        _print_level(probes[-1])
        if passed(probes[-1]):
            low = factor
        else:
            high = factor
        await asyncio.sleep(args.rest)
    return levels, probes
