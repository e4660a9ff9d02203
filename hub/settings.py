"""Configuration, read from the environment (prefix ``HUB_``) and never at import time.

Call :func:`get_settings` where settings are needed; tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

from functools import cached_property
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

    # identity
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    demo_password: SecretStr | None = None

    # seeding and start-up
    seed_on_empty: bool = True
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
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

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
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "search"

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
