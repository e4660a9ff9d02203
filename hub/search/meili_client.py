"""Talking to Meilisearch through the official client: a client for reads and another for
writes, the server version check, client errors as :class:`SearchError`, and tasks.

Why two clients: in client 0.43 every ``HttpRequests`` keeps one ``headers`` dict and, on
each request, sets ``Content-Type`` in it (POST, PATCH, PUT) or removes it (GET, DELETE)
just before handing that same dict to ``requests``. A ``Client`` sends through its own
``HttpRequests`` both writes (``swap_indexes``, ``delete_index``) and the reads that run
in parallel with them (``is_healthy``, ``get_version``, ``get_raw_index``); a GET in one
thread can remove the header of a swap about to be sent in another, and Meilisearch refuses
that swap (``missing_content_type``). So writes (indexes, settings, documents, swaps, tasks)
go through the writer, one at a time under the engine's write lock, and reads through the
reader, whose own ``headers`` only ever see GETs. Searches need no more: every
``client.index(uid)`` is a new ``Index`` with its own ``HttpRequests``, made per call.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import meilisearch
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)

from hub.search.backend import SearchError, SearchUnavailable
from hub.search.meili_settings import TASK_TIMEOUT_MS

T = TypeVar("T")

#: The oldest server the hub works with: ``localizedAttributes`` came in v1.10 (and searching
#: on chosen attributes, ranking scores and facet value order in v1.3, proximity precision in
#: v1.6, deleting by filter in v1.2).
MIN_VERSION = (1, 10)
#: With semantic recall: user-provided embedders and hybrid search are stable from v1.13.
MIN_VERSION_SEMANTIC = (1, 13)


def make_client(url: str, api_key: str | None, timeout_s: int) -> meilisearch.Client:
    return meilisearch.Client(url, api_key, timeout=timeout_s)


def parse_version(text: str) -> tuple[int, int] | None:
    """(major, minor) of a version such as ``1.10.2`` or ``v1.11.0-rc.1``."""
    found = re.match(r"v?(\d+)\.(\d+)", text.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def check_version(answer: Mapping[str, Any], minimum: tuple[int, int] = MIN_VERSION) -> str:
    """The server's version from its ``GET /version`` answer; too old a server is refused."""
    found = str(answer.get("pkgVersion") or "")
    parsed = parse_version(found)
    if parsed is None or parsed < minimum:
        needed = ".".join(map(str, minimum))
        raise SearchError(
            f"meilisearch {found or '(version unknown)'} is too old: the hub needs v{needed} "
            "or newer"
        )
    return found


class Connection:
    """The two clients of one engine, with the checks and translations every call needs."""

    def __init__(
        self, url: str, reader: Any, writer: Any, minimum: tuple[int, int] = MIN_VERSION
    ) -> None:
        self.url = url
        self.minimum = minimum
        self.reader = reader
        self.writer = writer
        self.version: str | None = None  # set once the server has been found recent enough
        self._version_lock = threading.Lock()

    def guarded(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (in a worker thread) with client errors as :class:`SearchError`; the
        first call also checks the server's version."""
        try:
            self._check_version()
            return fn()
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise SearchUnavailable(f"meilisearch at {self.url}: {what}: {exc}") from None
        except MeilisearchApiError as exc:
            raise SearchError(f"meilisearch: {what}: {exc.code}: {exc.message}") from None
        except OSError as exc:
            raise SearchUnavailable(f"meilisearch at {self.url}: {what}: {exc}") from None

    def _check_version(self) -> None:
        if self.version is not None:
            return
        with self._version_lock:
            if self.version is None:  # a refused server is asked again next time (upgraded?)
                self.version = check_version(self.reader.get_version(), self.minimum)

    def wait(self, task: Any, what: str, *, tolerate: Collection[str] = ()) -> Any:
        """Wait for a task; one that did not succeed is an error naming it, unless its error
        code is one of ``tolerate``."""
        uid = getattr(task, "task_uid", None)
        if uid is None:
            uid = task["taskUid"]
        done = self.writer.wait_for_task(uid, timeout_in_ms=TASK_TIMEOUT_MS, interval_in_ms=50)
        if done.status != "succeeded":
            error = done.error or {}
            if error.get("code") in tolerate:
                return done
            detail = f"{error.get('code', '')}: {error.get('message', '')}" if error else ""
            raise SearchError(f"meilisearch task {uid} ({what}) {done.status} {detail}".strip())
        return done

    def push_synonyms(self, uid: str, synonyms: Mapping[str, list[str]]) -> bool:
        """Replace the synonyms of an existing index (False, nothing done, when it does not
        exist: a settings update would create it, which is the writers' business)."""
        if not self.exists(self.reader, uid):
            return False
        task = self.writer.index(uid).update_synonyms(dict(synonyms))
        self.wait(task, f"synonyms of {uid}, not applied")
        return True

    @staticmethod
    def exists(client: Any, uid: str) -> bool:
        try:
            client.get_raw_index(uid)
        except MeilisearchApiError as exc:
            if exc.code == "index_not_found":
                return False
            raise
        return True

    def create_index(self, uid: str, *, existing_ok: bool) -> None:
        task = self.writer.create_index(uid, {"primaryKey": "id"})
        tolerate = ("index_already_exists",) if existing_ok else ()
        self.wait(task, f"create index {uid}", tolerate=tolerate)

    def ensure_index(self, uid: str) -> None:
        """Create the index if it is missing (another process may create it meanwhile)."""
        if not self.exists(self.writer, uid):
            self.create_index(uid, existing_ok=True)

    def delete_index(self, uid: str) -> None:
        """Delete an index; one that is not there is already deleted."""
        task = self.writer.delete_index(uid)
        self.wait(task, f"delete index {uid}", tolerate=("index_not_found",))
