"""Running a domain change for a mutation: one unit of work, as the viewer, under the
request's id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hub.db import unit_of_work
from hub.graphql.context import Context

T = TypeVar("T")


async def run_change(ctx: Context, change: Callable[..., Awaitable[T]], **arguments: Any) -> T:
    """Run the domain function ``change`` in its own transaction, as the viewer and under the
    request's id: committed when it returns, rolled back (nothing changed) when it raises.

    The viewer was read when the request began; before the change commits, its audit event
    confirms that the actor still is that viewer (:func:`hub.identity.common.confirm_actor`),
    so rights lost meanwhile (a suspension, a transfer) answer FORBIDDEN and write nothing."""
    async with unit_of_work(ctx.sessions) as session:
        return await change(
            session=session, actor=ctx.viewer, request_id=ctx.request_id, **arguments
        )
