"""The city's day, the soak: one rate held for minutes, then the outbox drained.

    python bench/city_day.py --levels '' --soak 45.5 [--soak-duration 600]

The project's issue asks for "a 10-minute soak at 70 % of that rate [the highest rate that
keeps p99 under 200 ms with 0 errors]: 0 errors, RSS flat within 10 %, outbox backlog
drained". ``--soak PERCENT`` is that rate as a percentage of the peak (the caller takes 70 %
of the highest passing rate of an earlier run: 65 % -> ``--soak 45.5``); it runs after the
levels and the ``--find-max`` probes, if any, with the same open-loop mix
(``bench/open_loop.py``): ``--warmup`` s unmeasured, then ``--soak-duration`` s measured.

During it the server's RSS (its process group, from ``/proc``) is read every 10 s; reported
are the RSS when the measured seconds start (after the warm-up), when the last request is
sent, the least and the most, and whether end / start is within ±10 % ("flat"). Count,
errors, p50 and p99 per operation are for the whole soak; p99 of the whole mix per minute of
send time shows drift. The signed-in chains' tokens are refreshed every 2 minutes.

Meanwhile the catalogue office writes: every ``--soak-write-every`` s (60; 0 = never) of the
measured window ``hub import services`` rewrites 20 published services in the environment of
the server under test, so the outbox has something to drain (``bench/soak_writes.py``).

When the load has stopped (the in-flight requests answered, the running import done),
``hub_search_outbox_pending`` (a gauge of the whole deployment, read from the database at
each scrape) is read from ``/metrics``: open outside production, as the bench runs the server
(production needs ``HUB_METRICS_TOKEN`` as bearer). It is polled every second for up to 60 s
until it is 0: its value when the load stopped and the seconds it took to reach 0 are reported.

Then a verdict line, "0 errors / RSS flat / outbox drained" each yes or no, the last with the
imports it follows. It reports; it does not judge: the exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import httpx  # noqa: E402
from city_mix import PEAK, Plan  # noqa: E402
from graphql_bench import Server  # noqa: E402
from open_loop import _print_level, run_level  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from soak_writes import pick_services, write_catalogue, writes_text  # noqa: E402

SAMPLE_S = 10.0  # the RSS this often
FLAT = 0.10  # RSS end / start within ±10 %
DRAIN_S, POLL_S = 60.0, 1.0  # the outbox polled this long, this often
OUTBOX = "hub_search_outbox_pending"
CACHE_BYTES = "hub_response_cache_bytes"


# --------------------------------------------------------------------------- the outbox


async def _pending(http: httpx.AsyncClient) -> tuple[float | None, str | None]:
    """The outbox backlog from ``/metrics``, or None and why not ("/metrics answered …":
    not worth asking again)."""
    try:
        answer = await http.get("/metrics")
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:160]
    if answer.status_code != 200:
        return None, f"/metrics answered {answer.status_code} (production needs a token)"
    try:
        for family in text_string_to_metric_families(answer.text):
            if family.name == OUTBOX and family.samples:
                return float(family.samples[0].value), None
    except ValueError as exc:
        return None, f"/metrics is not Prometheus text: {exc}"[:160]
    return None, f"no {OUTBOX} in /metrics (the database could not be read?)"


async def drain(http: httpx.AsyncClient) -> dict[str, Any]:
    """The backlog when the load stopped, polled until 0 for up to ``DRAIN_S``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    at_stop, why = await _pending(http)
    pending, seconds = at_stop, 0.0
    while pending != 0 and loop.time() - started < DRAIN_S:
        if why and why.startswith("/metrics answered"):
            break
        await asyncio.sleep(POLL_S)
        pending, why = await _pending(http)
        seconds = loop.time() - started
    drained = pending == 0
    return {
        "pending_at_stop": at_stop,
        "pending_last": pending,
        "drained": drained,
        "seconds_to_drain": round(seconds, 1) if drained else None,
        "polled_s": round(seconds, 1),
        "unreadable": why if pending is None else None,
    }


async def _cache_mb(http: httpx.AsyncClient) -> float | None:
    """What the response cache holds (MB, every worker), from ``/metrics``; None if unread."""
    try:
        answer = await http.get("/metrics")
        if answer.status_code == 200:
            for family in text_string_to_metric_families(answer.text):
                if family.name == CACHE_BYTES:
                    return sum(x.value for x in family.samples) / 2**20
    except (httpx.HTTPError, ValueError):
        pass
    return None


async def sample_cache(
    http: httpx.AsyncClient, into: list[float | None], stop: asyncio.Event
) -> None:
    """The response cache's size every ``SAMPLE_S`` s until ``stop``: bounded memory that
    fills during a soak, to tell apart from a leak."""
    while not stop.is_set():
        into.append(await _cache_mb(http))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_S)


def _rss(samples: list[list[float]]) -> dict[str, Any]:
    """Flat or not on the whole RSS; the anonymous and file-backed parts say what grew."""
    mbs = [x[1] for x in samples]
    start, end = (mbs[0], mbs[-1]) if mbs else (0.0, 0.0)
    ratio = end / start if start else None
    first, last = (samples[0], samples[-1]) if samples else ([0.0] * 4, [0.0] * 4)
    return {
        "start_mb": start,
        "end_mb": end,
        "anon_mb": [first[2], last[2]],
        "file_mb": [first[3], last[3]],
        "min_mb": min(mbs, default=0.0),
        "max_mb": max(mbs, default=0.0),
        "end_over_start": ratio,
        "flat": ratio is not None and abs(ratio - 1) <= FLAT,
        "every_s": SAMPLE_S,
        "samples": samples,  # [seconds into the measured window, RSS, anon, file MB]
    }


