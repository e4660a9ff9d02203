"""Signing keys: RS256 key pairs kept under the data dir (or given in settings), published as
a JSON Web Key Set, rotated with an overlap.

The file ``<data_dir>/sso/keys.json`` holds every key still published, newest last: the
newest unretired key signs; a retired key stays in the key set for ``sso_key_overlap_hours``
so that tokens it signed keep verifying, then ``hub keys rotate`` drops it. Every worker
re-reads the file when it changes (checked at most once a second), so a rotation reaches
all workers of a machine without a restart. Several machines share the keys through
``HUB_SSO_SIGNING_KEYS`` (the same file's content) instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

from hub.settings import Settings

ALGORITHM = "RS256"
KEY_BITS = 2048


@dataclass(frozen=True, slots=True)
class StoredKey:
    key: RSAKey
    created_at: datetime
    retired_at: datetime | None

    @property
    def kid(self) -> str:
        return str(self.key.kid)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_key() -> StoredKey:
    key = RSAKey.generate_key(KEY_BITS, parameters={"use": "sig", "alg": ALGORITHM})
    key.ensure_kid()
    return StoredKey(key, _now(), None)


def _parse(text: str) -> list[StoredKey]:
    data = json.loads(text)
    keys = []
    for entry in data["keys"]:
        key = RSAKey.import_key(entry["jwk"])
        key.ensure_kid()
        retired = entry.get("retired_at")
        keys.append(
            StoredKey(
                key,
                datetime.fromisoformat(entry["created_at"]),
                datetime.fromisoformat(retired) if retired else None,
            )
        )
    if not keys or keys[-1].retired_at is not None:
        raise ValueError("the key file has no current signing key")
    return keys


def _dump(keys: list[StoredKey]) -> str:
    return json.dumps(
        {
            "keys": [
                {
                    "jwk": k.key.as_dict(private=True),
                    "created_at": k.created_at.isoformat(),
                    "retired_at": k.retired_at.isoformat() if k.retired_at else None,
                }
                for k in keys
            ]
        },
        indent=1,
    )


def key_file(settings: Settings) -> Path:
    return settings.data_dir / "sso" / "keys.json"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time across processes (workers starting together, a rotation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, keys: list[StoredKey]) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(_dump(keys))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def load_or_create(path: Path) -> list[StoredKey]:
    with _locked(path):
        if path.exists():
            return _parse(path.read_text())
        keys = [_new_key()]
        _write(path, keys)
        return keys


def rotate(settings: Settings) -> tuple[StoredKey, list[str]]:
    """Make a new signing key; retire the current one (published for the overlap); drop
    keys retired longer ago than the overlap. Returns the new key and the dropped kids."""
    if settings.sso_signing_keys is not None:
        raise ValueError(
            "The signing keys come from HUB_SSO_SIGNING_KEYS: rotate them where they are kept."
        )
    path = key_file(settings)
    overlap = timedelta(hours=settings.sso_key_overlap_hours)
    with _locked(path):
        keys = _parse(path.read_text()) if path.exists() else []
        now = _now()
        kept, dropped = [], []
        for k in keys:
            if k.retired_at is None:
                k = StoredKey(k.key, k.created_at, now)
            if now - k.retired_at >= overlap:  # type: ignore[operator]
                dropped.append(k.kid)
            else:
                kept.append(k)
        new = _new_key()
        _write(path, [*kept, new])
    return new, dropped


class KeyStore:
    """The keys one process signs and verifies with."""

    RECHECK_SECONDS = 1.0

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._path = key_file(settings)
        self._checked = 0.0
        self._mtime: float | None = None
        self._keys: list[StoredKey] = []
        self._public: KeySet = KeySet([])
        self._load()

    def _load(self) -> None:
        given = self._settings.sso_signing_keys
        if given is not None:
            keys = _parse(given.get_secret_value())
        else:
            keys = load_or_create(self._path)
            self._mtime = self._path.stat().st_mtime
        self._keys = keys
        self._public = KeySet([k.key for k in self.published()])

    def _fresh(self) -> None:
        if self._settings.sso_signing_keys is not None:
            return
        now = time.monotonic()
        if now - self._checked < self.RECHECK_SECONDS:
            return
        self._checked = now
        try:
            mtime = self._path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            self._load()

    def reload(self) -> None:
        """Read the keys again now (``hub keys rotate`` in this process, tests)."""
        self._checked = 0.0
        self._fresh()

    def published(self) -> list[StoredKey]:
        overlap = timedelta(hours=self._settings.sso_key_overlap_hours)
        now = _now()
        return [k for k in self._keys if k.retired_at is None or now - k.retired_at < overlap]

    @property
    def signing_key(self) -> RSAKey:
        self._fresh()
        return self._keys[-1].key

    @property
    def verifying_keys(self) -> KeySet:
        self._fresh()
        return self._public

    def jwks(self) -> dict[str, Any]:
        """The public key set, as served at ``jwks_uri``."""
        self._fresh()
        return {
            "keys": [
                k.key.as_dict(private=False, use="sig", alg=ALGORITHM) for k in self.published()
            ]
        }
