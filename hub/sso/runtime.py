"""Per-process SSO state: the signing keys, the check's caches and the logout worker."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.settings import Settings
from hub.sso.check import ClientOrgPaths, PersonClaims
from hub.sso.keys import KeyStore


@dataclass
class SsoRuntime:
    settings: Settings
    keys: KeyStore
    client_paths: ClientOrgPaths = field(default_factory=ClientOrgPaths)
    people: PersonClaims = field(default_factory=PersonClaims)

    @classmethod
    def create(cls, settings: Settings) -> SsoRuntime:
        return cls(settings=settings, keys=KeyStore(settings))

    def issuer(self, request_base: str) -> str:
        """``HUB_PUBLIC_URL``, or outside production the address the request came to."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return request_base.rstrip("/")
