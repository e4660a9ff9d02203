"""Per-process identity state: the grant cache, the address throttle and the password hasher.

The app's lifespan creates it with the rest of ``app.state.hub`` and closes it at shutdown,
so that each app (and each test's app) has its own and nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.grants import GrantCache
from hub.auth.passwords import Passwords
from hub.auth.throttle import AddressThrottle, open_throttle
from hub.settings import Settings


@dataclass
class IdentityRuntime:
    settings: Settings
    passwords: Passwords
    grants: GrantCache
    throttle: AddressThrottle

    @classmethod
    def create(cls, settings: Settings) -> IdentityRuntime:
        return cls(
            settings=settings,
            passwords=Passwords.from_settings(settings),
            grants=GrantCache(),
            throttle=open_throttle(settings),
        )

    check_engine: AsyncEngine | None = None

    def engine_for_checks(self, engine: AsyncEngine) -> AsyncEngine:
        """The engine the per-request check reads with. On PostgreSQL it runs in autocommit:
        one read needs no BEGIN and ROLLBACK around it (two round trips fewer). On SQLite,
        where the driver starts no transaction for a SELECT anyway, switching the mode
        would cost more than it saves."""
        if self.check_engine is None:
            if engine.dialect.name == "postgresql":
                self.check_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
            else:
                self.check_engine = engine
        return self.check_engine

    async def aclose(self) -> None:
        await self.throttle.aclose()


def identity_runtime(app: Any) -> IdentityRuntime:
    """The runtime the app's lifespan opened (``app.state.hub.identity``)."""
    runtime: IdentityRuntime = app.state.hub.identity
    return runtime
