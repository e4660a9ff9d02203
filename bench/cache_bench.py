"""The exact response cache on a citizen's mix: hit rate, and CPU per request with and without it.

The real app in-process on the seeded SQLite data directory of ``bench/profile_requests.py``
(no server, no network: the CPU counted is the app's and this script's client alone). One
stream of requests, drawn once and sent identically to the app twice, with the response cache
on and off (``HUB_RESPONSE_CACHE_BYTES=0``):

- guide pages' documents (``ServiceGuide``) for services drawn Zipf-like (s = 1.1) from every
  published service: a few services are asked for all day, most rarely;
- searches (``SearchPage``) with queries drawn Zipf-like from the judged query sets;
- suggestions (``Suggest``) for the first one to three characters of those queries;
- the home page's document (``HomePage``);

all by persisted-query hash over GET, as the pages' script and a mobile app send them; and
every ``--write-every`` requests a catalogue write (one service's description, committed
through the database as an import would), which makes every cached answer unreachable.

Prints the hit rate by kind, CPU ms per request for each run and their ratio. Reports; does
not judge.

    python bench/cache_bench.py [--requests 3000] [--write-every 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import sys
import time
import urllib.parse
from collections import Counter
from itertools import accumulate
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import graphql_bench as gb  # noqa: E402
import profile_requests as pr  # noqa: E402

QUERIES = ROOT / "hub" / "web" / "queries"
JUDGED = ("judged_citizens.tsv", "judged_dev.tsv", "judged_queries.tsv")


def zipf(items: list[Any], rng: random.Random, n: int, s: float = 1.1) -> list[Any]:
    weights = list(accumulate(1 / (rank**s) for rank in range(1, len(items) + 1)))
    return [items[bisect.bisect(weights, rng.random() * weights[-1])] for _ in range(n)]


def judged_queries() -> list[str]:
    seen: dict[str, None] = {}
    for name in JUDGED:
        for line in (ROOT / "tests" / "search" / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                seen.setdefault(line.split("\t")[0].strip(), None)
    return [q for q in seen if q]


def path_of(document: str, variables: dict[str, Any]) -> str:
    text = (QUERIES / f"{document}.graphql").read_text(encoding="utf-8")
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": gb._sha(text)}}
    params = {"variables": json.dumps(variables, ensure_ascii=False)}
    params["extensions"] = json.dumps(extensions)
    return "/graphql?" + urllib.parse.urlencode(params)


def stream(codes: list[str], n: int, seed: int) -> list[tuple[str, str]]:
    """(kind, path) pairs: 55% guides, 25% searches, 15% suggestions, 5% home."""
    rng = random.Random(seed)
    rng.shuffle(codes)
    queries = judged_queries()
    rng.shuffle(queries)
    guides = iter(zipf(codes, rng, n))
    searches = iter(zipf(queries, rng, n))
    out: list[tuple[str, str]] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.55:
            out.append(("guide", path_of("ServiceGuide", {"code": next(guides)})))
        elif roll < 0.80:
            variables = {"query": next(searches), "first": 10}
            out.append(("search", path_of("SearchPage", variables)))
        elif roll < 0.95:
            prefix = next(searches)[: rng.randint(1, 3)]
            out.append(("suggest", path_of("Suggest", {"prefix": prefix})))
        else:
            out.append(("home", path_of("HomePage", {})))
    return out


async def write_one(app: Any, code: str, n: int) -> None:
    from sqlalchemy import text

    from hub.db import transaction

    async with transaction(app.state.hub.sessions) as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE service_item SET description = description || :mark WHERE code = :code"),
            params={"mark": f" ({n})", "code": code},
        )


async def run_once(data_dir: Path, requests: list[tuple[str, str]], args: Any, on: bool) -> dict:
    import httpx
    from asgi_lifespan import LifespanManager

    from hub.app import create_app

    settings = pr.make_settings(data_dir, document_cache=True)
    if on:
        settings = settings.model_copy(update={"response_cache_bytes": 64 * 1024 * 1024})
    app = create_app(settings)
    found: Counter[tuple[str, str]] = Counter()
    async with LifespanManager(app, startup_timeout=300, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            for _kind, path in requests[:50]:  # warm: documents prepared, loaders imported
                await client.get(path)
            writes = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for n, (kind, path) in enumerate(requests, 1):
                response = await client.get(path)
                if response.status_code != 200 or "errors" in response.json():
                    raise SystemExit(f"{kind} {path[:80]}: {response.text[:300]}")
                found[(kind, response.headers.get("x-hub-cache", "none"))] += 1
                if args.write_every and n % args.write_every == 0:
                    writes += 1
                    await write_one(app, args.write_code, writes)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per = 1000 / len(requests)
    return {"cpu_ms": cpu * per, "wall_ms": wall * per, "found": found, "writes": writes}


def report(on: dict, off: dict, requests: list[tuple[str, str]]) -> None:
    kinds = Counter(kind for kind, _ in requests)
    print(f"\n{len(requests)} requests, {on['writes']} catalogue writes among them")
    print(f"{'kind':<8} {'share':>6} {'hits':>6} {'hit rate':>9}")
    total_hits = 0
    for kind, count in kinds.most_common():
        hits = on["found"][(kind, "memory")] + on["found"][(kind, "shared")]
        total_hits += hits
        print(f"{kind:<8} {count / len(requests):6.0%} {hits:6d} {hits / count:9.1%}")
    print(f"{'all':<8} {1:6.0%} {total_hits:6d} {total_hits / len(requests):9.1%}")
    print(f"\n{'run':<24} {'CPU ms/req':>10} {'wall ms/req':>12}")
    print(f"{'response cache off':<24} {off['cpu_ms']:10.2f} {off['wall_ms']:12.2f}")
    print(f"{'response cache on':<24} {on['cpu_ms']:10.2f} {on['wall_ms']:12.2f}")
    print(f"cached/uncached CPU: {on['cpu_ms'] / off['cpu_ms']:.2f}")


async def main_async(args: argparse.Namespace) -> int:
    from hub.commands.serve import prepare

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    seeded = gb._published_count(data_dir / "hub.sqlite3") > 0
    await prepare(pr.make_settings(data_dir, document_cache=True), seed=not seeded)
    import sqlite3

    with sqlite3.connect(data_dir / "hub.sqlite3") as db:
        codes = [r[0] for r in db.execute("SELECT code FROM service_item WHERE status='published'")]
    args.write_code = codes[0]
    requests = stream(codes, args.requests, args.seed)
    off = await run_once(data_dir, requests, args, on=False)
    on = await run_once(data_dir, requests, args, on=True)
    report(on, off, requests)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--write-every", type=int, default=500, help="0: no writes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", default=str(pr.RESULTS / "profile-data"))
    for name in [k for k in os.environ if k.startswith("HUB_")]:
        del os.environ[name]  # the settings are the script's own, whatever the shell says
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
