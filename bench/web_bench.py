"""Citizen pages as a phone sees them, over loopback: bytes of a first load, time to a usable
page, the suggestion round trip while typing; each beside a baseline from the same run.

Starts ``hub serve`` (one worker, SQLite in ``--data-dir``, seeded at its first start) on a free
loopback port, or measures ``--base-url``. Drives /usr/bin/chromium through Playwright as a
phone (390 × 844, 3×, touch, zh-CN), a fresh context (no cache, new connection) per load:

  1. first load of ``/`` and ``/services/S-WJJ-001``: requests, their origin, body bytes per
     kind on the wire and uncompressed, against the aim of under 60 KB;
  2. ms from navigation start (Navigation Timing) to first byte, DOMContentLoaded, load and, on
     ``/``, a usable search box: the later of the first contentful paint and ``hub.js`` binding
     its listener to ``#q``; ``--runs`` cold loads; baseline: a cold load of ``hub.js`` alone;
  3. ``Suggest`` by persisted-query hash as ``hub.js`` sends it, for prefixes typed a character
     at a time, ``--passes`` passes on one kept-alive httpx connection; baseline: ``/healthz``,
     interleaved. ``--typing`` also types into ``#q``: keystroke to ``#suggestions`` changed.

It reports; it does not judge: exit 0 whether or not the aim is met, 2 when it could not set up.

    python bench/web_bench.py [--runs 20] [--passes 5] [--typing] [--base-url URL]
                              [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import graphql_bench as gb  # noqa: E402
import httpx  # noqa: E402
import playwright.async_api as pw  # noqa: E402
from graphql_bench import HOST, RESULTS, SetupError  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
#: A phone in Chinese, as in the browser tests (tests/browser/harness.py, MOBILE).
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3}
PHONE |= {"is_mobile": True, "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
HOME, GUIDE = "/", "/services/S-WJJ-001"
AIM_KB = 60.0
KINDS = ("HTML", "CSS", "JS", "other")
KIND_OF = (("html", "HTML"), ("css", "CSS"), ("javascript", "JS"))  # by Content-Type
#: What citizens type, a character (or a pinyin letter) at a time.
WORDS = "生育 社保卡 shebao sbk 营业执照 yyzz 公积金 gjj 护照 结婚 身份证 退休 居住证 医保 huzhao"
PREFIXES = [word[:n] for word in WORDS.split() for n in range(1, len(word) + 1)]
#: What hub.js's fetch() sends, as Chromium would on plain HTTP.
FETCH = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate", "Accept-Language": "zh"}

#: Before any page script: when hub.js binds ``input`` on #q, each input event on #q, and each
#: change to the suggestion list (observed from DOMContentLoaded on).
INIT_JS = """(() => {
  const hub = (window.__hub = { ready: null, inputs: [], updates: [] });
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (type === "input" && hub.ready === null && this instanceof HTMLInputElement
        && this.id === "q") hub.ready = performance.now();
    return add.call(this, type, listener, options);
  };
  add.call(document, "input", (e) => {
    if (e.target && e.target.id === "q") hub.inputs.push([performance.now(), e.target.value]);
  }, true);
  add.call(document, "DOMContentLoaded", () => {
    const list = document.getElementById("suggestions");
    if (list) new MutationObserver(() => hub.updates.push(performance.now())).observe(
      list, { childList: true, subtree: true, attributes: true, characterData: true });
  });
})();"""
NAV_JS = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  const p = performance.getEntriesByName("first-contentful-paint")[0];
  return { ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,
           fcp: p ? p.startTime : null, ready: window.__hub ? window.__hub.ready : null };
}"""
NAV_LABELS = (("ttfb", "first byte"), ("dcl", "DOMContentLoaded"), ("load", "load"))
LOADED_JS = "() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0"
USABLE_JS = (
    "() => window.__hub.ready !== null && !!document.querySelector('form[data-suggest]')"
    " && performance.getEntriesByName('first-contentful-paint').length > 0"
)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def row(label: str, samples: Sequence[float], extra: str = "") -> None:
    cells = (statistics.median(samples), percentile(samples, 99), max(samples)) if samples else ()
    figures = " ".join(f"{v:>7.1f}" for v in cells) or f"{'—':>7} {'—':>7} {'—':>7}"
    print(f"{label:<44} {figures} {len(samples):>5}  {extra}".rstrip())


