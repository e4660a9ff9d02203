"""Hostile requests against a real ``hub serve``: how long each takes to answer, how slow
``/healthz`` gets meanwhile, and how much the server's memory grows, against an ordinary
request measured in the same run.

    python bench/hostile_bench.py [--hub PATH_TO_hub] [--data-dir DIR] [--bomb-levels 16,20,30]

``--hub`` picks the ``hub`` executable (default: this virtualenv's), so two checkouts can be
compared on the same machine. The server runs with default settings on a fresh SQLite city.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

Attack = Callable[[httpx.AsyncClient], Awaitable[str]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bomb(levels: int) -> str:
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ __typename }}"


CHAIN = (
    "services(first: 100) { edges { node { themes { services(first: 100) { edges { node "
    "{ themes { services(first: 100) { edges { node { name } } } } } } } } } } }"
)


def _outcome(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} not JSON"
    errors = body.get("errors") if isinstance(body, dict) else None
    code = errors[0].get("extensions", {}).get("code", "?") if errors else "ok"
    return f"{response.status_code} {code}"


async def normal(http: httpx.AsyncClient) -> str:
    return _outcome(await http.post("/graphql", json={"query": "{ themes { name } }"}))


def fragment_bomb(levels: int) -> Attack:
    async def run(http: httpx.AsyncClient) -> str:
        return _outcome(await http.post("/graphql", json={"query": bomb(levels)}))

    return run


async def nested_pages(http: httpx.AsyncClient) -> str:
    query = "{ " + " ".join(f"a{i}: {CHAIN}" for i in range(3)) + " }"
    return _outcome(await http.post("/graphql", json={"query": query}))


async def big_tokens(http: httpx.AsyncClient) -> str:
    outcome = ""
    for i in range(100):
        outcome = _outcome(
            await http.post(
                "/graphql",
                json={"query": "{ themes { name } }"},
                headers={"authorization": f"Bearer {i}" + "x" * 1_000_000},
            )
        )
    return outcome + " ×100 (1 MB tokens)"


async def big_bodies(http: httpx.AsyncClient) -> str:
    outcome = ""
    for i in range(20):
        text = "{ themes { name } }" + " " * 5_000_000 + f"#{i}"
        outcome = _outcome(await http.post("/graphql", json={"query": text}))
    return outcome + " ×20 (5 MB bodies)"


async def zero_result_burst(http: httpx.AsyncClient) -> str:
    searches = " ".join(
        f'a{i}: searchServices(query: "qxzv{i}wqz", first: 1) {{ totalCount }}' for i in range(10)
    )
    responses = await asyncio.gather(
        *(http.post("/graphql", json={"query": "{ " + searches + " }"}) for _ in range(100))
    )
    return _outcome(responses[-1]) + " ×100 (10 empty searches each)"


async def _measure(base: str, pid: int, name: str, attack: Attack) -> None:
    latencies: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            while not stop.is_set():
                started = time.perf_counter()
                await http.get("/healthz")
                latencies.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)

    before = _rss_mb(pid)
    task = asyncio.create_task(probe())
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        started = time.perf_counter()
        try:
            outcome = await attack(http)
        except httpx.HTTPError as exc:
            outcome = f"failed: {type(exc).__name__}"
        seconds = time.perf_counter() - started
    stop.set()
    await task
    grown = _rss_mb(pid) - before
    worst = max(latencies) if latencies else float("nan")
    print(f"{name:34} {seconds * 1000:10.0f} {worst:12.1f} {grown:+9.1f}  {outcome}", flush=True)


async def run(base: str, pid: int, levels_list: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(20):
            await normal(http)
    print(f"{'request':34} {'answer ms':>10} {'/healthz max':>12} {'RSS MB':>9}  outcome")
    await _measure(base, pid, "ordinary query (baseline)", normal)
    for levels in levels_list:
        await _measure(base, pid, f"fragment bomb, {levels} levels", fragment_bomb(levels))
    await _measure(base, pid, "3 aliases of nested pages", nested_pages)
    await _measure(base, pid, "garbage 1 MB tokens", big_tokens)
    await _measure(base, pid, "5 MB bodies", big_bodies)
    await _measure(base, pid, "zero-result burst", zero_result_burst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", default=str(Path(sys.executable).with_name("hub")))
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--bomb-levels",
        default="16,20,30",
        help="fragment bomb sizes (each level doubles the expansion: keep it small for a "
        "server that expands fragments)",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="hub-hostile-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_DATA_DIR": str(data_dir), "HUB_LOG_LEVEL": "ERROR"})
    log = (data_dir.parent / f"hostile-serve-{port}.log").open("wb")
    server = subprocess.Popen(
        [args.hub, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                sys.exit(f"hub serve exited; see {log.name}")
            time.sleep(0.3)
        else:
            sys.exit("hub serve was not ready in 180 s")
        print(f"{args.hub} serve, default settings, SQLite, pid {server.pid}\n")
        asyncio.run(run(base, server.pid, [int(n) for n in args.bomb_levels.split(",")]))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
