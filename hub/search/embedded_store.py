"""The embedded engine's index on disk: its generations, which one is live, and writing to it.

Layout: ``index_dir/CURRENT`` (JSON: generation directory and the versions it was built
with) and one directory per generation. A full rebuild writes a new generation beside the
live one and switches ``CURRENT`` atomically, so searches never see a half-built index and
another process (the server, while ``hub search reindex`` runs) follows the switch. An index
left by an earlier process is opened as is; only a version change makes it stale.

Everything here blocks: :class:`~hub.search.embedded.EmbeddedBackend` calls it from worker
threads and serialises the writes. A lock guards which index is live, since searches in
other threads follow a switch while a rebuild finishes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tantivy

from hub.search import analysis
from hub.search.backend import SearchError, ServiceDocument
from hub.search.embedded_schema import SCHEMA_VERSION, build_schema, guard, open_writer, to_tantivy

log = logging.getLogger(__name__)

WRITER_HEAP = 64_000_000


def index_versions() -> dict[str, str]:
    return {"schema": str(SCHEMA_VERSION), "analysis": analysis.index_version()}


class IndexStore:
    """The generations under ``root`` and the live one's :class:`tantivy.Index`."""

    def __init__(self, root: Path, *, writer_heap: int = WRITER_HEAP) -> None:
        self.root = Path(root)
        self.schema = build_schema()
        self._writer_heap = writer_heap
        self._lock = threading.Lock()
        self._index: tantivy.Index | None = None
        self._generation: str | None = None
        self._current_stamp: int | None = None
        self._closed = False
        #: the live index was built by another analysis version: it must be rebuilt
        self.stale = True

    # opening --------------------------------------------------------------------------

    @property
    def _current_file(self) -> Path:
        return self.root / "CURRENT"

    def _read_current(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._current_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def open(self) -> None:
        """Open the generation named by CURRENT, or start an empty one (marked stale)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            current = self._read_current()
            versions = index_versions()
            if current is not None and current.get("schema") == versions["schema"]:
                path = self.root / str(current.get("generation", ""))
                if current.get("generation") and tantivy.Index.exists(str(path)):
                    self._index = guard(
                        "open", lambda: tantivy.Index(self.schema, path=str(path), reuse=True)
                    )
                    self._generation = str(current["generation"])
                    self._current_stamp = self._stamp()
                    self.stale = current.get("analysis") != versions["analysis"]
                    if self.stale:
                        log.info("search index %s is stale (analysis changed)", path)
                    return
            log.info("no usable search index under %s: starting an empty one", self.root)
            generation = self._new_generation()
            self._index = tantivy.Index(self.schema, path=str(self.root / generation))
            self._switch_current(generation)
            self.stale = True

    def _stamp(self) -> int | None:
        try:
            return self._current_file.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _new_generation(self) -> str:
        base = time.strftime("g%Y%m%d%H%M%S")
        for n in range(1000):
            name = f"{base}-{os.getpid()}-{n}"
            path = self.root / name
            if not path.exists():
                path.mkdir(parents=True)
                return name
        raise SearchError(f"embedded index: cannot create a generation under {self.root}")

    def _switch_current(self, generation: str) -> None:
        tmp = self._current_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"generation": generation, **index_versions()}), "utf-8")
        os.replace(tmp, self._current_file)
        self._generation = generation
        self._current_stamp = self._stamp()

    def live_index(self) -> tantivy.Index:
        """The index to use now, following a switch another process made to CURRENT."""
        if self._closed:
            raise SearchError("embedded index is closed")
        stamp = self._stamp()
        with self._lock:
            if stamp != self._current_stamp and stamp is not None:
                current = self._read_current() or {}
                generation = str(current.get("generation", ""))
                path = self.root / generation
                if generation and generation != self._generation and path.is_dir():
                    self._index = guard(
                        "open", lambda: tantivy.Index(self.schema, path=str(path), reuse=True)
                    )
                    self._generation = generation
                    self.stale = current.get("analysis") != index_versions()["analysis"]
                self._current_stamp = stamp
            if self._index is None:
                raise SearchError("embedded index is not open")
            return self._index

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._index = None

    # writing to the live generation ---------------------------------------------------

    def write(self, docs: Sequence[ServiceDocument], delete_ids: Sequence[int]) -> None:
        """Delete ``delete_ids``, add ``docs``, commit: searchable when this returns."""
        prepared = [to_tantivy(d) for d in docs]
        index = self.live_index()

        def write() -> None:
            writer = open_writer(index, self._writer_heap, 1)
            try:
                for doc_id in dict.fromkeys(delete_ids):
                    writer.delete_documents_by_term("id", doc_id)
                for doc in prepared:
                    writer.add_document(doc)
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                with contextlib.suppress(BaseException):
                    writer.rollback()
                raise
            finally:
                del writer
            index.reload()

        guard("write", write)

    # building a new generation --------------------------------------------------------

    def start_generation(self) -> tuple[str, tantivy.Index, Any]:
        """A new, empty generation beside the live one, and its writer."""
        self.root.mkdir(parents=True, exist_ok=True)
        generation = self._new_generation()
        index = guard(
            "create", lambda: tantivy.Index(self.schema, path=str(self.root / generation))
        )
        threads = max(1, min(4, (os.cpu_count() or 1)))
        writer = guard(
            "open writer", lambda: open_writer(index, self._writer_heap * threads, threads)
        )
        return generation, index, writer

    @staticmethod
    def add_batch(writer: Any, docs: Sequence[ServiceDocument]) -> None:
        prepared = [to_tantivy(d) for d in docs]

        def add() -> None:
            for doc in prepared:
                writer.add_document(doc)

        guard("index", add)

    def finish_generation(self, generation: str, index: tantivy.Index, writer: Any) -> None:
        """Commit the new generation and make it the live one."""

        def finish() -> None:
            writer.commit()
            writer.wait_merging_threads()
            index.reload()

        guard("commit", finish)
        with self._lock:
            previous = self._generation
            self._index = index
            self._switch_current(generation)
            self.stale = False
        # keep the previous generation for readers in other processes that have not switched
        self._remove_old_generations({generation, previous or ""})

    def discard_generation(self, generation: str) -> None:
        """Delete a generation whose build failed."""
        shutil.rmtree(self.root / generation, True)

    def _remove_old_generations(self, keep: set[str]) -> None:
        """Delete generations older than those kept (names sort by time); a newer one may be
        another process's rebuild in progress."""
        cutoff = min(name for name in keep if name)
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("g") and child.name < cutoff:
                shutil.rmtree(child, ignore_errors=True)