def kind_of(content_type: str) -> str:
    return next((kind for part, kind in KIND_OF if part in content_type), "other")


@dataclass
class Fetched:
    path: str
    kind: str
    status: int
    encoding: str
    wire: int  # body bytes as sent (content-length, else what Chromium received)
    raw: int  # body bytes decoded
    headers: int  # response header bytes
    cache: str
    same_origin: bool


@dataclass
class FirstLoad:
    path: str
    requested: int
    failed: list[str]
    accept_encoding: str
    fetched: list[Fetched]

    def kb(self, kind: str | None = None, attr: str = "wire") -> float:
        return sum(getattr(f, attr) for f in self.fetched if kind in (None, f.kind)) / 1024


async def phone(browser: pw.Browser) -> pw.BrowserContext:
    context = await browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    await context.add_init_script(INIT_JS)
    return context


async def first_load(browser: pw.Browser, base: str, path: str) -> FirstLoad:
    context = await phone(browser)
    try:
        page = await context.new_page()
        requests: list[pw.Request] = []
        responses: list[pw.Response] = []
        failed: list[str] = []
        page.on("request", lambda r: requests.append(r))
        page.on("response", lambda r: responses.append(r))
        page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
        await page.goto(base + path, wait_until="networkidle")
        fetched = []
        for response in responses:
            headers = await response.all_headers()
            sizes = await response.request.sizes()
            try:
                raw = len(await response.body())
            except pw.Error:  # a redirect has no body
                raw = 0
            url, length = urlsplit(response.url), headers.get("content-length")
            where = url.path + (f"?{url.query}" if url.query else "")
            kind, hdrs = kind_of(headers.get("content-type", "")), sizes["responseHeadersSize"]
            wire = int(length) if length is not None else sizes["responseBodySize"]
            encoding = headers.get("content-encoding", "identity")
            cache, same = headers.get("cache-control", "(none)"), url[:2] == urlsplit(base)[:2]
            fetched.append(
                Fetched(where, kind, response.status, encoding, wire, raw, hdrs, cache, same)
            )
        sent = await requests[0].all_headers() if requests else {}
        return FirstLoad(path, len(requests), failed, sent.get("accept-encoding", "?"), fetched)
    finally:
        await context.close()


async def cold_load(browser: pw.Browser, url: str, usable: bool) -> dict[str, float]:
    context = await phone(browser)
    try:
        page = await context.new_page()
        await page.goto(url, wait_until="load")
        await page.wait_for_function(LOADED_JS)
        if usable:
            await page.wait_for_function(USABLE_JS)
            if not await page.locator("#q").is_visible():
                raise SetupError(f"{url}: #q is not visible")
        found = await page.evaluate(NAV_JS)
        return {k: float(v) for k, v in found.items() if v is not None}
    finally:
        await context.close()


async def typing(browser: pw.Browser, base: str, delay_ms: int) -> tuple[list[float], int]:
    """Keystroke (input event on #q) → first change of #suggestions before the next one."""
    context = await phone(browser)
    try:
        page = await context.new_page()
        await page.goto(base + HOME, wait_until="load")
        await page.wait_for_function(USABLE_JS)
        box = page.locator("#q")
        for word in WORDS.split():
            await box.press_sequentially(word, delay=delay_ms)
            await page.wait_for_timeout(delay_ms + 500)
            await box.fill("")
            await page.wait_for_timeout(300)
        seen = await page.evaluate("() => window.__hub")
    finally:
        await context.close()
    inputs = [(float(t), str(v)) for t, v in seen["inputs"]]
    updates = sorted(float(u) for u in seen["updates"])
    latencies, missed = [], 0
    for i, (at, value) in enumerate(inputs):
        until = inputs[i + 1][0] if i + 1 < len(inputs) else float("inf")
        after = [u for u in updates if at < u < until]
        if value.strip() and after:
            latencies.append(after[0] - at)
        elif value.strip():
            missed += 1
    return latencies, missed


def suggest_path(digest: str, prefix: str) -> str:
    """As hub.js builds it: encodeURIComponent(JSON.stringify(…))."""

    def component(value: object) -> str:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return quote(text, safe="-_.!~*'()")

    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    return (
        f"/graphql?operationName=Suggest&variables={component({'prefix': prefix})}"
        f"&extensions={component(extensions)}"
    )


