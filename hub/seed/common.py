"""What every generator shares: the fixed clock, named random streams and the source lists."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

Row = dict[str, Any]
#: The source lists (orgs, names, services, materials, datasets …), human-editable.
DATA_DIR = Path(__file__).parent / "data"

#: The seeded city is "as of" this day; no generator reads the real clock.
SEED_DATE = date(2026, 1, 1)
#: created_at / updated_at of every seeded row, so two loads are byte-identical.
SEED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
#: Region code (GB/T 2260 style, fictional) of the new area; 12-digit codes extend it.
REGION = "519901"


def rng(stream: str) -> random.Random:
    """An independent random stream per concern: adding draws to one never shifts another."""
    return random.Random(f"hub-seed:{stream}")


@cache
def _text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def load_json(name: str) -> Any:
    return json.loads(_text(name))


def load_jsonl(name: str) -> list[Any]:
    return [json.loads(line) for line in _text(name).splitlines() if line.strip()]


def random_date(r: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=r.randint(0, (end - start).days))
