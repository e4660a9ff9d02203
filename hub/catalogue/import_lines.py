"""One line of an import file, parsed and checked; no database here (see ``IMPORT.md``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.models.enums import Audience, ItemType, ServiceStatus

REQUIRED = ("code", "name", "org", "themes", "audience", "description")
OPTIONAL = (
    "materials",
    "item_type",
    "status",
    "short_name",
    "aliases",
    "conditions",
    "online_depth",
    "visits",
)
DEFAULT_ITEM_TYPE = ItemType.PUBLIC_SERVICE


class LineError(ValueError):
    """What is wrong with one line; the message is shown to the user as is."""


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    org: str
    themes: list[str]
    audience: Audience
    description: str
    materials: list[str]
    item_type: ItemType
    status: ServiceStatus
    short_name: str | None
    aliases: list[str]
    conditions: str
    online_depth: int | None
    visits: int | None


def parse_theme_map(text: str) -> dict[str, str]:
    """``local<TAB>national`` per line; ``#`` lines and blank lines are skipped."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 2 or not all(parts):
            raise LineError(f"theme map line {number}: expected local<TAB>national")
        mapping[parts[0]] = parts[1]
    return mapping


def parse_line(line: str) -> Item:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise LineError("not a JSON object")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise LineError(f"missing {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise LineError(f"unknown field {', '.join(unknown)}")
    return Item(
        code=_text(data, "code", 64),
        name=_text(data, "name", 200),
        org=_text(data, "org", 100),
        themes=_texts(data, "themes", allow_empty=False),
        audience=_choice(data, "audience", Audience),
        description=_text(data, "description", None, allow_empty=True),
        materials=_texts(data, "materials") if "materials" in data else [],
        item_type=_choice(data, "item_type", ItemType, DEFAULT_ITEM_TYPE),
        status=_choice(data, "status", ServiceStatus, ServiceStatus.PUBLISHED),
        short_name=_text(data, "short_name", 100) if data.get("short_name") else None,
        aliases=_texts(data, "aliases") if "aliases" in data else [],
        conditions=_text(data, "conditions", None, allow_empty=True)
        if "conditions" in data
        else "",
        online_depth=_level(data, "online_depth", 4),
        visits=_level(data, "visits", 3),
    )


def _text(data: dict[str, Any], key: str, limit: int | None, *, allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise LineError(f"{key} must be a string")
    value = value.strip()
    if not value and not allow_empty:
        raise LineError(f"{key} is empty")
    if limit is not None and len(value) > limit:
        raise LineError(f"{key} is longer than {limit} characters")
    return value


def _texts(data: dict[str, Any], key: str, *, allow_empty: bool = True) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LineError(f"{key} must be a list of non-empty strings")
    if not value and not allow_empty:
        raise LineError(f"{key} is empty")
    return list(dict.fromkeys(v.strip() for v in value))


def _choice(data: dict[str, Any], key: str, enum: Any, default: Any = None) -> Any:
    value = data.get(key, default)
    if value is None and default is not None:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise LineError(f"{key} must be one of {allowed}, not {value!r}") from None


def _level(data: dict[str, Any], key: str, highest: int) -> int | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= highest:
        raise LineError(f"{key} must be a whole number from 0 to {highest}")
    return value
