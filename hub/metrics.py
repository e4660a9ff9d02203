"""Prometheus metrics, in a registry of the app's own (no process-global state)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        self._watched: dict[str, Gauge] = {}

    def watch(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A figure read from the running app each time /metrics is scraped."""
        if name not in self._watched:
            self._watched[name] = Gauge(name, documentation, registry=self.registry)
        self._watched[name].set_function(read)

    def observe(self, operation: str, outcome: str, seconds: float) -> None:
        self.requests.labels(operation, outcome).inc()
        self.latency.labels(operation).observe(seconds)

    def cache_lookup(self, found: str) -> None:
        self.cache_lookups.labels(found).inc()

    async def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