@dataclass
class RoundTrips:
    suggest: list[float] = field(default_factory=list)
    healthz: list[float] = field(default_factory=list)
    pages: dict[str, list[float]] = field(default_factory=lambda: {HOME: [], GUIDE: []})
    errors: list[str] = field(default_factory=list)
    empty: set[str] = field(default_factory=set)
    wire: list[int] = field(default_factory=list)
    raw: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


async def round_trips(base: str, passes: int, runs: int) -> RoundTrips:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    out = RoundTrips()
    async with httpx.AsyncClient(base_url=base, headers=FETCH, limits=limits) as client:
        home = await client.get(HOME)
        found = re.search(r'data-suggest="([0-9a-f]{64})"', home.text)
        if home.status_code != 200 or found is None:
            raise SetupError(f"{base}/ answered {home.status_code} without form[data-suggest]")
        for _ in range(runs):  # the server's part of a page load, without a browser
            for path, samples in out.pages.items():
                started = time.perf_counter()
                await client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
        for _ in range(passes):
            for prefix in PREFIXES:
                started = time.perf_counter()
                response = await client.get(suggest_path(found[1], prefix))
                out.suggest.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                health = await client.get("/healthz")
                out.healthz.append((time.perf_counter() - started) * 1000)
                body = response.json() if response.status_code == 200 else {}
                items = (body.get("data") or {}).get("suggestServices")
                if health.status_code != 200 or items is None or "errors" in body:
                    out.errors.append(f"{prefix!r}: {response.status_code} {response.text[:200]}")
                    continue
                if not items:
                    out.empty.add(prefix)
                out.wire.append(response.num_bytes_downloaded)
                out.raw.append(len(response.content))
                out.headers = dict(response.headers)
    return out


def start_hub(data_dir: Path) -> gb.Server:
    data_dir.mkdir(parents=True, exist_ok=True)
    published = gb._published_count(data_dir / "hub.sqlite3")
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = int(sock.getsockname()[1])
    (RESULTS / "logs").mkdir(parents=True, exist_ok=True)
    state = f"{published} published services" if published else "empty: it seeds, ~1 min"
    print(f"hub serve on {HOST}:{port}, HUB_DATA_DIR={data_dir} ({state})", flush=True)
    argv = gb._hub("serve", "--host", HOST, "--workers", "1", "--port", str(port))
    return gb._start("web-hub", argv, gb._child_env(data_dir), port, RESULTS / "logs")


def print_first_load(load: FirstLoad) -> None:
    sent = load.accept_encoding
    print(f"\nfirst load of {load.path}: {load.requested} requests, Accept-Encoding: {sent}")
    for f in load.fetched:
        print(
            f"  {f.status} {f.kind:<5} {f.encoding:<8} {f.wire / 1024:5.1f} KB wire"
            f" {f.raw / 1024:5.1f} KB raw  hdrs {f.headers:3d} B  {f.path[:40]}  [{f.cache}]"
            + ("" if f.same_origin else "  OFF ORIGIN")
        )
    for failure in load.failed:
        print(f"  FAILED {failure}")


