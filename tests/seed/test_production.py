"""Production never loads the demo city: not on start-up by default, not when asked to."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hub import migrate
from hub.db import create_engine
from hub.seed.load import SeedError, database_is_empty, load_seed
from hub.settings import Settings

SECRET = "s" * 40


def test_start_up_seeds_only_outside_production(tmp_path: Path) -> None:
    assert Settings(environment="development", data_dir=tmp_path).seeds_on_empty
    assert not Settings(
        environment="production", data_dir=tmp_path, secret_key=SECRET
    ).seeds_on_empty
    assert not Settings(
        environment="development", data_dir=tmp_path, seed_on_empty=False
    ).seeds_on_empty
    with pytest.raises(ValidationError, match="HUB_SEED_ON_EMPTY"):
        Settings(environment="production", data_dir=tmp_path, secret_key=SECRET, seed_on_empty=True)


async def test_seeding_a_production_database_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(environment="production", data_dir=tmp_path, secret_key=SECRET)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
        with pytest.raises(SeedError, match="production never loads it"):
            await load_seed(engine, settings, progress=False)
        assert await database_is_empty(engine)
    finally:
        await engine.dispose()
