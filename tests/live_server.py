"""A real ``hub serve`` in a subprocess, for tests that need the server and the CLI at once.

    with LiveServer.start(tmp_path / "data") as server:
        httpx.post(server.graphql_url, json={"query": "{ rootOrg { name } }"})
        result = server.hub("import", "services", "file.jsonl")

The server runs on a free port over its own data directory (SQLite unless ``database_url`` is
given), seeds an empty database as ``hub serve`` does, and is ready once ``/readyz`` answers
200. :meth:`LiveServer.hub` runs other ``hub`` commands with the same settings. The server's
output goes to ``serve-PORT.log`` beside the data directory and is shown when it fails to start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

#: Settings every live server gets unless the caller overrides them.
BASE_ENV = {
    "HUB_ENVIRONMENT": "test",
    "HUB_LOG_JSON": "false",
    "HUB_LOG_LEVEL": "WARNING",
    "HUB_ARGON2_TIME_COST": "1",
    "HUB_ARGON2_MEMORY_KIB": "8192",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hub_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for a ``hub`` subprocess: this one without HUB_* settings, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(BASE_ENV)
    env["HUB_DATA_DIR"] = str(data_dir)
    env.update(settings)
    return env


@dataclass
class LiveServer:
    data_dir: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @classmethod
    @contextmanager
    def start(
        cls,
        data_dir: Path,
        *,
        database_url: str | None = None,
        ready_timeout: float = 120.0,
        serve_args: tuple[str, ...] = (),
        **settings: str,
    ) -> Iterator[LiveServer]:
        """Start ``hub serve``, wait for ``/readyz``, yield, then stop it."""
        data_dir.mkdir(parents=True, exist_ok=True)
        if database_url is not None:
            settings["HUB_DATABASE_URL"] = database_url
        env = hub_env(data_dir, **settings)
        port = free_port()
        log_path = data_dir.parent / f"serve-{port}.log"
        log = log_path.open("wb")
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "serve", "--port", str(port), *serve_args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        except BaseException:
            log.close()
            raise
        server = cls(data_dir, port, env, process, log_path, log)
        try:
            server.wait_ready(ready_timeout)
            yield server
        finally:
            server.stop()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"hub serve exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=5)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise RuntimeError(f"hub serve not ready after {timeout:.0f} s ({last}):\n{self.output()}")

    def hub(self, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        """Run another ``hub`` command with the server's settings (same data directory)."""
        return subprocess.run(
            [sys.executable, "-m", "hub.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
