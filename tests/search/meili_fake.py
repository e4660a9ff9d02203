"""Fakes that stand for a Meilisearch server, which cannot run on this machine.

:class:`FakeClient` stands for the official client talking to a server: it keeps indexes,
settings and documents in memory and answers as the server does where the hub depends on
it (each point was read in meilisearch/meilisearch and meilisearch/meilisearch-python 0.43):

- getting an index that does not exist raises ``MeilisearchApiError`` ``index_not_found``;
  so does searching it; a task on it (deleting documents, deleting it, swapping) fails with
  that code, while adding documents or settings creates it;
- creating an index that exists is a task that fails with ``index_already_exists``;
- settings are merged into the index's only if their task succeeds;
- hits carry only displayed attributes (``displayedAttributes`` ∩ ``attributesToRetrieve``);
- ``totalHits`` stops at ``pagination.maxTotalHits`` (1000 by default) and no hit beyond it
  is served, while facet counts are over every match;
- ``delete_documents`` with ids warns (``DeprecationWarning``), as client 0.43 does; by
  filter it needs the attribute to be filterable, else its task fails
  (``invalid_document_filter``).

Tasks are done when they are enqueued; ``fail_next`` makes the next task whose kind starts
with it fail instead. What a query matches is given per index in ``matches`` (query → ids,
best first); a blank query matches every document, by id.

:class:`FakeHttp` stands for the server one level lower, under the real client: it replaces
``requests``' verbs and answers the few routes the hub's writes and health checks use.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from meilisearch.errors import MeilisearchApiError

DEFAULT_MAX_TOTAL_HITS = 1000  # the server's default pagination.maxTotalHits
ENQUEUED_AT = "2025-01-01T00:00:00.000000Z"


def api_error(code: str, message: str, status: int = 404) -> MeilisearchApiError:
    body = json.dumps({"code": code, "message": message})
    return MeilisearchApiError(message, SimpleNamespace(status_code=status, text=body))  # type: ignore[arg-type]


@dataclass
class FakeIndex:
    uid: str
    docs: dict[Any, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    matches: dict[str, list[Any]] = field(default_factory=dict)
    scores: dict[Any, float] = field(default_factory=dict)
    searches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def search(self, q: str, params: dict[str, Any]) -> dict[str, Any]:
        self.searches.append((q, params))
        embedder = (params.get("hybrid") or {}).get("embedder")
        if embedder is not None and embedder not in (self.settings.get("embedders") or {}):
            raise api_error("invalid_search_embedder", f"no embedder {embedder}", 400)
        ids = self.matches.get(q, sorted(self.docs) if q == "" else [])
        found = [self.docs[i] for i in ids if i in self.docs]
        cap = (self.settings.get("pagination") or {}).get("maxTotalHits", DEFAULT_MAX_TOTAL_HITS)
        if "page" in params or "hitsPerPage" in params:
            size = params.get("hitsPerPage", 20)
            offset, limit = (params.get("page", 1) - 1) * size, size
        else:
            offset, limit = params.get("offset", 0), params.get("limit", 20)
        offset = min(offset, cap)
        limit = min(limit, cap - offset)
        answer: dict[str, Any] = {
            "hits": [self._shown(d, params) for d in found[offset : offset + limit]],
            "totalHits": min(len(found), cap),
        }
        if params.get("facets"):
            answer["facetDistribution"] = {name: _counts(found, name) for name in params["facets"]}
        return answer

    def _shown(self, doc: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        displayed = self.settings.get("displayedAttributes") or ["*"]
        wanted = params.get("attributesToRetrieve") or ["*"]
        hit = {
            k: v
            for k, v in doc.items()
            if ("*" in displayed or k in displayed) and ("*" in wanted or k in wanted)
        }
        if params.get("showRankingScore"):
            hit["_rankingScore"] = self.scores.get(doc["id"], 1.0)
        return hit


def _counts(docs: list[dict[str, Any]], name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for doc in docs:
        value = doc.get(name)
        for v in value if isinstance(value, list) else [] if value is None else [value]:
            out[str(v)] = out.get(str(v), 0) + 1
    return out


class FakeClient:
    """Stands for ``meilisearch.Client`` and the server behind it; records every call."""

    def __init__(self, version: str = "1.12.0") -> None:
        self.version = version
        self.indexes: dict[str, FakeIndex] = {}
        self.calls: list[str] = []
        self.fail_next: str | None = None
        self.tasks: dict[int, SimpleNamespace] = {}

    def _task(self, kind: str, act: Callable[[], dict[str, str] | None]) -> SimpleNamespace:
        """Enqueue and do a task: ``act`` returns the error that makes it fail, if any."""
        uid = len(self.tasks) + 1
        self.calls.append(kind)
        error: dict[str, str] | None
        if self.fail_next is not None and kind.startswith(self.fail_next):
            self.fail_next = None
            error = {"code": "internal", "message": "the fake was told to fail this task"}
        else:
            error = act()
        status = "failed" if error else "succeeded"
        self.tasks[uid] = SimpleNamespace(uid=uid, status=status, error=error)
        return SimpleNamespace(task_uid=uid)

    def _missing(self, uid: str) -> dict[str, str] | None:
        if uid in self.indexes:
            return None
        return {"code": "index_not_found", "message": f"Index `{uid}` not found."}

    def wait_for_task(self, uid: int, timeout_in_ms: int, interval_in_ms: int) -> Any:
        return self.tasks[uid]

    def get_version(self) -> dict[str, str]:
        self.calls.append("version")
        return {"pkgVersion": self.version, "commitSha": "fake", "commitDate": "fake"}

    def get_raw_index(self, uid: str) -> dict[str, Any]:
        if uid not in self.indexes:
            raise api_error("index_not_found", f"Index `{uid}` not found.")
        return {"uid": uid, "primaryKey": "id"}

    def create_index(self, uid: str, options: dict[str, Any]) -> Any:
        def act() -> dict[str, str] | None:
            if uid in self.indexes:
                return {"code": "index_already_exists", "message": f"Index `{uid}` already exists."}
            self.indexes[uid] = FakeIndex(uid)
            return None

        return self._task(f"create {uid}", act)

    def delete_index(self, uid: str) -> Any:
        return self._task(f"delete {uid}", lambda: self._missing(uid) or self._drop(uid))

    def _drop(self, uid: str) -> None:
        del self.indexes[uid]

    def swap_indexes(self, parameters: list[dict[str, list[str]]]) -> Any:
        a, b = parameters[0]["indexes"]

        def act() -> dict[str, str] | None:
            missing = self._missing(a) or self._missing(b)
            if missing is None:
                self.indexes[a], self.indexes[b] = self.indexes[b], self.indexes[a]
                self.indexes[a].uid, self.indexes[b].uid = a, b
            return missing

        return self._task(f"swap {a} {b}", act)

    def index(self, uid: str) -> FakeHandle:
        return FakeHandle(self, uid)  # like the client's: no request, nothing created

    def is_healthy(self) -> bool:
        return True


class FakeHandle:
    """Stands for ``meilisearch.index.Index``."""

    def __init__(self, client: FakeClient, uid: str) -> None:
        self.client = client
        self.uid = uid

    def _target(self) -> FakeIndex:
        if self.uid not in self.client.indexes:
            raise api_error("index_not_found", f"Index `{self.uid}` not found.")
        return self.client.indexes[self.uid]

    def _created(self) -> FakeIndex:
        return self.client.indexes.setdefault(self.uid, FakeIndex(self.uid))

    def update_settings(self, body: dict[str, Any]) -> Any:
        return self.client._task(
            f"settings {self.uid}", lambda: self._created().settings.update(body)
        )

    def update_synonyms(self, body: dict[str, list[str]] | None) -> Any:
        return self.client._task(
            f"synonyms {self.uid}",
            lambda: self._created().settings.update(synonyms=dict(body or {})),
        )

    def add_documents(self, docs: list[dict[str, Any]], primary_key: str | None = None) -> Any:
        return self.client._task(f"add {self.uid}", lambda: self._add(docs))

    def _add(self, docs: list[dict[str, Any]]) -> dict[str, str] | None:
        # like the server: vectors only for a configured embedder, of its dimensions
        index = self._created()
        embedders = index.settings.get("embedders") or {}
        for doc in docs:
            for name, vector in (doc.get("_vectors") or {}).items():
                if name not in embedders:
                    return {"code": "invalid_vectors_type", "message": f"no embedder {name}"}
                if vector is not None and len(vector) != embedders[name]["dimensions"]:
                    return {"code": "invalid_vector_dimensions", "message": "wrong length"}
        index.docs.update({d["id"]: d for d in docs})
        return None

    def delete_documents(self, ids: list[Any] | None = None, *, filter: str | None = None) -> Any:
        if ids:
            warnings.warn(
                "The use of ids is depreciated and will be removed in the future",
                DeprecationWarning,
                stacklevel=2,
            )
        return self.client._task(f"delete docs {self.uid}", lambda: self._delete(ids, filter))

    def _delete(self, ids: list[Any] | None, flt: str | None) -> dict[str, str] | None:
        missing = self.client._missing(self.uid)
        if missing:
            return missing
        target = self.client.indexes[self.uid]
        if not ids:
            found = re.fullmatch(r"(\w+) IN \[([\d, ]*)\]", flt or "")
            assert found, f"the fake knows only `attribute IN [numbers]`, not {flt!r}"
            attribute = found.group(1)
            if attribute not in (target.settings.get("filterableAttributes") or []):
                message = f"Attribute `{attribute}` is not filterable."
                return {"code": "invalid_document_filter", "message": message}
            wanted = {int(v) for v in found.group(2).split(",") if v.strip()}
            ids = [k for k, d in target.docs.items() if d.get(attribute) in wanted]
        for i in ids:
            target.docs.pop(i, None)
        return None

    def search(self, q: str, params: dict[str, Any]) -> dict[str, Any]:
        return self._target().search(q, params)

    def get_stats(self) -> Any:
        return SimpleNamespace(number_of_documents=len(self._target().docs))

    def get_document(self, doc_id: str) -> Any:
        docs = self._target().docs
        if doc_id not in docs:
            raise api_error("document_not_found", f"Document `{doc_id}` not found.")
        return SimpleNamespace(**docs[doc_id])


class FakeHttp:
    """Stands for a server under the real client: ``install`` replaces ``requests``' verbs.
    Like the server, it refuses a JSON body sent without ``Content-Type: application/json``
    (``missing_content_type``). ``pause(method, path)``, if set, runs as each request
    arrives, before its headers are read."""

    def __init__(self, version: str = "1.12.0") -> None:
        self.version = version
        self.indexes: set[str] = set()
        self.tasks = 0
        self.seen: list[tuple[str, str, str | None]] = []  # method, path, Content-Type
        self.pause: Callable[[str, str], None] | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for verb in ("get", "post", "patch", "put", "delete"):
            monkeypatch.setattr(requests, verb, self._verb(verb))

    def _verb(self, verb: str) -> Callable[..., requests.Response]:
        def send(url: str, **kwargs: Any) -> requests.Response:
            return self._answer(verb, url, kwargs.get("headers") or {}, kwargs.get("data"))

        send.__name__ = verb  # the client tells a GET by its function's name
        return send

    def _answer(
        self, method: str, url: str, headers: dict[str, str], data: Any
    ) -> requests.Response:
        path = urlsplit(url).path.strip("/")
        if self.pause is not None:
            self.pause(method, path)
        content_type = headers.get("Content-Type")  # read as it is sent
        self.seen.append((method, path, content_type))
        if method in ("post", "patch", "put") and content_type != "application/json":
            return _response(415, {"code": "missing_content_type", "message": "no type"})
        parts = path.split("/")
        if (method, path) == ("get", "version"):
            return _response(200, {"pkgVersion": self.version})
        if (method, path) == ("get", "health"):
            return _response(200, {"status": "available"})
        if method == "get" and parts[0] == "tasks":
            done = {"uid": int(parts[1]), "status": "succeeded", "type": "fake"}
            return _response(200, {**done, "enqueuedAt": ENQUEUED_AT})
        if method == "get" and parts[0] == "indexes" and len(parts) == 2:
            if parts[1] in self.indexes:
                return _response(200, {"uid": parts[1], "primaryKey": "id"})
            return _response(404, {"code": "index_not_found", "message": "not found"})
        if (method, path) == ("post", "indexes"):
            self.indexes.add(json.loads(data)["uid"])
        return self._enqueued()

    def _enqueued(self) -> requests.Response:
        self.tasks += 1
        task = {"taskUid": self.tasks, "indexUid": None, "status": "enqueued", "type": "fake"}
        return _response(202, {**task, "enqueuedAt": ENQUEUED_AT})


def _response(status: int, body: dict[str, Any]) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(body).encode("utf-8")
    answer.encoding = "utf-8"
    answer.url = "http://meili.invalid/"
    answer.reason = "fake"
    return answer
