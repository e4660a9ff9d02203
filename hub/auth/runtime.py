"""Per-process identity state: the grant cache, the address throttle and the password hasher.

It hangs off the Starlette application (``app.state.identity``), created on first use, so
that each app (and each test's app) has its own and nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

    async def aclose(self) -> None:
        await self.throttle.aclose()


def identity_runtime(app: Any) -> IdentityRuntime:
    """The runtime of a Starlette app whose lifespan has opened ``app.state.hub``."""
    runtime: IdentityRuntime | None = getattr(app.state, "identity", None)
    if runtime is None:
        runtime = IdentityRuntime.create(app.state.hub.settings)
        app.state.identity = runtime
    return runtime
