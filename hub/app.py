"""``create_app(settings)``: the Starlette application. Nothing is built at import time."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hub import migrate
from hub.api.documents import DocumentCache
from hub.api.endpoint import GraphQLEndpoint
from hub.api.persisted import PersistedQueryStore, open_store, register_directory
from hub.auth.request_viewer import viewer_from_request
from hub.auth.runtime import IdentityRuntime
from hub.auth.viewer import Viewer
from hub.context import Context
from hub.db import check_connection, create_engine, session_factory
from hub.logs import configure_logging
from hub.metrics import Metrics
from hub.middleware import ClientAddressMiddleware, RequestIdMiddleware
from hub.models import StoredFile
from hub.schema import build_schema
from hub.search.runtime import SearchRuntime, open_search
from hub.settings import Settings

log = logging.getLogger("hub.app")


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
            persisted=open_store(settings.redis_url),
            search=await open_search(settings, sessions),
            identity=IdentityRuntime.create(settings),
        )
        if settings.persisted_queries_dir is not None:
            registered = await register_directory(state.persisted, settings.persisted_queries_dir)
            log.info("registered %d persisted queries", registered)
        app.state.hub = state
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

    async def download(request: Request) -> Response:
        state: HubState = request.app.state.hub
        try:
            file_id = int(request.path_params["file_id"])
        except ValueError:
            return JSONResponse({"error": "not found"}, status_code=404)
        async with state.sessions() as session:
            stored = (
                await session.exec(select(StoredFile).where(StoredFile.id == file_id))
            ).first()
        if stored is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        if stored.url:
            return RedirectResponse(stored.url)
        root = settings.files_dir.resolve()
        path = (root / (stored.location or "")).resolve()
        if root not in path.parents or not path.is_file():
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(
            Path(path),
            media_type=stored.content_type,
            filename=stored.name,
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def home(_request: Request) -> Response:
        return RedirectResponse("/graphql")

    graphql = _Endpoint()
    routes = [
        Route("/", home),
        Route("/graphql", graphql.handle, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        Route("/files/{file_id}/{name:path}", download),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(ClientAddressMiddleware, networks=settings.trusted_proxy_networks)
    app.add_middleware(RequestIdMiddleware)
    return app
