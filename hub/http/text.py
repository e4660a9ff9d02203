"""Text and JSON a request may carry: no NUL, no lone surrogates, no deep nesting.

PostgreSQL refuses NUL in text and UTF-8 has no lone surrogates, so either would fail deep
inside a statement or an encoder; they are refused at the door as ``BAD_USER_INPUT``.
"""

from __future__ import annotations

import json
from typing import Any

from hub.errors import BadUserInput

MAX_JSON_DEPTH = 32


def bad_text_reason(value: str) -> str | None:
    """Why ``value`` may not be stored, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def check_value(value: Any, what: str) -> None:
    """Walk a decoded JSON value (iteratively): depth, keys and strings."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadUserInput(f"'{what}' is nested more than {MAX_JSON_DEPTH} levels deep.")
        if isinstance(item, str):
            reason = bad_text_reason(item)
            if reason is not None:
                raise BadUserInput(f"A string in '{what}' {reason}.")
        elif isinstance(item, dict):
            for key, sub in item.items():
                reason = bad_text_reason(key)
                if reason is not None:
                    raise BadUserInput(f"A key in '{what}' {reason}.")
                stack.append((sub, depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, depth + 1) for sub in item)


def load_json(raw: str | bytes, what: str) -> Any:
    """Decode JSON sent by a client; BAD_USER_INPUT for anything that is not plain JSON."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise BadUserInput(f"'{what}' is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadUserInput(f"'{what}' is not valid JSON.") from None
    check_value(value, what)
    return value
