"""The city's day: an open-loop load test of hub with the mix of the source city's traffic.

    python bench/city_day.py [--levels 25,50,100,200] [--duration 60] [--find-max]
                             [--soak PERCENT [--soak-duration 600] [--soak-write-every 60]]
                             [--setup embedded|postgres] [--scale 222] [--records-scale 10]

This file is the command line, the run and the report. The method (open loop, latency from
the scheduled time, generator lag, ``--find-max``) is explained in ``bench/open_loop.py``; the
mix and its arithmetic (100 % = 96.50 operations/s, the busiest minutes of the busiest hour)
and the requests each operation sends in ``bench/city_mix.py``; the seeded city and what the
operations draw from in ``bench/city_setup.py``; the soak (``--soak``: one rate held, RSS,
p99 per minute, the catalogue rewritten by ``hub import services`` every
``--soak-write-every`` s, the search outbox drained; ``--levels ''`` for the soak alone) in
``bench/soak.py``.

Set-ups: ``embedded`` (SQLite, embedded search, 1 worker) and ``postgres`` (2 workers, Redis);
the city is seeded once at ``--scale``/``--records-scale`` and reused.

It reports; it does not judge: exit 0 whether or not the figures are good, 2 when it could not
set up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import graphql_bench as gb  # noqa: E402
import sso_setup as sso  # noqa: E402
from city_mix import BURST, MIX, PEAK, Plan  # noqa: E402
from city_setup import hub_env, make_plan, prepare  # noqa: E402
from graphql_bench import HOST, RESULTS, Server, SetupError  # noqa: E402
from open_loop import P99_MS, connected, measure, passed, settle  # noqa: E402
from soak import report, run_soak  # noqa: E402
from sso_bench import _log_problems  # noqa: E402

from hub.settings import Settings  # noqa: E402

Runs = tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]

# --------------------------------------------------------------------------- the run


async def _load(args: argparse.Namespace, plan: Plan, server: Server) -> Runs:
    """The levels, the ``--find-max`` probes, then the soak, on one set of clients."""
    async with connected(args, plan) as client:
        levels, probes = await measure(args, plan, client, server)
        soak = await run_soak(args, plan, client, server) if args.soak else None
    return levels, probes, soak


def _summary(levels: list[dict[str, Any]], probes: list[dict[str, Any]]) -> dict[str, Any]:
    if not levels and not probes:
        return {"factor": None, "ops_per_s": None}
    print(f"\nsummary (peak = {PEAK:.2f} operations/s; pass: p99 < {P99_MS:.0f} ms, 0 errors)")
    head = (
        f"{'run':<9} {'% peak':>7} {'target/s':>8} {'sent/s':>7} {'ok/s':>7} {'errors':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'late':>5} {'srv CPU':>7} {'RSS MB':>7} {'gen CPU':>7} "
        f"{'db CPU':>6} {'other':>5} pass"
    )
    print(head + "\n" + "-" * len(head))
    for name, x in [("level", x) for x in levels] + [("find-max", x) for x in probes]:
        print(
            f"{name:<9} {x['factor']:7.0%} {x['target_per_s']:8.1f} {x['sent_per_s']:7.1f} "
            f"{x['ok_per_s']:7.1f} {x['errors']:6d} {x['p50_ms']:7.1f} {x['p99_ms']:7.1f} "
            f"{x['late_sends']:5d} {x['server_cpus']:7.2f} {x['server_rss_mb']:7.0f} "
            f"{x['generator_cpus']:7.2f} {x['db_cpus']:6.2f} {x['other_cpus']:5.2f} "
            f"{'yes' if passed(x) else 'no'}"
        )
    print("\np99 ms (errors) per operation and level")
    print(f"{'operation':<36}" + "".join(f"{x['factor']:>12.0%}" for x in levels))
    for op in MIX:
        cells = [x["ops"][op.key] for x in levels]
        print(f"{op.label:<36}" + "".join(f"{c['p99_ms']:>7.0f} ({c['errors']:>2})" for c in cells))
    best = max((x for x in levels + probes if passed(x)), key=lambda x: x["factor"], default=None)
    found = {
        "factor": best["factor"] if best else None,
        "ops_per_s": best["target_per_s"] if best else None,
    }
    if best:
        print(
            f"\nhighest rate with p99 < {P99_MS:.0f} ms and 0 errors: {best['factor']:.0%} of the "
            f"peak = {best['target_per_s']:.1f} operations/s (p99 {best['p99_ms']:.1f} ms)"
        )
    else:
        print(f"\nno run kept p99 under {P99_MS:.0f} ms with 0 errors")
    return found


def run(args: argparse.Namespace) -> int:
    name = f"s{args.scale}-r{args.records_scale}"
    if args.setup == "postgres":
        args.database_url = args.database_url or (
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/city_day_{name.replace('-', '_')}"
        )
        args.workers = args.workers or 2
        args.redis_url = args.redis_url or "redis://127.0.0.1:6379/0"
        name = "pg-" + name
    args.workers = args.workers or 1
    args.data_dir = Path(args.data_dir or RESULTS / f"city-day-{name}").resolve()
    demo = Settings(_env_file=None, environment="development", demo_password=None)
    services, staff = prepare(args)
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = hub_env(args)
    gb._port_free(args.port)
    source = sso.hub_source()
    serve = ["serve", "--no-seed", "--host", HOST, "--workers", str(args.workers)]
    server = gb._start(
        f"city-day-{name}", gb._hub(*serve, "--port", str(args.port)), env, args.port, logs
    )
    try:
        gb._wait_ready(server, timeout=1800)
        plan = make_plan(args, server.base, demo.demo_password_value or "")
        settle(server, args.settle)
        log_start = server.log.stat().st_size
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        levels, probes, soak = asyncio.run(_load(args, plan, server))
        problems = _log_problems(server, log_start)
    finally:
        server.stop()
    print(
        f"\nthe city's day — {args.setup}: {'PostgreSQL' if args.database_url else 'SQLite'}, "
        f"{args.workers} worker(s){', Redis' if args.redis_url else ''}, {services:,} services, "
        f"{staff:,} staff, {os.cpu_count()} CPUs; {args.warmup} s warm-up, open loop"
    )
    found = _summary(levels, probes)
    if soak:
        report(soak)
    errors = sum(1 for line in problems if "ERROR" in line or "CRITICAL" in line)
    print(f"server log: {len(problems)} lines at WARNING or above, {errors} ERROR or CRITICAL")
    for line in problems[:5]:
        print(f"  {line[:300]}")
    print(f"POST documents taught by the APQ fallback (first use, a new worker): {plan.relearned}")
    print(
        f"hub/ source fingerprint {source}"
        + (" (changed during the run!)" if sso.hub_source() != source else "")
    )
    out = Path(args.out or RESULTS / f"city_day{'_postgres' if args.database_url else ''}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "commit": gb._git_commit(),
                "cpus": os.cpu_count(),
                "settings": settings,
                "hub_source": source,
                "city": {"services": services, "staff": staff},
                "mix": [{**asdict(op), "peak_per_s": op.peak} for op in MIX],
                "burst": BURST,
                "levels": levels,
                "find_max": {"probes": probes, **found},
                "soak": soak,
                "log_problems": problems,
                "relearned": plan.relearned,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nfigures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--setup", choices=("embedded", "postgres"), default="embedded")
    add("--levels", default="25,50,100,200", help="percentages of the peak, comma-separated")
    add("--duration", type=float, default=60, help="seconds measured per level")
    add("--warmup", type=float, default=5, help="seconds unmeasured before each level")
    add("--settle", type=float, default=600, help="wait up to this for the server to idle")
    add("--rest", type=float, default=3, help="seconds idle between levels")
    add("--find-max", action="store_true", help="search for the highest passing rate")
    add("--probe-duration", type=float, default=30, help="seconds measured per find-max run")
    add("--max-probes", type=int, default=7, help="find-max runs at most")
    add("--max-factor", type=float, default=64, help="find-max tries at most this × peak")
    add("--precision", type=float, default=0.1, help="find-max stops at high/low below 1+this")
    add("--soak", type=float, default=None, metavar="PERCENT", help="then hold this %% of the peak")
    add("--soak-duration", type=float, default=600, help="seconds measured in the soak")
    add(
        "--soak-write-every",
        type=float,
        default=60,
        help="seconds between the soak's catalogue imports (hub import services; 0: none)",
    )
    add("--min-per-op", type=int, default=1, help="each operation at least this often a level")
    add("--addresses", type=int, default=32, help="sign-ins come from 127.0.1.1 … this")
    add("--max-inflight", type=int, default=2000, help="more in flight is refused: an error")
    add("--timeout", type=float, default=10, help="seconds before a request is an error")
    add("--zipf", type=float, default=1.0, help="exponent of the popularity of items")
    add("--seed", type=int, default=2026, help="for the schedule and the draws")
    add("--scale", type=int, default=222, help="hub seed --scale (222: 100,000 services)")
    add("--records-scale", type=int, default=10, help="hub seed --records-scale (10: 1,000,000)")
    add("--fresh", action="store_true", help="seed anew (drops a city_day… database)")
    add("--data-dir", default=None, help="default bench/results/city-day-[pg-]s<S>-r<R>/")
    add("--database-url", default=None, help="postgres: default …/city_day_s<S>_r<R>")
    add("--redis-url", default=None, help="postgres: default redis://127.0.0.1:6379/0")
    add("--workers", type=int, default=None, help="default 1 (embedded), 2 (postgres)")
    add("--port", type=int, default=8800, help="hub serve (8800-8899)")
    add("--out", default=None, help="default bench/results/city_day[_postgres].json")
    args = parser.parse_args(argv)
    args.levels = [float(x) / 100 for x in args.levels.split(",") if x.strip()]
    if not args.levels and args.soak is None:
        parser.error("nothing to run: --levels is empty and there is no --soak")
    if args.find_max and not args.levels:
        parser.error("--find-max starts from the levels: give --levels")
    if args.soak is not None and not (args.soak > 0 and args.soak_duration > 0):
        parser.error("--soak and --soak-duration must be above 0")
    if args.soak_write_every < 0:
        parser.error("--soak-write-every is 0 (no writes) or more")
    if not 0 <= args.addresses <= 254:
        parser.error("--addresses is 0 to 254")
    if args.levels and args.warmup + max(args.duration, args.probe_duration) > 240:
        parser.error("--warmup + --duration above 240 s: a relying party's token lives 5 min")
    try:
        return run(args)
    except SetupError as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
