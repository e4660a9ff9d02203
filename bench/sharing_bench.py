"""verifyDatasetRecord under load: a department checks a claimed name against 户籍人口基本信息
(≥ 1,000,000 person records) through GraphQL, signed in, every call logged in the hash-chained
``dataset_access`` table; against the same database work done by hand (the ceiling).

    python bench/sharing_bench.py [--duration 10] [--rounds 3] [--fresh]

It seeds ``bench/results/sharing-data/`` with ``hub seed --scale 10`` (reused when it already
holds the records), starts ``hub serve`` (1 uvicorn worker) and ``bench/raw_sharing_app.py``,
and sets up through the public API: tzcj_clerk (投资促进局) requests 姓名 and 公民身份号码 of
户籍人口基本信息 for VERIFY, gafj_reviewer (公安分局; ``admin`` when there is none) approves.
Then wrk (16 connections, 1 thread) POSTs ``verifyDatasetRecord`` with the clerk's token, keys
drawn at random from real keys read from the SQLite file, half the claims true and half false;
the raw app gets the same bodies. Rounds interleave the two; figures are medians. Last it runs
``hub audit verify`` over the chain the run extended.

Exit status: 0 whether or not the target is met, 1 when ``hub audit verify`` finds the chain
broken, 2 when it could not set up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import graphql_bench as gb  # noqa: E402
import sharing_setup as setup  # noqa: E402
from graphql_bench import HOST, RESULTS, Result, Server, SetupError  # noqa: E402
from sharing_setup import PERSONS, REQUESTER  # noqa: E402

from hub.ids import to_global_id  # noqa: E402

LUA = BENCH / "wrk" / "random.lua"
TARGET_RATIO = 0.5
AVERAGE_RPS, PEAK_RPS = 3.5, 50.0  # the identity platform: ~300,000 calls a day, peaks ~50/s

# --------------------------------------------------------------------------- measuring


def _wrk(args: argparse.Namespace, url: str, bodies: Path, token: str, seconds: int) -> Any:
    argv = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    argv += ["--timeout", "10s", "-s", str(LUA), url, "--", str(bodies), token]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    raise SetupError(f"wrk printed no RESULT ({done.returncode}):\n{done.stdout}{done.stderr}")


def _measure(
    args: argparse.Namespace, key: str, server: Server, path: str, bodies: Path, token: str
) -> tuple[Result, int]:
    """One case: settle, warm up, measure; and the access rows written while measured."""
    url = server.base + path
    if args.settle:
        gb._wait_for_quiet(args.settle)
    if args.warmup:
        _wrk(args, url, bodies, token, args.warmup)
    db = args.data_dir / "hub.sqlite3"
    metrics = server.base if key == "hub" else None
    before = gb._graphql_errors(metrics) if metrics else None
    rows = setup.max_access_id(db)
    ticks = (gb._ticks_busy(), gb._ticks_of(server.process.pid), gb._ticks_of_children())
    own = gb._ticks_of_self()
    out = _wrk(args, url, bodies, token, args.duration)
    server_ticks = gb._ticks_of(server.process.pid) - ticks[1]
    wrk_ticks = gb._ticks_of_children() - ticks[2]
    busy = gb._ticks_busy() - ticks[0] - server_ticks - wrk_ticks - (gb._ticks_of_self() - own)
    rows = setup.max_access_id(db) - rows
    after = gb._graphql_errors(metrics) if metrics else None
    seconds = out["duration_us"] / 1e6
    latency = out["latency_us"]
    result = Result(
        key=key,
        label=LABELS[key],
        rps=out["requests"] / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        requests=out["requests"],
        errors=sum(out["errors"].values()),
        graphql_errors=(after - before) if before is not None and after is not None else None,
        server_cpu_ms=1000 * server_ticks / gb._HZ / out["requests"] if out["requests"] else 0.0,
        busy_elsewhere=max(0.0, busy / gb._HZ / seconds) if seconds else 0.0,
        ceiling="raw" if key == "hub" else None,
        wrk={**out, "access_rows": rows},
    )
    print(
        f"  {result.label:<40} {result.rps:7.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
        f"p99 {result.p99_ms:6.1f} ms  CPU {result.server_cpu_ms:5.2f} ms/req  {rows:,} rows",
        flush=True,
    )
    return result, rows


LABELS = {
    "raw": "raw Starlette, same SQL and log append",
    "hub": "verifyDatasetRecord, GraphQL, signed in",
}


# --------------------------------------------------------------------------- the run


def _report(
    args: argparse.Namespace, results: dict[str, Result], rows: dict[str, int], info: dict[str, Any]
) -> None:
    print(
        f"\n{PERSONS}: {info['records']:,} records; {info['keys']:,} keys drawn, half the claims "
        f"true; approved by {info['reviewer']}"
    )
    print(
        f"1 uvicorn worker each, wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
        f"over {HOST}, {os.cpu_count()} CPUs; medians of {args.rounds} interleaved rounds\n"
    )
    header = (
        f"{'case':<40} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7} {'errors':>6} "
        f"{'/raw':>5} {'÷3.5/s':>7} {'÷50/s':>6} {'other':>6}"
    )
    print(header)
    print("-" * len(header))
    for key in ("raw", "hub"):
        r = results[key]
        errors = r.errors + int(r.graphql_errors or 0)
        ratio = f"{r.ratio:5.2f}" if r.ratio is not None else f"{'—':>5}"
        mark = "*" if r.busy_elsewhere > gb._BUSY_ELSEWHERE else " "
        print(
            f"{r.label:<40} {r.rps:7.0f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.server_cpu_ms:7.2f} "
            f"{errors:6d} {ratio} {r.rps / AVERAGE_RPS:7.0f} {r.rps / PEAK_RPS:6.1f} "
            f"{r.busy_elsewhere:5.2f}{mark}"
        )
    print(
        "CPU ms: server CPU per request, all threads. ÷3.5/s, ÷50/s: headroom over the identity "
        "platform's\naverage (~300,000 calls a day) and peak load. other: CPUs used by other "
        f"processes; * above {gb._BUSY_ELSEWHERE}."
    )
    hub = results["hub"]
    verdict = "met" if (hub.ratio or 0) >= TARGET_RATIO else "MISSED"
    print(f"\ntarget GraphQL/raw >= {TARGET_RATIO}: {hub.ratio or 0:.2f} — {verdict}")
    for key in ("raw", "hub"):
        measured = sum(r["requests"] for r in info["rounds"][key])
        print(
            f"dataset_access rows written while measuring {key}: {rows[key]:,} "
            f"(wrk counted {measured:,} responses)"
        )
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(info["outcomes"].items()))
    print(
        f"dataset_access rows this run: {info['written']:,} ({outcomes}); {info['total']:,} in all"
    )
    if any(r.errors or r.graphql_errors for r in results.values()):
        print("WARNING: some requests failed (see the errors column); figures are suspect.")


def run(args: argparse.Namespace) -> int:
    args.wrk = gb._ensure_wrk()
    args.data_dir = Path(args.data_dir).resolve()
    dataset_pk, records = setup.prepare(args.data_dir, args.fresh, args.scale)
    db = args.data_dir / "hub.sqlite3"
    started = time.monotonic()
    sample = setup.sample(db, dataset_pk, args.keys, seed=args.seed)
    print(f"{len(sample):,} keys read in {time.monotonic() - started:.1f} s", flush=True)
    if len(sample) < 100:
        raise SetupError(f"only {len(sample)} keys of {PERSONS} found")
    reviewer = setup.REVIEWER
    if not setup.staff_exists(db, reviewer):
        reviewer = setup.FALLBACK_REVIEWER
        print(f"no staff {setup.REVIEWER} in this seed: {reviewer} (system admin) approves")
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = gb._child_env(args.data_dir, HUB_ACCESS_TOKEN_MINUTES="120")
    servers: dict[str, Server] = {}
    rounds: dict[str, list[Result]] = {"raw": [], "hub": []}
    rows = {"raw": 0, "hub": 0}
    first_row = setup.max_access_id(db)
    with tempfile.TemporaryDirectory(prefix="sharing-bench-") as tmp:
        path = Path(tmp) / "bodies.jsonl"
        dataset = to_global_id("Dataset", dataset_pk)
        bodies = setup.bodies(path, dataset, sample)
        try:
            serve = ["serve", "--no-seed", "--host", HOST, "--workers", "1", "--port"]
            raw = [sys.executable, str(BENCH / "raw_sharing_app.py"), "--host", HOST]
            plan = [
                ("hub", args.port, gb._hub(*serve, str(args.port))),
                ("raw", args.raw_port, [*raw, "--login", REQUESTER, "--port", str(args.raw_port)]),
            ]
            for name, port, argv in plan:
                gb._port_free(port)
                servers[name] = gb._start(f"sharing-{name}", argv, env, port, logs)
                gb._wait_ready(servers[name], timeout=600)
            token, grant = setup.grant(servers["hub"].base, dataset, reviewer)
            print(f"grant {grant['id']}: {', '.join(grant['fieldNames'])} {grant['accessMode']}")
            setup.check(servers, bodies, token)
            for round_ in range(1, args.rounds + 1):
                print(f"\nround {round_} of {args.rounds}", flush=True)
                for key, route in (("raw", "/raw/verify"), ("hub", "/graphql")):
                    result, written = _measure(args, key, servers[key], route, path, token)
                    rounds[key].append(result)
                    rows[key] += written
        finally:
            for server in reversed(servers.values()):
                server.stop()
    results = {key: gb._median(runs) for key, runs in rounds.items()}
    gb._ratio(results)
    info = {
        "records": records,
        "keys": len(sample),
        "reviewer": reviewer
        if reviewer == setup.REVIEWER
        else f"{reviewer} (system admin; no {setup.REVIEWER} in this seed)",
        "rounds": {k: [r.wrk for r in v] for k, v in rounds.items()},
        "outcomes": setup.outcomes(db, first_row),
        "written": setup.max_access_id(db) - first_row,
        "total": setup.max_access_id(db),
    }
    _report(args, results, rows, info)
    status, output, seconds = setup.audit(args.data_dir)
    print(f"\n$ hub audit verify  ({seconds:.1f} s, exit {status})\n{output}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    audit = {"exit": status, "output": output, "seconds": seconds}
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "commit": gb._git_commit(),
                "cpus": os.cpu_count(),
                "settings": settings,
                "results": {k: asdict(v) for k, v in results.items()},
                "access_rows": {**rows, **{k: v for k, v in info.items() if k != "rounds"}},
                "audit": audit,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nfigures written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0 if status == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per case")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each case")
    parser.add_argument("--settle", type=float, default=5, help="wait up to this for quiet")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=8720, help="hub serve")
    parser.add_argument("--raw-port", type=int, default=8721, help="bench/raw_sharing_app.py")
    parser.add_argument("--keys", type=int, default=4000, help="real keys drawn for the bodies")
    parser.add_argument("--seed", type=int, default=2026, help="for drawing the keys")
    parser.add_argument("--scale", type=int, default=10, help="hub seed --scale when seeding")
    parser.add_argument("--data-dir", default=str(RESULTS / "sharing-data"))
    parser.add_argument("--fresh", action="store_true", help="delete --data-dir and seed anew")
    parser.add_argument("--out", default=str(RESULTS / "sharing_bench.json"))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except SetupError as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