def verdict(soak: dict[str, Any]) -> str:
    def yes(ok: bool) -> str:
        return "yes" if ok else "no"

    w = soak["writes"]
    after = f"after {w['done']} imports, {w['failed']} failed" if w["count"] else "nothing written"
    return (
        f"soak: 0 errors {yes(soak['errors'] == 0)} / RSS flat {yes(soak['rss']['flat'])} / "
        f"outbox drained {yes(soak['outbox']['drained'])} ({after})"
    )


def print_soak(soak: dict[str, Any]) -> None:
    r, o = soak["rss"], soak["outbox"]
    ratio = f"{r['end_over_start']:.3f}" if r["end_over_start"] is not None else "-"
    print(
        f"\nsoak RSS (every {SAMPLE_S:.0f} s, server process group): start {r['start_mb']:.0f} MB, "
        f"end {r['end_mb']:.0f} MB, min {r['min_mb']:.0f}, max {r['max_mb']:.0f}; end/start "
        f"{ratio} ({'flat' if r['flat'] else 'NOT flat'}: within ±{FLAT:.0%}); anonymous "
        f"{r['anon_mb'][0]:.0f} → {r['anon_mb'][1]:.0f} MB, file-backed {r['file_mb'][0]:.0f} → "
        f"{r['file_mb'][1]:.0f} MB"
    )
    print(
        "  " + "  ".join(f"{s:.0f}s:{mb:.0f}/{a:.0f}/{f:.0f}" for s, mb, a, f in r["samples"][::6])
    )
    print("soak per minute of send time, whole mix:")
    print(f"  {'minute':>6} {'ok':>6} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for m in soak["minutes"]:
        print(
            f"  {m['minute']:6d} {m['ok']:6d} {m['errors']:6d} {m['p50_ms']:7.1f} "
            f"{m['p99_ms']:7.1f}"
        )
    print(writes_text(soak["writes"]))
    if o["pending_at_stop"] is None and o["pending_last"] is None:
        print(f"search outbox: not readable ({o['unreadable']})")
    else:
        at_stop = "?" if o["pending_at_stop"] is None else f"{o['pending_at_stop']:.0f}"
        after = (
            f"drained in {o['seconds_to_drain']:.1f} s"
            if o["drained"]
            else f"NOT drained after {o['polled_s']:.0f} s: {o['pending_last']} pending"
        )
        print(f"search outbox: {at_stop} pending when the load stopped; {after}")
    print(verdict(soak))


def report(soak: dict[str, Any]) -> None:
    """The soak as a level (per operation), then its RSS, minutes, outbox and verdict."""
    print(f"\nsoak: {soak['percent']:g} % of the peak held {soak['seconds']:.0f} s", end="")
    _print_level(soak)
    print_soak(soak)


async def run_soak(
    args: argparse.Namespace, plan: Plan, http: httpx.AsyncClient, server: Server
) -> dict[str, Any]:
    """``args.soak`` % of the peak for ``args.soak_duration`` s, then the outbox; printed."""
    factor = args.soak / 100
    print(
        f"\nsoak: {args.soak:g} % of the peak = {factor * PEAK:.1f} operations/s for "
        f"{args.soak_duration:.0f} s after {args.warmup:.0f} s of warm-up …",
        flush=True,
    )
    services, skipped = [], None
    if args.soak_write_every:
        try:
            services = await pick_services(args, plan.codes.items)
        except Exception as exc:  # SQL refused …: the soak runs, unwritten
            skipped = f"reading the services failed: {type(exc).__name__}: {exc}"[:300]
        print(
            f"catalogue writes: hub import services of {len(services)} services every "
            f"{args.soak_write_every:g} s" + (f" — {skipped}" if skipped else ""),
            flush=True,
        )
    else:
        skipped = "--soak-write-every 0"
    stop, cache = asyncio.Event(), list[float | None]()
    writer = asyncio.create_task(write_catalogue(args, services, stop))
    sampler = asyncio.create_task(sample_cache(http, cache, stop))
    try:
        level = await run_level(
            args, plan, http, server, factor, args.soak_duration, sample_s=SAMPLE_S
        )
    except BaseException:
        writer.cancel()
        sampler.cancel()
        raise
    stop.set()
    await sampler
    writes = await writer  # the running import finishes: its outbox rows count below
    outbox = await drain(http)
    samples, minutes = level.pop("rss_samples"), level.pop("minutes")
    soak = {"percent": args.soak, **level, "rss": _rss(samples), "minutes": minutes}
    soak["rss"]["response_cache_mb"] = cache  # from the warm-up on, every SAMPLE_S s
    soak["writes"] = {**writes, "skipped": skipped or (None if services else "no service fits")}
    soak["outbox"] = outbox
    soak["verdict"] = {
        "zero_errors": soak["errors"] == 0,
        "rss_flat": soak["rss"]["flat"],
        "outbox_drained": outbox["drained"],
        "catalogue_written": writes["done"] > 0,
    }
    report(soak)
    return soak
