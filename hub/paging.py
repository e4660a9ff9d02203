"""Pages of a list: cursors (opaque offsets) and the window a page's arguments ask for.

Plain functions, no GraphQL library, so that statements and loaders page the same way the
GraphQL connections do.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from hub.errors import BadUserInput

DEFAULT_PAGE_SIZE = 20
_OFFSET = re.compile(r"[0-9]{1,18}")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        offset = int(value) if _OFFSET.fullmatch(value) else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput(f"{cursor!r:.80} is not a valid cursor.") from None
    if kind != "o" or offset < 0 or offset > 2**31:
        raise BadUserInput(f"{cursor!r:.80} is not a valid cursor.")
    return offset


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """Rows ``offset .. offset+limit`` of the list, before the total is known."""

    offset: int
    limit: int
    from_end: bool = False
    before: int | None = None


def page_window(args: PageArgs, max_page_size: int) -> Window:
    for name, value in (("first", args.first), ("last", args.last)):
        if value is not None and value < 0:
            raise BadUserInput(f"'{name}' must not be negative.")
        if value is not None and value > max_page_size:
            raise BadUserInput(
                f"'{name}' is {value}; pages hold at most {max_page_size} items.",
                maxPageSize=max_page_size,
            )
    if args.first is not None and args.last is not None:
        raise BadUserInput("Pass 'first' or 'last', not both.")
    start = decode_cursor(args.after) + 1 if args.after else 0
    before = decode_cursor(args.before) if args.before else None
    if args.last is not None:
        return Window(offset=start, limit=args.last, from_end=True, before=before)
    limit = args.first if args.first is not None else DEFAULT_PAGE_SIZE
    if before is not None:
        limit = max(0, min(limit, before - start))
    return Window(offset=start, limit=limit, before=before)


def resolve_window(window: Window, total: int) -> tuple[int, int]:
    """The concrete (offset, limit) once the total is known."""
    end = min(total, window.before) if window.before is not None else total
    if window.from_end:
        start = max(window.offset, end - window.limit)
        return start, max(0, end - start)
    start = min(window.offset, total)
    return start, max(0, min(window.limit, end - start))
