"""The pages' GraphQL documents, and running them.

Each page asks the public schema through one named document in ``queries/``, exactly as a
mobile app would. The documents are registered as persisted queries at start (kept, never
evicted), so a client can send just their sha256; the page script does that for suggestions.
Running one here goes through the ``/graphql`` endpoint's own path (limits, cost, validation,
deadline), with the viewer of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request

from hub.auth.viewer import ANONYMOUS, Viewer
from hub.errors import HubError
from hub.http.documents import DocumentError
from hub.http.params import RequestRefused
from hub.http.persisted import PersistedQueryStore, query_hash
from hub.http.state import hub_state

HERE = Path(__file__).parent / "queries"
DOCUMENTS: dict[str, str] = {
    path.stem: path.read_text(encoding="utf-8") for path in sorted(HERE.glob("*.graphql"))
}
HASHES: dict[str, str] = {name: query_hash(text) for name, text in DOCUMENTS.items()}


async def register(store: PersistedQueryStore) -> int:
    for name, text in DOCUMENTS.items():
        await store.put(HASHES[name], text, keep=True)
    return len(DOCUMENTS)


@dataclass
class PageProblem(Exception):
    """Why a page cannot be shown: its status, a title and message for people, the code."""

    status: int
    title: str
    message: str
    code: str


_BY_CODE = {
    "NOT_FOUND": (404, "没有找到", "要找的内容不存在或已下线。"),
    "BAD_USER_INPUT": (400, "输入有误", "请检查输入的内容后再试。"),
    "UNAUTHENTICATED": (401, "请先登录", "这个页面需要登录后查看。"),
    "FORBIDDEN": (403, "没有权限", "你的账号没有查看这个页面的权限。"),
    "QUERY_TOO_COMPLEX": (400, "请求过大", "请缩小范围后再试。"),
    "TIMEOUT": (503, "服务繁忙", "查询用时过长，请稍后再试。"),
    "SERVICE_UNAVAILABLE": (503, "服务暂不可用", "请稍后再试。"),
}


def _problem(error: HubError | None, code: str, message: str | None = None) -> PageProblem:
    status, title, text = _BY_CODE.get(code, (500, "出错了", "服务出现问题，请稍后再试。"))
    if code == "BAD_USER_INPUT" and message:
        text = message
    return PageProblem(status, title, text, code)


async def fetch(
    request: Request,
    name: str,
    variables: dict[str, Any] | None = None,
    viewer: Viewer = ANONYMOUS,
) -> dict[str, Any]:
    """The data of the named document; a ``PageProblem`` for the first error it answered (a
    missing item at any path is NOT_FOUND → 404)."""
    endpoint = hub_state(request).graphql
    try:
        result = await endpoint.run(request, DOCUMENTS[name], variables, viewer)
    except RequestRefused as exc:
        raise _problem(exc.error, exc.error.code, exc.error.message) from None
    except DocumentError as exc:
        raise _problem(exc.errors[0], exc.errors[0].code, exc.errors[0].message) from None
    except HubError as exc:
        raise _problem(exc, exc.code, exc.message) from None
    if result.errors:
        original = result.errors[0].original_error
        if isinstance(original, HubError):
            raise _problem(original, original.code, original.message)
        if original is not None and not isinstance(original, GraphQLError):
            raise original  # the guard answers it (503 when the database is down, else 500)
        raise _problem(None, "BAD_USER_INPUT", result.errors[0].message)
    assert result.data is not None
    return result.data
