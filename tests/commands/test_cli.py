"""The ``hub`` command answers configuration mistakes with one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hub import migrate


def _hub(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    environment.update({"HUB_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://hub@127.0.0.1:1/hub"
    result = _hub("db", "upgrade", env={"HUB_DATABASE_URL": url}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "HUB_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_database_url_is_one_line(tmp_path: Path) -> None:
    for url in ("not a url", "mysql://root@localhost/hub"):
        result = _hub("db", "current", env={"HUB_DATABASE_URL": url}, tmp_path=tmp_path)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1, result.stderr
        assert "HUB_DATABASE_URL" in result.stderr


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    result = _hub("db", "current", env={"HUB_ENVIRONMENT": "production"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "HUB_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_embedded_default_migrates_into_the_data_dir(tmp_path: Path) -> None:
    result = _hub("db", "upgrade", env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert migrate.head_revision() in result.stdout
    assert (tmp_path / "hub.sqlite3").is_file()
