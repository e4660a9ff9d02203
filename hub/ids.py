"""Global ids: ``base64url("Type:pk")``, the ids every object of the API is known by.

Plain functions, no GraphQL library: domains name objects in messages and audit trails with
the same ids clients see, without reaching up into the GraphQL layer.
"""

from __future__ import annotations

import base64
import binascii
import re

from hub.errors import BadUserInput

_ROW_ID = re.compile(r"[0-9]{1,18}")


def to_global_id(type_name: str, pk: int | str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str]:
    """Split a global id; a malformed one is the client's error, not ours."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"{global_id!r:.80} is not a valid id.") from None
    if not type_name or not pk:
        raise BadUserInput(f"{global_id!r:.80} is not a valid id.")
    return type_name, pk


def row_id(pk: str) -> int | None:
    """The primary key a global id's tail names: ASCII digits within a 64-bit integer, or
    None (``"²"`` is a digit to ``str.isdigit`` but not a number; 20 digits overflow)."""
    if not _ROW_ID.fullmatch(pk):
        return None
    return int(pk)


def decode_id(global_id: str, *type_names: str) -> int:
    """The integer key of a global id that must name one of ``type_names``."""
    type_name, pk = from_global_id(global_id)
    if type_names and type_name not in type_names:
        raise BadUserInput(f"{global_id!r:.80} is not the id of a {' or '.join(type_names)}.")
    number = row_id(pk)
    if number is None:
        raise BadUserInput(f"{global_id!r:.80} is not a valid id.")
    return number
