"""graphql-core asks of every value it completes whether it is awaitable: ~4,000 times for a
page of 20 services, at 100 ns or more each (an attribute lookup that fails, for a ``str`` or
a row's GraphQL object alike). Whether a value can be awaited depends only on its type (the
``await`` expression looks ``__await__`` up on the type), so the answer is kept per type."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from types import CoroutineType, GeneratorType
from typing import Any, TypeGuard

_MAX_TYPES = 2000  # the schema's types and the builtins: a few hundred
_known: dict[type, bool] = {}


def is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """graphql-core's ``is_awaitable``, answered once per type."""
    kind = type(value)
    known = _known.get(kind)
    if known is not None:
        return known
    if kind is GeneratorType:  # a generator-based coroutine is told by its code flags
        return bool(value.gi_code.co_flags & inspect.CO_ITERABLE_COROUTINE)
    answer = kind is CoroutineType or hasattr(kind, "__await__")
    if len(_known) < _MAX_TYPES:
        _known[kind] = answer
    return answer
