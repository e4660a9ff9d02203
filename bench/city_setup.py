"""The city's day, the set-up: the seeded city, and what the operations draw from.

The city is seeded once at ``--scale``/``--records-scale`` (``hub seed``) and reused; the
PostgreSQL database of ``--database-url`` is created when missing (``--fresh`` drops it first,
only when it is named ``city_day…``), and a missing search index is built.
``make_plan`` then gathers the draws of the mix (``bench/city_mix.py``): published service
codes, the judged queries, themes, life events and bundles from the home page, a relying
party, the SSO sign-in form with its CSRF cookie, the accounts that sign in, a few signed-in
chains whose tokens are refreshed before each level, the VERIFY grant on 户籍人口基本信息 with
its request bodies, ``admin``'s token, and the transfers to make.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import time
from html import unescape
from itertools import cycle
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import graphql_bench as gb  # noqa: E402
import httpx  # noqa: E402
import sharing_setup as sharing  # noqa: E402
import sso_setup as sso  # noqa: E402
from city_mix import PAGE, Plan, Zipf, _get  # noqa: E402
from graphql_bench import Request, SetupError  # noqa: E402

from hub.ids import to_global_id  # noqa: E402


def _query(args: argparse.Namespace, sql: str, **params: Any) -> list[Any]:
    try:
        return asyncio.run(sso._query(args, sql, **params))
    except Exception as exc:  # no table yet, wrong URL …
        raise SetupError(f"{sql[:60]!r} failed: {type(exc).__name__}: {exc}") from exc


async def _ensure_database(url: str, fresh: bool) -> None:
    """Create the PostgreSQL database of ``url`` when missing (drop it first with --fresh)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database or ""
    if fresh and not name.startswith("city_day"):
        raise SetupError(f"--fresh drops only databases named city_day…, not {name!r}")
    conn = await asyncpg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        database="postgres",
    )
    try:
        if fresh:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            print(f"creating database {name}", flush=True)
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def hub_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of ``hub serve`` under test, and of every ``hub`` command run beside it
    while it serves (the soak's catalogue imports): the same data dir, database and Redis."""
    env = sso.env(args)
    if args.redis_url:
        env["HUB_REDIS_URL"] = args.redis_url
    return env


def prepare(args: argparse.Namespace) -> tuple[int, int]:
    """The seeded city at --scale/--records-scale, reused when there; its services and staff."""
    if args.database_url:
        asyncio.run(_ensure_database(args.database_url, args.fresh))
    if args.fresh and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    count = "SELECT (SELECT count(*) FROM service_item WHERE status = 'published'), "
    count += "(SELECT count(*) FROM staff)"
    try:
        services, staff = _query(args, count)[0]
    except SetupError:
        services = staff = 0
    if not services or not staff:
        scales = ["--scale", str(args.scale), "--records-scale", str(args.records_scale)]
        print(f"$ hub seed {' '.join(scales)}  (once; minutes at scale 222) …", flush=True)
        started = time.monotonic()
        sso._run_hub(args, "seed", *scales, "--no-progress")
        print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
        services, staff = _query(args, count)[0]
    else:
        print(f"reusing the seeded city: {services:,} services, {staff:,} staff", flush=True)
        sso._run_hub(args, "db", "upgrade")  # a reused database may predate a migration
    if not (args.data_dir / "search").exists():
        print("$ hub search reindex  (no index in the data directory) …", flush=True)
        sso._run_hub(args, "search", "reindex")
    return int(services), int(staff)


def _queries() -> list[str]:
    """The judged queries: the ``query`` column (the first is ``kind``), # lines skipped."""
    found: dict[str, None] = {}
    for path in sorted((ROOT / "tests" / "search").glob("judged_*.tsv")):
        lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x and x[0] != "#"]
        column = lines[0].split("\t").index("query") if "query" in lines[0].split("\t") else 0
        for line in lines[1:]:
            found[line.split("\t")[column].strip()] = None
    return [q for q in found if q]


def _verify_bodies(args: argparse.Namespace, wanted: int = 4000) -> list[Any]:
    """Real keys of 户籍人口基本信息 drawn by id, half the claims false (sharing_setup.bodies)."""
    rows = _query(args, "SELECT id FROM dataset WHERE name = :n", n=sharing.PERSONS)
    if not rows:
        raise SetupError(f"no dataset {sharing.PERSONS} in this seed")
    pk = int(rows[0][0])
    low, high = _query(
        args, "SELECT min(id), max(id) FROM dataset_record WHERE dataset_id = :d", d=pk
    )[0]
    rng, found = random.Random(args.seed), {}
    for _ in range(20):
        ids = ",".join(str(rng.randint(low, high)) for _ in range(1000))
        sql = f"SELECT key, data FROM dataset_record WHERE dataset_id = :d AND id IN ({ids})"
        for key, data in _query(args, sql, d=pk):
            found[str(key)] = (json.loads(data) if isinstance(data, str) else data)[
                sharing.FIELDS[0]
            ]
        if len(found) >= wanted:
            break
    path = args.data_dir / "verify-bodies.jsonl"
    gid = to_global_id("Dataset", pk)
    return [b["variables"] for b in sharing.bodies(path, gid, sorted(found.items())[:wanted])]


