"""The routes besides ``/graphql``: health, readiness, metrics, stored files, and the JSON
answer for a route or method that does not exist."""

from __future__ import annotations

import hmac
import re
from pathlib import Path

from sqlmodel import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from hub.db import check_connection
from hub.errors import BadUserInput, HubError, MethodNotAllowed, NotFound
from hub.http.responses import error_response
from hub.http.state import hub_state
from hub.logs import request_id_var
from hub.models import StoredFile

MAX_ROW_ID = 2**63 - 1
_FILE_ID = re.compile(r"[0-9]{1,19}")


def not_found(what: str = "Nothing here.") -> Response:
    return error_response([NotFound(what)], request_id_var.get(), 404)


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state = hub_state(request)
    checks: dict[str, str] = {}
    try:
        await check_connection(state.engine)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = str(exc)
    checks["search"] = "ok" if await state.search.ready() else "not ready"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


#: What a stored file may do when a browser shows it: its own inline styles and images from hub,
#: no script, no form, no frame, no request anywhere; ``sandbox`` gives it an origin of its own.
FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox"


async def download(request: Request) -> Response:
    """A stored form: ids are at most 19 ASCII digits within 64 bits, else NOT_FOUND.

    Shown inline, so that a citizen's browser opens a form to read and print it (the guide page
    links it); under ``FILE_CSP``, so that an imported file's script never runs on hub's
    origin."""
    state = hub_state(request)
    raw_id = request.path_params["file_id"]
    if not _FILE_ID.fullmatch(raw_id) or int(raw_id) > MAX_ROW_ID:
        return not_found("No such file.")
    async with state.sessions() as session:
        stored = (
            await session.exec(select(StoredFile).where(StoredFile.id == int(raw_id)))
        ).first()
    if stored is None:
        return not_found("No such file.")
    if stored.url:
        return RedirectResponse(stored.url)
    root = state.settings.files_dir.resolve()
    path = (root / (stored.location or "")).resolve()
    if root not in path.parents or not path.is_file():
        return not_found("No such file.")
    return FileResponse(
        Path(path),
        media_type=stored.content_type,
        filename=stored.name,
        content_disposition_type="inline",
        headers={
            "Cache-Control": "public, max-age=86400",
            "Content-Security-Policy": FILE_CSP,
            "X-Content-Type-Options": "nosniff",
        },
    )


async def metrics(request: Request) -> Response:
    """Open outside production; in production only with ``HUB_METRICS_TOKEN`` as bearer
    (and 404 without one configured, so the route is not even announced)."""
    state = hub_state(request)
    settings = state.settings
    if settings.is_production:
        expected = settings.metrics_token
        given = request.headers.get("authorization", "")
        if expected is None or not hmac.compare_digest(
            given.encode("utf-8", "replace"),
            f"Bearer {expected.get_secret_value()}".encode(),
        ):
            return not_found()
    return await state.metrics.endpoint(request)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, as typed JSON like every other error."""
    assert isinstance(exc, HTTPException)
    error: HubError
    if exc.status_code == 405:
        error = MethodNotAllowed(f"{request.method} is not allowed here.")
    elif exc.status_code == 404:
        error = NotFound("Nothing here.")
    else:
        error = BadUserInput(str(exc.detail))
    return error_response([error], request_id_var.get(), exc.status_code)
