"""What every identity mutation shares: one unit of work, and inputs common to several."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import strawberry

from hub import models
from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.graphql.enums import PostType, Role
from hub.identity.staff import NewMembership
from hub.ids import decode_id

T = TypeVar("T")


async def run_on_staff(
    ctx: Context, change: Callable[..., Awaitable[T]], staff_id: strawberry.ID, **arguments: Any
) -> T:
    """:func:`run_change` on the staff member a global id names."""
    return await run_change(ctx, change, staff_id=decode_id(staff_id, "Staff"), **arguments)


async def run_on_membership(
    ctx: Context,
    change: Callable[..., Awaitable[T]],
    membership_id: strawberry.ID,
    **arguments: Any,
) -> T:
    """:func:`run_change` on the membership a global id names."""
    return await run_change(
        ctx, change, membership_id=decode_id(membership_id, "Membership"), **arguments
    )


@strawberry.input(description="A post to give a staff member.")
class NewMembershipInput:
    org_id: strawberry.ID = strawberry.field(description="Global id of the org.")
    post_type: PostType = strawberry.field(
        default=models.enums.PostType.PRIMARY,
        description="Kind of post; primary (主职) by default.",
    )
    position: str = strawberry.field(default="", description="职务, e.g. 科员.")
    rank: str = strawberry.field(default="", description="职级, e.g. 一级科员.")
    roles: list[Role] = strawberry.field(
        default_factory=list,
        description="Roles over the org and its subtree; you must hold each one there.",
    )
    starts_on: date | None = strawberry.field(
        default=None, description="First day; today (China time) by default."
    )
    ends_on: date | None = strawberry.field(
        default=None, description="Last day, for a fixed-term post (借调, 代理)."
    )

    def to_data(self) -> NewMembership:
        return NewMembership(
            org_id=decode_id(self.org_id, "Org"),
            post_type=self.post_type,
            position=self.position,
            rank=self.rank,
            roles=tuple(r.value for r in self.roles),
            starts_on=self.starts_on,
            ends_on=self.ends_on,
        )
