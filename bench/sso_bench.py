"""hub as an OpenID Connect provider under load: what relying parties call, against hub's own
per-request check through its API in the same run.

Starts ``hub serve`` (one uvicorn worker, seeded city, SQLite unless ``--database-url``),
registers two clients with ``hub clients add`` (a relying party with openid profile posts, and
a service client with the api scope owned by the root org), signs tzcj_clerk and 16 other
seeded people in through the sign-in page with the code flow and PKCE (S256), then measures
with 16 concurrent clients over loopback:

  (a) POST /sso/introspect of the clerk's RP access token, client_secret_basic;
  (b) GET /sso/userinfo with that token;
  (c) the baseline: POST /graphql ``{ me { staff { id } } }`` with an API access token of
      the same person from the ``login`` mutation (hub's own per-request check);
  (d) POST /sso/token: refresh_token grants over 16 independent chains, each its own RP
      session (every rotation returns the next refresh token, so an asyncio + httpx load
      generator drives them), and client_credentials grants (a static body);
  (e) POST /sso/authorize: sign-in with username and password at the default argon2 cost,
      each with another seeded account (so no lockout), ``--concurrency`` at a time.

The static-body cases (a), (b), (c) and client_credentials run under ``wrk`` with
``bench/wrk/expect.lua``, which also counts answers that are not the expected good one;
``wrk`` is installed with ``apt-get`` when it is missing (as root on Debian). Rounds interleave
the cases; figures are medians, with req/s over the baseline and the headroom over the city's
300,000 identity calls a day (~3.5/s average, peaks assumed at 50/s).

    python bench/sso_bench.py [--duration 10] [--rounds 3] [--database-url URL]

This file holds the command line, the measuring of each case, the rounds, the table and the
JSON; the setup (seed, clients, sign-in flows) is in ``bench/sso_setup.py``, the cases'
requests and load generators in ``bench/sso_load.py``.

It reports; it does not judge: the exit status is 0 whether or not the figures are good, 2
when it could not set up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import graphql_bench as gb  # noqa: E402
import sso_load  # noqa: E402
import sso_setup as setup  # noqa: E402
from graphql_bench import HOST, RESULTS, Result, Server, SetupError  # noqa: E402
from sso_load import LABELS  # noqa: E402
from sso_setup import DEFAULTS, LOGIN, PERSON, SCOPE  # noqa: E402

from hub.settings import Settings  # noqa: E402

AVERAGE_RPS, PEAK_RPS = 3.5, 50.0  # the identity platform: ~300,000 calls a day, peaks ~50/s
ORDER = list(LABELS)  # the baseline right before the cases held against it


# --------------------------------------------------------------------------- measuring


def _measure(
    args: argparse.Namespace, key: str, server: Server, load: Callable[[int], dict[str, Any]]
) -> Result:
    if args.settle:
        gb._wait_for_quiet(args.settle)
    if args.warmup:
        load(args.warmup)
    before = gb._graphql_errors(server.base) if key == "me" else None
    ticks = (gb._ticks_busy(), gb._ticks_of(server.process.pid), gb._ticks_of_children())
    own = gb._ticks_of_self()
    out = load(args.duration)
    server_ticks = gb._ticks_of(server.process.pid) - ticks[1]
    wrk_ticks = gb._ticks_of_children() - ticks[2]
    own_ticks = gb._ticks_of_self() - own
    busy = gb._ticks_busy() - ticks[0] - server_ticks - wrk_ticks - own_ticks
    after = gb._graphql_errors(server.base) if key == "me" else None
    seconds = out["duration_us"] / 1e6
    requests = out["requests"]
    latency = out["latency_us"]
    socket = sum(v for k, v in out["errors"].items() if k != "status")
    generator_ticks = wrk_ticks if out["generator"] == "wrk" else own_ticks
    out["generator_cpu_ms"] = 1000 * generator_ticks / gb._HZ / requests if requests else 0.0
    out["busy_elsewhere"] = max(0.0, busy / gb._HZ / seconds) if seconds else 0.0
    result = Result(
        key=key,
        label=LABELS[key],
        rps=requests / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        requests=requests,
        errors=socket + out["unexpected"],  # unexpected: status not 200/302, or a wrong body
        graphql_errors=(after - before) if before is not None and after is not None else None,
        server_cpu_ms=1000 * server_ticks / gb._HZ / requests if requests else 0.0,
        busy_elsewhere=out["busy_elsewhere"],
        ceiling="me" if key in ("introspect", "userinfo") else None,
        wrk=out,
    )
    print(
        f"  {result.label:<36} {result.rps:7.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
        f"p99 {result.p99_ms:6.1f} ms  CPU {result.server_cpu_ms:5.2f} ms/req  "
        f"errors {result.errors}  other {result.busy_elsewhere:.2f}",
        flush=True,
    )
    if out.get("sample"):
        print(f"    first unexpected answer: {out['sample'][:400]}", flush=True)
    return result


def _round(args: argparse.Namespace, plan: sso_load.Plan, server: Server) -> dict[str, Result]:
    loads = sso_load.loads(args, plan)
    results: dict[str, Result] = {}
    for key in ORDER:
        if key in ("introspect", "userinfo"):
            setup.refresh_sync(plan.base, plan.rp, plan.person)  # a fresh 5-minute access token
        results[key] = _measure(args, key, server, loads[key])
    return results


def _log_problems(server: Server, since: int) -> list[str]:
    """Lines the server logged at WARNING or above after byte ``since`` (it runs at WARNING,
    so that is every line but the start-up banner), tracebacks included."""
    try:
        with server.log.open("rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace").splitlines()
    except OSError:
        return []


def _report(args: argparse.Namespace, results: dict[str, Result], info: dict[str, Any]) -> None:
    print(
        f"\nhub as an OpenID Connect provider — 1 uvicorn worker, {info['database']}, "
        f"{os.cpu_count()} CPUs; {args.connections} clients (sign-in: {args.concurrency}); "
        f"medians of {args.rounds} interleaved rounds of {args.duration} s"
    )
    print(
        f"(a), (b): {PERSON}'s RP access token ({SCOPE}); (c): {PERSON}'s API token; "
        f"(d) refresh: {args.chains} chains\n"
    )
    header = (
        f"{'case':<36} {'load':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7} "
        f"{'errors':>6} {'/(c)':>5} {'÷3.5/s':>7} {'÷50/s':>6} {'other':>6}"
    )
    print(header)
    print("-" * len(header))
    for key in ORDER:
        r = results[key]
        errors = r.errors + int(r.graphql_errors or 0)
        ratio = f"{r.ratio:5.2f}" if r.ratio is not None else f"{'—':>5}"
        mark = "*" if r.busy_elsewhere > gb._BUSY_ELSEWHERE else " "
        load = "wrk" if r.wrk["rounds"][0]["generator"] == "wrk" else "httpx"
        print(
            f"{r.label:<36} {load:>6} {r.rps:7.0f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} "
            f"{r.server_cpu_ms:7.2f} {errors:6d} {ratio} {r.rps / AVERAGE_RPS:7.0f} "
            f"{r.rps / PEAK_RPS:6.1f} {r.busy_elsewhere:5.2f}{mark}"
        )
    print(
        "CPU ms: server CPU per request, all threads. errors: socket errors, answers other than "
        "the good one\n(status, body), and for (c) GraphQL errors. /(c): req/s over the "
        "baseline. ÷3.5/s, ÷50/s: headroom over\nthe city's ~300,000 identity calls a day and "
        f"a 50/s peak. other: CPUs used by other processes; * above {gb._BUSY_ELSEWHERE}."
    )
    gen = {
        k: statistics.median(x["generator_cpu_ms"] for x in results[k].wrk["rounds"])
        for k in ("refresh", "sign_in")
    }
    print(
        f"The httpx load generator (this process, sharing the CPUs) used {gen['refresh']:.2f} ms "
        f"CPU per refresh and {gen['sign_in']:.2f} ms per sign-in."
    )
    me, intro, userinfo = results["me"], results["introspect"], results["userinfo"]
    print(
        f"\np50 against the API's own check (c), at the same {args.connections} clients: "
        f"introspect {intro.p50_ms - me.p50_ms:+.1f} ms, "
        f"userinfo {userinfo.p50_ms - me.p50_ms:+.1f} ms; "
        f"server CPU per request {intro.server_cpu_ms - me.server_cpu_ms:+.2f} and "
        f"{userinfo.server_cpu_ms - me.server_cpu_ms:+.2f} ms"
    )
    sign_in = results["sign_in"]
    print(
        f"sign-in: argon2id t={info['argon2']['time_cost']} m={info['argon2']['memory_kib']} KiB "
        f"p=1, one verify alone {info['argon2_verify_ms']:.1f} ms; {sign_in.rps:.1f} sign-ins/s "
        f"= {sign_in.rps * 86_400:,.0f} a day per process at full load"
    )
    twice = " (some twice: the pool ran out)" if info["sign_ins"] > info["accounts"] else ""
    print(
        f"accounts signed in: {info['sign_ins']:,} sign-ins over {info['accounts']:,} seeded "
        f"accounts{twice}"
    )
    print(
        f"refresh chains: {info['reopened']} reopened after a failed refresh, "
        f"{info['dead']} gave up"
    )
    problems = info["log_problems"]
    errors = sum(1 for line in problems if "ERROR" in line or "CRITICAL" in line)
    print(
        f"server log while measuring: {len(problems)} lines at WARNING or above, "
        f"{errors} of them ERROR or CRITICAL"
    )
    for line in problems[:5]:
        print(f"  {line[:300]}")
    print(f"hub/ source fingerprint {info['hub_source']} (compare runs only when it matches)")
    if info["hub_source_after"] != info["hub_source"]:
        print(
            f"WARNING: hub/ changed while the run went on (now {info['hub_source_after']}): "
            "modules the server imports late may be the new ones."
        )
    if any(r.errors or r.graphql_errors for r in results.values()):
        print("WARNING: some requests failed (see the errors column); figures are suspect.")


def run(args: argparse.Namespace) -> int:
    args.wrk = gb._ensure_wrk()
    args.data_dir = Path(args.data_dir).resolve()
    password = (
        args.password
        or Settings(
            _env_file=None,
            environment="development",
            demo_password=None,
        ).demo_password_value
    )
    assert password is not None
    signers = setup.prepare(args)
    print(f"{len(signers):,} seeded accounts can sign in", flush=True)
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    rp = setup.add_client(args, "sso_bench 业务系统", *(f"--scope={s}" for s in SCOPE.split()))
    root_org = None
    servers: dict[str, Server] = {}
    rounds: dict[str, list[Result]] = {key: [] for key in ORDER}
    with tempfile.TemporaryDirectory(prefix="sso-bench-") as tmp:
        args.tmp = Path(tmp)
        try:
            gb._port_free(args.port)
            source = setup.hub_source()
            serve = ["serve", "--no-seed", "--host", HOST, "--workers", "1", "--port"]
            servers["hub"] = gb._start(
                "sso-hub", gb._hub(*serve, str(args.port)), setup.env(args), args.port, logs
            )
            server = servers["hub"]
            gb._wait_ready(server, timeout=600)
            base = server.base
            root_org = setup.graphql(base, "{ rootOrg { code } }", {})["rootOrg"]["code"]
            service = setup.add_client(
                args, "sso_bench 数据接口", "--scope=api", f"--owner={root_org}"
            )
            print(
                f"clients: relying party {rp.client_id}, service {service.client_id} "
                f"(owner {root_org})",
                flush=True,
            )
            print(f"signing in {PERSON} and {args.chains} others with the code flow …", flush=True)
            person = setup.sign_in_flow(base, rp, PERSON, password)
            chains = [
                setup.sign_in_flow(base, rp, login, password) for login in signers[: args.chains]
            ]
            api_token = str(
                setup.graphql(base, LOGIN, {"input": {"loginNo": PERSON, "password": password}})[
                    "login"
                ]["accessToken"]
            )
            form, csrf = setup.sign_in_form(base, rp)
            pool = signers[args.chains :]
            plan = sso_load.Plan(
                base=base,
                rp=rp,
                service=service,
                person=person,
                api_token=api_token,
                chains=sso_load.Chains(base, rp, chains),
                sign_ins=sso_load.SignIns(base, form, csrf, password, sso_load.cycle(pool)),
            )
            sso_load.check(args, plan)
            log_start = server.log.stat().st_size
            for round_ in range(1, args.rounds + 1):
                print(f"\nround {round_} of {args.rounds}", flush=True)
                for key, result in _round(args, plan, server).items():
                    rounds[key].append(result)
            problems = _log_problems(server, log_start)
            source_after = setup.hub_source()
        finally:
            for each in servers.values():
                each.stop()
    results = {key: gb._median(runs) for key, runs in rounds.items()}
    gb._ratio(results)
    info = {
        "database": (args.database_url or "sqlite").split("://")[0].split("+")[0],
        "argon2": {
            "time_cost": DEFAULTS["argon2_time_cost"].default,
            "memory_kib": DEFAULTS["argon2_memory_kib"].default,
            "parallelism": 1,
        },
        "argon2_verify_ms": setup.argon2_alone(password),
        "sign_ins": plan.sign_ins.used,
        "accounts": len(pool),
        "reopened": plan.chains.reopened,
        "dead": plan.chains.dead,
        "log_problems": problems,
        "clients": {"relying_party": rp.client_id, "service": service.client_id},
        "hub_source": source,
        "hub_source_after": source_after,
    }
    _report(args, results, info)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        k: str(v) if isinstance(v, Path) else v
        for k, v in vars(args).items()
        if k not in ("password", "tmp", "database_url")
    }
    out.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "commit": gb._git_commit(),
                "cpus": os.cpu_count(),
                "settings": settings,
                "results": {k: asdict(v) for k, v in results.items()},
                "info": info,
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
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per case")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each case")
    parser.add_argument("--settle", type=float, default=5, help="wait up to this for quiet")
    parser.add_argument("--connections", type=int, default=16, help="clients for (a)–(d)")
    parser.add_argument("--chains", type=int, default=16, help="refresh chains for (d)")
    parser.add_argument("--concurrency", type=int, default=16, help="sign-ins in flight (e)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--port", type=int, default=8730, help="hub serve")
    parser.add_argument("--data-dir", default=str(RESULTS / "sso-data"))
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    parser.add_argument("--password", default=None, help="the seed's demo password")
    parser.add_argument("--fresh", action="store_true", help="delete --data-dir and seed anew")
    parser.add_argument("--out", default=str(RESULTS / "sso_bench.json"))
    args = parser.parse_args(argv)
    if args.warmup + args.duration > 240:
        parser.error("--warmup + --duration above 240 s: an RP access token lives 5 minutes")
    try:
        return run(args)
    except SetupError as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
