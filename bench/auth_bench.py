"""What signing requests in costs: the per-request check, and login throughput.

Runs the real app in-process (``create_app`` with its lifespan, requests through
``httpx.ASGITransport``: no sockets, so the figures are the server's own work) over a seeded
city, and prints:

  (a) the added latency of an authenticated request: the same small public query sent
      anonymously and with a bearer token, interleaved pair by pair in random order; the
      median and p99 of each, and their differences. The target is a median under 1 ms.
  (b) the check alone: decoding the token, the one session+staff query and the grant cache,
      with the cache warm (the usual case) and cold (right after a change to the person).
  (c) login throughput at the configured argon2 cost (``HUB_ARGON2_TIME_COST``,
      ``HUB_ARGON2_MEMORY_KIB``; defaults t=2, m=19 MiB, p=1), with ``--concurrency``
      sign-ins in flight over distinct seeded accounts, and one argon2 verification alone.

It reports; it does not judge: the exit status is 0 whether or not the target is met, 2 when
it could not set up.

    python bench/auth_bench.py [--pairs 3000] [--logins 120] [--concurrency N]
                               [--data-dir DIR] [--fresh] [--database-url URL] [--out FILE]

The first run seeds ``bench/results/auth-data/`` (about 20,000 staff, a few seconds); later
runs reuse it. ``--database-url`` points it at PostgreSQL instead (migrated and seeded when
empty).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402
from sqlalchemy import text  # noqa: E402

from hub import migrate  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.auth.grants import GrantCache  # noqa: E402
from hub.auth.passwords import Passwords, demo_password_hash  # noqa: E402
from hub.auth.runtime import identity_runtime  # noqa: E402
from hub.auth.session_check import viewer_for_session  # noqa: E402
from hub.auth.tokens import read_access_token  # noqa: E402
from hub.db import create_engine  # noqa: E402
from hub.settings import Settings  # noqa: E402

TARGET_MEDIAN_MS = 1.0
QUERY = "{ rootOrg { name } }"
LOGIN = """
mutation L($login: String!, $password: String!) {
  login(input: {loginNo: $login, password: $password}) { accessToken }
}
"""


class SetupError(Exception):
    """The benchmark could not start; nothing was measured."""


@dataclass
class Spread:
    n: int
    p50_ms: float
    p99_ms: float
    mean_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Spread:
        ms = sorted(s * 1000 for s in seconds)
        return cls(
            n=len(ms),
            p50_ms=statistics.median(ms),
            p99_ms=ms[min(len(ms) - 1, int(len(ms) * 0.99))],
            mean_ms=statistics.fmean(ms),
        )


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        environment="development",
        data_dir=args.data_dir,
        database_url=args.database_url,
        log_json=False,
        log_level="WARNING",
        seed_on_empty=False,
    )


async def prepare(settings: Settings) -> None:
    """Migrate and seed when the database is empty."""
    from hub.seed.load import database_is_empty, load_seed

    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
        if await database_is_empty(engine):
            print("seeding the city (once) …", flush=True)
            password_hash = await asyncio.to_thread(demo_password_hash, settings)
            await load_seed(engine, settings, scale=1, password_hash=password_hash, progress=False)
    finally:
        await engine.dispose()


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None
) -> tuple[float, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    elapsed = time.perf_counter() - started
    body: dict[str, Any] = response.json()
    return elapsed, body


async def login(http: httpx.AsyncClient, login_no: str, password: str) -> tuple[float, str]:
    elapsed, body = await _post(http, LOGIN, {"login": login_no, "password": password}, None)
    if "errors" in body:
        raise SetupError(f"login as {login_no} failed: {body['errors'][0]['message']}")
    return elapsed, str(body["data"]["login"]["accessToken"])


async def added_latency(
    http: httpx.AsyncClient, token: str, pairs: int
) -> tuple[Spread, Spread, Spread]:
    """(anonymous, authenticated, paired difference) over ``pairs`` interleaved pairs."""
    rng = random.Random(7)
    for _ in range(300):  # warm the document cache, the pool and the grant cache
        await _post(http, QUERY, {}, None)
        await _post(http, QUERY, {}, token)
    anonymous: list[float] = []
    signed: list[float] = []
    for _ in range(pairs):
        order = [None, token]
        rng.shuffle(order)
        for who in order:
            elapsed, body = await _post(http, QUERY, {}, who)
            if "errors" in body:
                raise SetupError(f"query failed: {body['errors'][0]['message']}")
            (signed if who else anonymous).append(elapsed)
    differences = [s - a for s, a in zip(signed, anonymous, strict=True)]
    return Spread.of(anonymous), Spread.of(signed), Spread.of(differences)


async def check_alone(app: Any, token: str, n: int) -> tuple[Spread, Spread]:
    """The check without HTTP or GraphQL: warm grant cache, then a cold one each time."""
    settings: Settings = app.state.hub.settings
    engine = identity_runtime(app).engine_for_checks(app.state.hub.engine)
    warm_cache = GrantCache()
    warm: list[float] = []
    cold: list[float] = []
    for i in range(n + 100):
        started = time.perf_counter()
        claims = read_access_token(settings, token)
        await viewer_for_session(engine, warm_cache, claims)
        if i >= 100:
            warm.append(time.perf_counter() - started)
    for _ in range(n):
        started = time.perf_counter()
        claims = read_access_token(settings, token)
        await viewer_for_session(engine, GrantCache(), claims)
        cold.append(time.perf_counter() - started)
    return Spread.of(warm), Spread.of(cold)


async def login_throughput(
    app: Any, http: httpx.AsyncClient, password: str, count: int, concurrency: int
) -> tuple[float, Spread]:
    async with app.state.hub.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT login_no FROM staff WHERE status = 'active' AND password_hash IS NOT NULL "
                "ORDER BY id LIMIT :n"
            ),
            {"n": count},
        )
        logins = [r[0] for r in rows]
    if len(logins) < count:
        raise SetupError(f"only {len(logins)} seeded accounts can sign in")
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(login_no: str) -> None:
        async with gate:
            elapsed, _ = await login(http, login_no, password)
            latencies.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(one(login_no) for login_no in logins))
    wall = time.perf_counter() - started
    return count / wall, Spread.of(latencies)


def argon2_alone(settings: Settings, password: str, n: int = 20) -> Spread:
    passwords = Passwords.from_settings(settings)
    stored = passwords.hash(password)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        passwords._hasher.verify(stored, password)
        times.append(time.perf_counter() - started)
    return Spread.of(times)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = _settings(args)
    password = settings.demo_password_value
    if password is None:
        raise SetupError("no demo password outside production; run with the defaults")
    await prepare(settings)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=300):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            _, token = await login(http, "tzcj_admin", password)
            print(f"(a) {args.pairs} interleaved pairs of {QUERY!r} …", flush=True)
            anonymous, signed, difference = await added_latency(http, token, args.pairs)
            print("(b) the check alone …", flush=True)
            warm, cold = await check_alone(app, token, args.pairs)
            print(f"(c) {args.logins} logins, {args.concurrency} at a time …", flush=True)
            rate, login_latency = await login_throughput(
                app, http, password, args.logins, args.concurrency
            )
    verify = argon2_alone(settings, password)
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "database": settings.resolved_database_url.split("://")[0],
        "argon2": {
            "time_cost": settings.argon2_time_cost,
            "memory_kib": settings.argon2_memory_kib,
            "parallelism": 1,
        },
        "anonymous": asdict(anonymous),
        "authenticated": asdict(signed),
        "added_p50_ms": signed.p50_ms - anonymous.p50_ms,
        "added_p99_ms": signed.p99_ms - anonymous.p99_ms,
        "paired_difference": asdict(difference),
        "check_warm": asdict(warm),
        "check_cold": asdict(cold),
        "logins_per_second": rate,
        "login_latency": asdict(login_latency),
        "argon2_verify": asdict(verify),
        "concurrency": args.concurrency,
    }


def report(figures: dict[str, Any]) -> None:
    a, s = figures["anonymous"], figures["authenticated"]
    warm, cold = figures["check_warm"], figures["check_cold"]
    argon = figures["argon2"]
    print()
    print(f"database {figures['database']}, {figures['machine']['cpus']} CPUs")
    print(f"{'':<34}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'anonymous query':<34}{a['p50_ms']:>10.3f}{a['p99_ms']:>10.3f}")
    print(f"{'authenticated query':<34}{s['p50_ms']:>10.3f}{s['p99_ms']:>10.3f}")
    print(
        f"{'added by signing in':<34}{figures['added_p50_ms']:>10.3f}"
        f"{figures['added_p99_ms']:>10.3f}"
    )
    print(f"{'the check alone, cache warm':<34}{warm['p50_ms']:>10.3f}{warm['p99_ms']:>10.3f}")
    print(f"{'the check alone, cache cold':<34}{cold['p50_ms']:>10.3f}{cold['p99_ms']:>10.3f}")
    met = "met" if figures["added_p50_ms"] < TARGET_MEDIAN_MS else "NOT met"
    print(f"target: added median under {TARGET_MEDIAN_MS} ms: {met}")
    print()
    verify = figures["argon2_verify"]
    login = figures["login_latency"]
    print(
        f"argon2id t={argon['time_cost']} m={argon['memory_kib']} KiB p=1: one verify "
        f"{verify['p50_ms']:.1f} ms"
    )
    print(
        f"login: {figures['logins_per_second']:.1f}/s with {figures['concurrency']} in flight "
        f"(p50 {login['p50_ms']:.1f} ms, p99 {login['p99_ms']:.1f} ms)"
    )
    per_day = figures["logins_per_second"] * 86_400
    print(
        f"       = {per_day:,.0f} logins/day per process at full load "
        "(the issue expects 300,000 authentication calls a day)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--logins", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=max(2, (os.cpu_count() or 2)))
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "auth-data")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--fresh", action="store_true", help="delete --data-dir first")
    parser.add_argument("--out", type=Path, default=RESULTS / "auth_bench.json")
    args = parser.parse_args()
    if args.fresh and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        figures = asyncio.run(run(args))
    except SetupError as exc:
        print(f"auth_bench: {exc}", file=sys.stderr)
        return 2
    report(figures)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"\nfigures written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
