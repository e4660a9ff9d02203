"""Giving the memory that requests freed back to the system.

CPython frees a request's objects as soon as the request ends, but glibc's allocator keeps
the freed pages in its arenas (one for each thread that allocates: the event loop's, the
database driver's, ``asyncio.to_thread``'s) to reuse them, and returns a page only when
everything above it is free too. Pages in the middle of an arena that hold no live object
stay resident. Measured in-process on the seeded city (2026-12-06): 1,000 anonymous reads
raised the anonymous RSS by 36–42 MB, of which ``malloc_trim(0)`` gave back all but
5–15 MB; what stayed was the bounded caches filling (response-cache entries, grants, the
people of sign-ins). Under ``bench/city_day.py --soak`` a worker's anonymous RSS rose by
about 4.6 MB a minute without it.

:func:`trimming` calls ``malloc_trim(0)`` every ``HUB_MALLOC_TRIM_SECONDS``. On a C library
without it (musl, macOS) it does nothing. It has a price: the pages given back are faulted
in again as requests need them, kernel time that ``bench/city_day.py`` measured at 0.1 and
0.25 CPU at 25 % and 50 % of the peak (against 0.02–0.08 without).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
from typing import Any

log = logging.getLogger(__name__)


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()
#: calls to :func:`trim` that ran, in this process (for tests and reports)
trims = 0


def available() -> bool:
    return _LIBC is not None


def trim() -> bool:
    """Return the free pages of every arena to the system; whether any memory was released."""
    global trims
    if _LIBC is None:
        return False
    trims += 1
    return bool(_LIBC.malloc_trim(0))


async def trimming(interval: float) -> None:
    """:func:`trim` every ``interval`` seconds, in a worker thread (it takes each arena's lock
    in turn, a few milliseconds on a large heap), until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(trim)
        except Exception:  # never let a trim end the loop
            log.exception("malloc_trim failed")
