"""The running app's figures on ``/metrics`` (see :mod:`hub.metrics`): what each process
holds (connections, queues, the response cache) and the deployment's outbox backlog."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.pool import QueuePool

from hub.http.state import HubState
from hub.metrics import Metrics
from hub.search.sync_apply import outbox_status

PENDING, OLDEST = "hub_search_outbox_pending", "hub_search_outbox_oldest_seconds"


def observe_runtime(metrics: Metrics, state: HubState) -> None:
    zero = state.search.service.zero_results
    pool = state.engine.pool
    figures = {
        "hub_sso_logouts_delivered": (
            "Back-channel logout tokens delivered to relying parties.",
            lambda: state.logouts.delivered,
        ),
        "hub_sso_logout_failures": (
            "Back-channel logout deliveries that failed (each is retried).",
            lambda: state.logouts.failed,
        ),
        "hub_zero_result_log_dropped": (
            "Zero-result queries not logged (per-address limit, full queue, failed write).",
            lambda: zero.dropped,
        ),
        "hub_zero_result_log_written": ("Zero-result queries logged.", lambda: zero.written),
        "hub_zero_result_log_queued": ("Zero-result queries waiting.", lambda: zero.queued),
        "hub_graphql_operations_in_flight": (
            "GraphQL operations running now (see HUB_MAX_OPERATIONS_IN_FLIGHT).",
            lambda: state.graphql.in_flight,
        ),
        "hub_graphql_refused_busy": (
            "GraphQL operations refused with 503 because as many were running already.",
            lambda: state.graphql.refused_busy,
        ),
    }
    if isinstance(pool, QueuePool):
        figures["hub_db_connections_in_use"] = (
            "Database connections checked out of the pool now.",
            pool.checkedout,
        )
        figures["hub_db_connections_open"] = (
            "Database connections the pool holds open (in use or idle), overflow included.",
            lambda: pool.checkedout() + pool.checkedin(),
        )
    answers = state.graphql.answers
    if answers is not None:
        cache = answers.cache
        figures["hub_response_cache_bytes"] = (
            "Bytes of answers the response cache keeps in memory.",
            lambda: cache.size_bytes,
        )
        figures["hub_response_cache_entries"] = (
            "Answers the response cache keeps in memory.",
            lambda: len(cache),
        )
        figures["hub_response_cache_shared_errors"] = (
            "Redis calls of the response cache that failed (each answered as a miss).",
            lambda: cache.shared_errors,
        )
    for name, (documentation, read) in figures.items():
        metrics.watch(name, documentation, read)

    async def outbox() -> dict[str, float | None]:
        async with state.sessions() as session:
            status = await outbox_status(session)
        since = status.oldest_pending_at
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        age = 0.0 if since is None else (datetime.now(UTC) - since).total_seconds()
        return {PENDING: float(status.pending), OLDEST: age}

    metrics.scraped(
        {
            PENDING: "Search outbox rows not yet applied to the index (the whole deployment).",
            OLDEST: "Age of the oldest search outbox row not yet applied (0: none).",
        },
        outbox,
    )
