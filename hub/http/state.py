"""What the app's lifespan opens and the routes use, kept on ``app.state.hub``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from hub.auth.runtime import IdentityRuntime
from hub.http.endpoint import GraphQLEndpoint
from hub.http.persisted import PersistedQueryStore
from hub.metrics import Metrics
from hub.search.runtime import SearchRuntime
from hub.settings import Settings
from hub.sso.logout import LogoutWorker
from hub.sso.runtime import SsoRuntime


@dataclass
class HubState:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    persisted: PersistedQueryStore
    search: SearchRuntime
    identity: IdentityRuntime
    metrics: Metrics
    sso: SsoRuntime
    logouts: LogoutWorker
    #: the ``/graphql`` endpoint; pages rendered on the server run their documents through it
    graphql: GraphQLEndpoint


def hub_state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state
