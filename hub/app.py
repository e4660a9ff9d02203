"""``create_app(settings)``: the Starlette application. Nothing is built at import time."""

from __future__ import annotations

import contextlib
import hmac
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hub import migrate
from hub.api.documents import DocumentCache
from hub.api.endpoint import GraphQLEndpoint
from hub.api.persisted import PersistedQueryStore, open_store, register_directory
from hub.api.responses import error_response
from hub.auth.request_viewer import viewer_from_request
from hub.auth.runtime import IdentityRuntime
from hub.auth.viewer import Viewer
from hub.context import Context
from hub.db import check_connection, create_engine, session_factory
from hub.errors import BadUserInput, HubError, MethodNotAllowed, NotFound
from hub.guard import GuardMiddleware
from hub.logs import configure_logging, request_id_var
from hub.metrics import Metrics
from hub.middleware import ClientAddressMiddleware, RequestIdMiddleware
from hub.models import StoredFile
from hub.schema import build_schema
from hub.search.runtime import SearchRuntime, open_search
from hub.settings import Settings

log = logging.getLogger("hub.app")

MAX_ROW_ID = 2**63 - 1
_FILE_ID = re.compile(r"[0-9]{1,19}")


@dataclass
class HubState:
    """What the lifespan opens and the routes use; kept on ``app.state.hub``."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    persisted: PersistedQueryStore
    search: SearchRuntime
    identity: IdentityRuntime


def create_app(config: Settings | None = None) -> Starlette:
    settings: Settings = config if config is not None else Settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    schema = build_schema()
    graphql_schema = schema._schema
    metrics = Metrics()
    documents = DocumentCache(graphql_schema, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings)
        await check_connection(engine)
        if settings.is_sqlite:
            await migrate.upgrade(engine, settings)
        sessions = session_factory(engine)
        state = HubState(
            settings=settings,
            engine=engine,
            sessions=sessions,
            persisted=open_store(settings),
            search=await open_search(settings, sessions),
            identity=IdentityRuntime.create(settings),
        )
        if settings.persisted_queries_dir is not None:
            registered = await register_directory(state.persisted, settings.persisted_queries_dir)
            log.info("registered %d persisted queries", registered)
        app.state.hub = state
        zero = state.search.service.zero_results
        metrics.watch(
            "hub_zero_result_log_dropped",
            "Zero-result queries not logged (per-address limit, full queue, failed write).",
            lambda: zero.dropped,
        )
        metrics.watch(
            "hub_zero_result_log_written", "Zero-result queries logged.", lambda: zero.written
        )
        metrics.watch(
            "hub_zero_result_log_queued", "Zero-result queries waiting.", lambda: zero.queued
        )
        try:
            yield
        finally:
            await state.search.aclose()
            await state.identity.aclose()
            await state.persisted.aclose()
            await engine.dispose()

    def make_context(request: Request, viewer: Viewer, request_id: str) -> Context:
        state: HubState = request.app.state.hub
        return Context(
            settings=settings,
            sessions=state.sessions,
            viewer=viewer,
            request_id=request_id,
            request=request,
            search=state.search.service,
            state=state,
        )

    class _Endpoint:
        """Binds the GraphQL endpoint to the state opened by the lifespan."""

        def __init__(self) -> None:
            self.endpoint: GraphQLEndpoint | None = None

        async def handle(self, request: Request) -> Response:
            if self.endpoint is None:
                state: HubState = request.app.state.hub
                self.endpoint = GraphQLEndpoint(
                    schema=graphql_schema,
                    settings=settings,
                    documents=documents,
                    persisted=state.persisted,
                    metrics=metrics,
                    make_context=make_context,
                    resolve_viewer=viewer_from_request,
                )
            return await self.endpoint(request)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        state: HubState = request.app.state.hub
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

    def not_found(what: str = "Nothing here.") -> Response:
        return error_response([NotFound(what)], request_id_var.get(), 404)

    async def download(request: Request) -> Response:
        state: HubState = request.app.state.hub
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
        root = settings.files_dir.resolve()
        path = (root / (stored.location or "")).resolve()
        if root not in path.parents or not path.is_file():
            return not_found("No such file.")
        return FileResponse(
            Path(path),
            media_type=stored.content_type,
            filename=stored.name,
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def home(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    async def metrics_endpoint(request: Request) -> Response:
        """Open outside production; in production only with ``HUB_METRICS_TOKEN`` as bearer
        (and 404 without one configured, so the route is not even announced)."""
        if settings.is_production:
            expected = settings.metrics_token
            given = request.headers.get("authorization", "")
            if expected is None or not hmac.compare_digest(
                given.encode("utf-8", "replace"),
                f"Bearer {expected.get_secret_value()}".encode(),
            ):
                return not_found()
        return await metrics.endpoint(request)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        error: HubError
        if exc.status_code == 405:
            error = MethodNotAllowed(f"{request.method} is not allowed here.")
        elif exc.status_code == 404:
            error = NotFound("Nothing here.")
        else:
            error = BadUserInput(str(exc.detail))
        return error_response([error], request_id_var.get(), exc.status_code)

    graphql = _Endpoint()
    routes = [
        Route("/", home),
        Route("/graphql", graphql.handle, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/files/{file_id}/{name:path}", download),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error}
    )
    app.add_middleware(ClientAddressMiddleware, networks=settings.trusted_proxy_networks)
    app.add_middleware(GuardMiddleware, max_header_bytes=settings.max_header_bytes)
    app.add_middleware(RequestIdMiddleware, networks=settings.trusted_proxy_networks)
    return app