def report(
    args: argparse.Namespace,
    loads: list[FirstLoad],
    samples: dict[str, list[dict[str, float]]],
    trips: RoundTrips,
    typed: tuple[list[float], int] | None,
) -> None:
    print(f"\nweb_bench: {args.base}, {os.cpu_count()} CPUs, hub/ at {gb._git_commit()}")
    print("\n1. first load, cold phone context: body KB on the wire / uncompressed")
    heads = " ".join(f"{k:>11}" for k in (*KINDS, "total"))
    print(f"{'page':<20} {'req':>3} {heads}  hdrs  <{AIM_KB:.0f} KB  origin")
    for load in loads:
        cells = " ".join(f"{load.kb(k):>5.1f}/{load.kb(k, 'raw'):<5.1f}" for k in KINDS)
        cells += f" {load.kb():>5.1f}/{load.kb(None, 'raw'):<5.1f}"
        verdict = "holds" if load.kb() < AIM_KB else "MISSED"
        hdrs = sum(f.headers for f in load.fetched) / 1024
        origin = "all hub" if all(f.same_origin for f in load.fetched) else "OFF ORIGIN"
        origin += f", {len(load.failed)} failed" if load.failed else ""
        print(f"{load.path:<20} {load.requested:>3} {cells} {hdrs:>5.1f}  {verdict:<7}  {origin}")

    def column(key: str, name: str) -> list[float]:
        return [s[name] for s in samples[key] if name in s]

    usable = [max(s["fcp"], s["ready"]) for s in samples[HOME] if "fcp" in s and "ready" in s]
    print(f"\n2. ms from navigation start, {args.runs} cold contexts each")
    print(f"{'':<44} {'p50':>7} {'p99':>7} {'max':>7} {'n':>5}")
    for key, name in ((HOME, HOME), (GUIDE, GUIDE), ("asset", "baseline hub.js")):
        for metric, label in NAV_LABELS:
            row(f"{name:<20} {label}", column(key, metric))
        if key == HOME:
            row(f"{HOME:<20} first contentful paint", column(key, "fcp"))
            row(f"{HOME:<20} hub.js bound to #q", column(key, "ready"))
            row(f"{HOME:<20} usable (later of both)", usable)

    print("\n3. round trips on one kept-alive httpx connection, ms")
    print(f"   Suggest: {len(PREFIXES)} prefixes x {args.passes} passes, /healthz interleaved")
    print(f"{'':<44} {'p50':>7} {'p99':>7} {'max':>7} {'n':>5}")
    wire = statistics.median(trips.wire) if trips.wire else 0
    raw = statistics.median(trips.raw) if trips.raw else 0
    encoding = trips.headers.get("content-encoding", "identity")
    cache = trips.headers.get("cache-control", "(none)")
    row("GET /graphql Suggest by hash", trips.suggest, f"{wire:.0f}/{raw:.0f} B {encoding}")
    row("baseline GET /healthz", trips.healthz)
    for path, page_ms in trips.pages.items():
        row(f"GET {path} HTML only, no browser", page_ms)
    if typed is not None:
        missed = f"incl. 120 ms debounce; no change after {typed[1]} keys"
        row("browser: keystroke -> #suggestions changed", typed[0], missed)
    empty = ", ".join(sorted(trips.empty)) or "none"
    print(f"Suggest answers: Cache-Control [{cache}]; errors {len(trips.errors)}; ", end="")
    print(f"prefixes with no suggestion: {empty}")


async def measure(args: argparse.Namespace) -> None:
    if not CHROMIUM.is_file():
        raise SetupError(f"{CHROMIUM} is missing: apt-get install chromium")
    base = args.base
    async with pw.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--disable-dev-shm-usage"]
        )
        try:
            loads = [await first_load(browser, base, path) for path in (HOME, GUIDE)]
            for load in loads:
                print_first_load(load)
            script = next((f.path for f in loads[0].fetched if f.kind == "JS"), "/static/hub.js")
            targets = {HOME: (HOME, True), GUIDE: (GUIDE, False), "asset": (script, False)}
            samples: dict[str, list[dict[str, float]]] = {key: [] for key in targets}
            print(f"\n{args.runs} cold loads each of {HOME}, {GUIDE} and {script} …", flush=True)
            for _ in range(args.runs):  # interleaved, so that drift spreads over all three
                for key, (path, check) in targets.items():
                    samples[key].append(await cold_load(browser, base + path, check))
            typed = None
            if args.typing:
                print(f"typing {len(PREFIXES)} prefixes into #q, {args.delay} ms a key …")
                typed = await typing(browser, base, args.delay)
        finally:
            await browser.close()
    print(f"{args.passes} passes of {len(PREFIXES)} prefixes, Suggest and /healthz …", flush=True)
    trips = await round_trips(base, args.passes, args.runs)
    for error in trips.errors[:5]:
        print(f"  ERROR {error}")
    report(args, loads, samples, trips, typed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="cold loads of each page")
    parser.add_argument("--passes", type=int, default=5, help="passes over the typed prefixes")
    parser.add_argument("--typing", action="store_true", help="also type into #q in the browser")
    parser.add_argument("--delay", type=int, default=250, help="ms between keys for --typing")
    parser.add_argument("--base-url", help="measure this running hub instead of starting one")
    parser.add_argument("--data-dir", default=str(RESULTS / "web-data"), help="seeded at start")
    args = parser.parse_args(argv)
    server = None
    try:
        if args.base_url:
            args.base = args.base_url.rstrip("/")
        else:
            server = start_hub(Path(args.data_dir).resolve())
            gb._wait_ready(server, timeout=900)  # the first start seeds the city
            args.base = server.base
        asyncio.run(measure(args))
    except (SetupError, pw.Error) as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