def _moves(
    args: argparse.Namespace, rng: random.Random, n: int = 300
) -> tuple[list[dict[str, str]], set[str]]:
    """Transfers to make: staff with an active primary post, each to another active org; and
    their login numbers (they do not sign in: a transfer may end their sessions)."""
    staff = _query(
        args,
        "SELECT s.id, m.org_id, s.login_no FROM staff s JOIN membership m ON m.staff_id = s.id "
        "WHERE m.post_type = 'primary' AND m.status = 'active' AND s.status = 'active' "
        "AND s.login_no NOT IN ('admin', :a, :b) ORDER BY s.id",
        a=sharing.REQUESTER,
        b=sharing.REVIEWER,
    )
    orgs = [int(r[0]) for r in _query(args, "SELECT id FROM org WHERE status = 'active'")]
    moves, logins = [], set()
    for staff_id, org_id, login in rng.sample(staff, min(n, len(staff))):
        to = rng.choice([o for o in rng.sample(orgs, 3) if o != org_id] or orgs)
        moves.append(
            {"staffId": to_global_id("Staff", staff_id), "toOrgId": to_global_id("Org", to)}
        )
        logins.add(str(login))
    return moves, logins


def make_plan(args: argparse.Namespace, base: str, password: str) -> Plan:
    rng = random.Random(args.seed)
    codes = [
        str(r[0]) for r in _query(args, "SELECT code FROM service_item WHERE status = 'published'")
    ]
    home = gb._fetch_json(base, Request("GET", _get("HomePage", {})))["data"]
    foci = [{"focus": t["id"], "filter": {"themes": [t["id"]]}} for t in home["personThemes"]]
    foci += [{"focus": t["id"], "filter": {"themes": [t["id"]]}} for t in home["entityThemes"]]
    foci += [{"focus": e["id"], "filter": {"lifeEvent": e["id"]}} for e in home["lifeEvents"]]
    queries = Zipf(_queries(), args.zipf, rng)
    top = {"query": queries.items[0], "filter": None, "first": PAGE, "after": None}
    found = gb._fetch_json(base, Request("GET", _get("SearchPage", top)))["data"]["searchServices"]
    rp = sso.add_client(args, "city_day 业务系统", *(f"--scope={s}" for s in sso.SCOPE.split()))
    verifier, challenge = sso.pkce()
    with httpx.Client(base_url=base, timeout=30) as browser:  # the sign-in page, shown once
        page = browser.get("/sso/authorize", params=sso.authorize_params(rp, challenge))
        csrf = browser.cookies.get("hub_sso_csrf", path="/sso") or ""
    form = {unescape(k): unescape(v) for k, v in sso._HIDDEN.findall(page.text)}
    if page.status_code != 200 or not csrf or form.get("csrf") != csrf:
        raise SetupError(f"no sign-in form with its CSRF cookie ({page.status_code})")
    moves, moved = _moves(args, rng)
    signers = [login for login in sso._signers(args) if login not in moved]
    print(f"signing in 4 of {len(signers):,} accounts through SSO; grant, tokens …", flush=True)
    chains = [sso.sign_in_flow(base, rp, login, password) for login in signers[-4:]]
    reviewer = sharing.REVIEWER
    if not _query(args, "SELECT 1 FROM staff WHERE login_no = :l", l=reviewer):
        reviewer = sharing.FALLBACK_REVIEWER
    verify = _verify_bodies(args)
    clerk, grant = sharing.grant(base, verify[0]["datasetId"], reviewer)
    print(f"grant {grant['id']} ({', '.join(grant['fieldNames'])}) approved by {reviewer}")
    return Plan(
        base=base,
        rng=rng,
        codes=Zipf(codes, args.zipf, rng),
        queries=queries,
        foci=Zipf(foci, args.zipf, rng),
        bundles=Zipf([b["code"] for b in home["bundles"]], args.zipf, rng),
        cursor=found["pageInfo"]["endCursor"] if found["pageInfo"]["hasNextPage"] else None,
        rp=rp,
        form=form,
        csrf=csrf,
        verifier=verifier,
        password=password,
        accounts=cycle(signers[:-4]),
        chains=chains,
        clerk=clerk,
        admin=sharing.login(base, sharing.FALLBACK_REVIEWER),
        verify=verify,
        moves=iter(moves),
    )
