"""Configuration, read from the environment (prefix ``HUB_``) and never at import time.

Call :func:`get_settings` where settings are needed; tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default is a SQLite file under data_dir.",
    )
    secret_key: SecretStr = SecretStr(DEV_SECRET)

    # search
    search_backend: Literal["embedded", "meilisearch"] = "embedded"
    meili_url: str | None = None
    meili_key: SecretStr | None = None
    meili_index: str = "services"

    # GraphQL
    graphiql: bool | None = None  # default: on outside production
    introspection: bool | None = None  # default: on outside production
    persisted_queries_only: bool = False
    persisted_queries_dir: Path | None = Field(
        default=None,
        description="Directory of *.graphql files registered as persisted queries at start.",
    )
    redis_url: str | None = None
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_page_size: int = 100
    document_cache_size: int = Field(
        default=1024, ge=0, description="Parsed and validated queries kept; 0 turns it off."
    )
    document_cache_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=0,
        description="Memory the cached documents may take (estimated from their size).",
    )
    max_cost: int = Field(
        default=25_000,
        ge=1,
        description="Estimated fields a query may resolve (page sizes multiplied down nested "
        "lists); more is refused as QUERY_TOO_COMPLEX before it runs.",
    )
    operation_timeout_seconds: float = Field(
        default=10.0, gt=0, description="An operation still running after this is cut off."
    )
    max_operations_in_flight: int = Field(
        default=0,
        ge=0,
        description="Operations one process runs at once; one more is answered at once with "
        "503 SERVICE_UNAVAILABLE and Retry-After (0: no limit). Answers from the response "
        "cache are not counted.",
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, description="Largest POST body.")
    max_header_bytes: int = Field(
        default=16 * 1024, ge=1024, description="Largest total size of a request's headers."
    )
    max_query_bytes: int = Field(
        default=32 * 1024, ge=256, description="Largest query text (and persisted query)."
    )
    persisted_query_ttl_seconds: int = Field(
        default=30 * 24 * 3600, ge=60, description="How long Redis keeps a persisted query."
    )
    persisted_query_bytes: int = Field(
        default=8 * 1024 * 1024, ge=0, description="Bytes of persisted queries kept in memory."
    )
    persisted_query_shared_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description="Bytes of learned persisted queries Redis keeps (oldest evicted first).",
    )
    response_cache_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description="Bytes of anonymous answers each process keeps in memory (0: no response "
        "cache).",
    )
    response_cache_entry_bytes: int = Field(
        default=1024 * 1024, ge=0, description="The largest answer the response cache keeps."
    )
    response_cache_shared_bytes_per_hour: int = Field(
        default=256 * 1024 * 1024,
        ge=0,
        description="Bytes of answers written to Redis per hour at most (with HUB_REDIS_URL).",
    )
    response_cache_shared_ttl_seconds: int = Field(
        default=3600,
        ge=1,
        description="How long Redis keeps a shared answer (only to free the room of answers "
        "no key reaches any more).",
    )
    malloc_trim_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often each process gives the memory that requests freed back to the "
        "system (glibc's malloc_trim; 0: never). See hub.memory.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses (or CIDR networks) whose X-Forwarded-For is "
        "believed; empty: the peer address is the client.",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated origins (https://app.example.gov.cn) whose pages may call "
        "the API from a browser, or * for any; empty: none (same-origin pages only).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics asks for; in production /metrics answers 404 "
        "without it.",
    )

    # identity
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    demo_password: SecretStr | None = None
    zero_result_queue: int = Field(
        default=1000, ge=0, description="Zero-result queries waiting to be written, at most."
    )
    zero_result_per_address: int = Field(
        default=30, ge=0, description="Zero-result queries logged per client address a minute."
    )
    search_semantic: bool = Field(
        default=True,
        description="Semantic recall: Chinese queries also find services by meaning, fused "
        "with the lexical ranking (off, or without its package, search is lexical alone).",
    )

    # data sharing
    access_log_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key for the record keys in the dataset access log; derived from "
        "secret_key when unset. Changing it makes old entries' key hashes incomparable.",
    )

    # single sign-on (OpenID Connect provider)
    public_url: str | None = Field(
        default=None,
        description="The address clients reach hub at (https://hub.example.gov.cn); the SSO "
        "issuer. Required in production; elsewhere taken from the request when unset.",
    )
    sso_signing_keys: SecretStr | None = Field(
        default=None,
        description="The SSO key file's content (JSON) for several machines; when unset, keys "
        "live in <data_dir>/sso/keys.json, made on first start, rotated by `hub keys rotate`.",
    )
    sso_key_overlap_hours: int = Field(
        default=24,
        ge=1,
        le=24 * 30,
        description="How long a retired signing key stays published after a rotation.",
    )
    sso_access_token_minutes: int = Field(
        default=5,
        ge=1,
        le=5,
        description="Lifetime of an access or ID token issued to a relying party (at most 5).",
    )
    sso_code_seconds: int = Field(
        default=60, ge=10, le=600, description="Lifetime of an authorization code."
    )
    sso_session_hours: int = Field(
        default=10,
        ge=1,
        le=24 * 7,
        description="How long a browser stays signed in at hub's sign-in page.",
    )
    sso_logout_timeout_seconds: float = Field(
        default=5.0, gt=0, le=30, description="Timeout of one back-channel logout delivery."
    )

    # seeding and start-up
    seed_on_empty: bool | None = Field(
        default=None,
        description="`hub serve` loads the demo seed city into an empty database; on by "
        "default outside production, never in production.",
    )
    seed_scale: int = 1
    log_json: bool = True
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() in ("", DEV_SECRET):
                raise ValueError("HUB_SECRET_KEY must be set to a real secret in production")
            if len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("HUB_SECRET_KEY must be at least 32 characters in production")
            if self.demo_password is not None:
                raise ValueError("HUB_DEMO_PASSWORD is for development only")
            if self.seed_on_empty:
                raise ValueError("HUB_SEED_ON_EMPTY: production never loads the demo seed city")
        try:
            _ = self.trusted_proxy_networks
        except ValueError as exc:
            raise ValueError(f"HUB_TRUSTED_PROXIES: {exc}") from None
        _ = self.cors_origin_list  # refuses what is not an origin
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def seeds_on_empty(self) -> bool:
        """Whether ``hub serve`` loads the demo city into an empty database."""
        return self.seed_on_empty if self.seed_on_empty is not None else not self.is_production

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hub.sqlite3').resolve()}"

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        """The allowed origins, each ``scheme://host[:port]`` without a trailing slash."""
        origins = tuple(o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip())
        for origin in origins:
            if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", origin):
                raise ValueError(f"HUB_CORS_ORIGINS: {origin!r} is not an origin")
        return origins

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "search"

    @property
    def access_log_key(self) -> bytes:
        """The key the access log hashes record keys with."""
        if self.access_log_secret is not None:
            return self.access_log_secret.get_secret_value().encode("utf-8")
        base = self.secret_key.get_secret_value().encode("utf-8")
        return hmac.new(base, b"hub dataset access log", hashlib.sha256).digest()

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def demo_password_value(self) -> str | None:
        """Seeded staff share this password in development; nothing outside it."""
        if self.is_production:
            return None
        if self.demo_password is not None:
            return self.demo_password.get_secret_value()
        return "hub-demo-2026"


def get_settings() -> Settings:
    return Settings()
