"""Prometheus metrics, in a registry of the app's own (no process-global state).

With several workers (``hub serve --workers N``) each is a process of its own, and a scrape
reaches one of them. ``hub serve`` then sets ``PROMETHEUS_MULTIPROC_DIR`` to an emptied
directory before the workers start: prometheus_client keeps every counter, histogram and
gauge in files there, and :meth:`Metrics.endpoint` answers with all workers' figures merged
(counters and histograms summed; gauges summed over the live workers, or one series per
worker where a sum means nothing, such as memory). Figures read from the running app
(:meth:`Metrics.watch`) are written to those files by each worker every
:data:`REFRESH_SECONDS` and by the scraped worker at the scrape. Figures of the whole
deployment, read from the database (the outbox backlog), are computed by the scraped worker
alone (:meth:`Metrics.scraped`), never summed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
REFRESH_SECONDS = 5.0
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
Mode = Literal["livesum", "liveall", "livemax"]


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def resident_bytes() -> float:
    """This process's resident memory (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return float(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        return 0.0


def _forget_dead(directory: str) -> None:
    """Drop the live gauges of workers that are gone (uvicorn restarts a worker that dies
    under a new pid; its files would be summed for ever)."""
    from prometheus_client import multiprocess  # only with several workers

    pids: set[int] = set()
    for path in Path(directory).glob("*_*.db"):
        tail = path.stem.rpartition("_")[2]
        if path.name.startswith(("gauge_live", "live")) and tail.isdigit():
            pids.add(int(tail))
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:
            pass  # alive, another user's


class _Scraped(Collector):
    """Deployment-wide gauges, set just before a scrape by the scraped process."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, float | None]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (documentation, value) in self.values.items():
            if value is not None:
                yield GaugeMetricFamily(name, documentation, value=value)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess = multiprocess_dir() is not None
        self.requests = Counter(
            "hub_graphql_requests",
            "GraphQL requests by operation name and outcome.",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hub_graphql_request_seconds",
            "GraphQL request latency by operation name.",
            ["operation"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.cache_lookups = Counter(
            "hub_response_cache_lookups",
            "Anonymous GraphQL requests by what the response cache did: memory or shared (a "
            "hit), miss (computed and kept), none (a document never cached).",
            ["found"],
            registry=self.registry,
        )
        self.search_latency = Histogram(
            "hub_search_seconds",
            "Time the search engine took, by call (search, suggest).",
            ["call"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._watched: dict[str, tuple[Gauge, Callable[[], float]]] = {}
        self._scraped = _Scraped()
        self._before_scrape: list[
            tuple[tuple[str, ...], Callable[[], Awaitable[Mapping[str, float | None]]]]
        ] = []
        self.registry.register(self._scraped)
        self.watch(
            "hub_process_resident_bytes",
            "Resident memory of each hub process.",
            resident_bytes,
            mode="liveall",
        )

    def watch(
        self, name: str, documentation: str, read: Callable[[], float], mode: Mode = "livesum"
    ) -> None:
        """A figure read from the running app: at each scrape in one process; with several,
        every few seconds in each (summed over live workers, or per worker with
        ``liveall``)."""
        known = self._watched.get(name)
        gauge = (
            known[0]
            if known is not None
            else Gauge(name, documentation, registry=self.registry, multiprocess_mode=mode)
        )
        self._watched[name] = (gauge, read)
        if not self.multiprocess:
            gauge.set_function(read)

    def scraped(
        self,
        documentation: Mapping[str, str],
        read: Callable[[], Awaitable[Mapping[str, float | None]]],
    ) -> None:
        """Figures of the whole deployment (from the database), named with their
        documentation, all read by one call of ``read`` in the scraped process just before it
        answers; a figure ``read`` leaves None (or a call that fails) is left out of that
        scrape."""
        self._before_scrape.append((tuple(documentation), read))
        for name, text in documentation.items():
            self._scraped.values[name] = (text, None)

    def refresh(self) -> None:
        """Write the watched figures (several workers: into this process's files)."""
        for gauge, read in self._watched.values():
            gauge.set(read())

    async def refreshing(self) -> None:
        """Each worker's loop, with several workers: its figures every few seconds."""
        while True:
            self.refresh()
            await asyncio.sleep(REFRESH_SECONDS)

    def observe(self, operation: str, outcome: str, seconds: float) -> None:
        self.requests.labels(operation, outcome).inc()
        self.latency.labels(operation).observe(seconds)

    def cache_lookup(self, found: str) -> None:
        self.cache_lookups.labels(found).inc()

    def observe_search(self, call: str, seconds: float) -> None:
        self.search_latency.labels(call).observe(seconds)

    def exposition(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess  # only with several workers

        self.refresh()
        _forget_dead(multiprocess_dir() or "")
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        merged.register(self._scraped)
        return generate_latest(merged)

    async def endpoint(self, _request: Request) -> Response:
        for names, read in self._before_scrape:
            values: Mapping[str, float | None] = {}
            with contextlib.suppress(Exception):  # figures that cannot be read are left out
                values = await read()
            for name in names:
                self._scraped.values[name] = (self._scraped.values[name][0], values.get(name))
        return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)
