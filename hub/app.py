"""``create_app(settings)``: the Starlette application. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from graphql import print_schema
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub import memory, migrate
from hub.auth.runtime import IdentityRuntime
from hub.auth.viewer import Viewer
from hub.db import check_connection, create_engine, session_factory
from hub.graphql.context import Context, reads_finished
from hub.graphql.schema import build_schema
from hub.http import routes as routes_
from hub.http.answers import Answers, ensure_public_version
from hub.http.documents import DocumentCache
from hub.http.endpoint import GraphQLEndpoint
from hub.http.graphiql import graphiql_asset
from hub.http.guard import GuardMiddleware
from hub.http.middleware import ClientAddressMiddleware, RequestIdMiddleware
from hub.http.observed import observe_runtime
from hub.http.persisted import open_store, register_directory
from hub.http.response_cache import open_response_cache
from hub.http.sso.routes import ROUTES as SSO_ROUTES
from hub.http.state import HubState, hub_state
from hub.http.viewer import viewer_from_request
from hub.logs import configure_logging
from hub.metrics import Metrics
from hub.search.runtime import open_search
from hub.settings import Settings
from hub.sso.logout import LogoutWorker
from hub.sso.runtime import SsoRuntime
from hub.web import queries as web_queries
from hub.web.routes import ROUTES as WEB_ROUTES

log = logging.getLogger("hub.app")
GC_DEFAULTS = gc.get_threshold()


def create_app(config: Settings | None = None) -> Starlette:
    settings: Settings = config if config is not None else Settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    schema = build_schema()
    graphql_schema = schema._schema
    metrics = Metrics()
    documents = DocumentCache(graphql_schema, settings)

    def make_context(request: Request, viewer: Viewer, request_id: str) -> Context:
        state: HubState = request.app.state.hub
        return Context(
            settings=settings,
            sessions=state.sessions,
            viewer=viewer,
            request_id=request_id,
            request=request,
            search=state.search.service,
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # a statement outliving its request is stopped by the database, well after the deadline
        engine = create_engine(
            settings, statement_timeout=max(60.0, 2 * settings.operation_timeout_seconds)
        )
        await check_connection(engine)
        if settings.is_sqlite:
            await migrate.upgrade(engine, settings)
        sessions = session_factory(engine)
        sso = SsoRuntime.create(settings)
        persisted = open_store(settings)
        search = await open_search(settings, sessions)
        answers = Answers(
            open_response_cache(settings),
            sessions,
            search.service,
            settings,
            print_schema(graphql_schema),
        )
        state = HubState(
            settings=settings,
            engine=engine,
            sessions=sessions,
            persisted=persisted,
            search=search,
            identity=IdentityRuntime.create(settings),
            metrics=metrics,
            sso=sso,
            logouts=LogoutWorker(sessions, sso, issuer=sso.issuer("") or None),
            graphql=GraphQLEndpoint(
                schema=graphql_schema,
                settings=settings,
                documents=documents,
                persisted=persisted,
                metrics=metrics,
                make_context=make_context,
                resolve_viewer=viewer_from_request,
                answers=answers,
            ),
        )
        await ensure_public_version(sessions)
        state.logouts.start()
        await web_queries.register(state.persisted)
        if settings.persisted_queries_dir is not None:
            registered = await register_directory(state.persisted, settings.persisted_queries_dir)
            log.info("registered %d persisted queries", registered)
        app.state.hub = state
        observe_runtime(metrics, state)
        state.search.service.observe = metrics.observe_search
        loop = asyncio.get_running_loop()
        refreshing = (
            loop.create_task(metrics.refreshing(), name="metrics") if metrics.multiprocess else None
        )
        trimming = (
            loop.create_task(memory.trimming(settings.malloc_trim_seconds), name="malloc_trim")
            if settings.malloc_trim_seconds > 0 and memory.available()
            else None
        )
        # what start-up made (~200,000 objects: the schema, the models, the libraries) lives
        # as long as the process: full collections need not scan it again and again
        gc.collect()
        gc.freeze()
        # and a young collection every 20,000 allocations instead of 700: with 16 requests in
        # flight most young objects are alive, and scanning them 30 times as often bought
        # nothing (bench/graphql_bench.py, page of 20: 0.57 -> 0.59 of the raw ceiling)
        gc.set_threshold(20_000, 20, 20)
        try:
            yield
        finally:
            gc.unfreeze()
            gc.set_threshold(*GC_DEFAULTS)
            for task in (refreshing, trimming):
                if task is not None:
                    task.cancel()
            await state.logouts.aclose()
            await state.search.aclose()
            await state.identity.aclose()
            await state.persisted.aclose()
            await answers.aclose()
            await reads_finished(timeout=5)
            await engine.dispose()

    async def _graphql(request: Request) -> Response:
        return await hub_state(request).graphql(request)

    routes = [
        Route("/graphql", _graphql, methods=["GET", "POST"]),
        Route("/graphiql/static/{name}", graphiql_asset),
        Route("/healthz", routes_.healthz),
        Route("/readyz", routes_.readyz),
        Route("/metrics", routes_.metrics),
        Route("/files/{file_id}/{name:path}", routes_.download),
        *SSO_ROUTES,
        *WEB_ROUTES,
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: routes_.http_error}
    )
    app.add_middleware(ClientAddressMiddleware, networks=settings.trusted_proxy_networks)
    app.add_middleware(GuardMiddleware, max_header_bytes=settings.max_header_bytes)
    app.add_middleware(RequestIdMiddleware, networks=settings.trusted_proxy_networks)
    if settings.cors_origin_list:
        # outermost: preflights are answered before anything else, and every answer (errors
        # included) carries the headers a browser on an allowed origin needs to read it
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origin_list),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    return app
