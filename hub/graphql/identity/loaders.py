"""The identity loaders of one request, and what a viewer may see through them.

Batches go to :mod:`hub.identity.queries`; visibility is decided there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from hub.identity.queries import (
    MembershipInOrg,
    Rows,
    membership_visible_to,
    memberships_by_ids,
    memberships_of_staff,
    staff_by_ids,
    staff_visible_to,
)
from hub.models import Staff

if TYPE_CHECKING:
    from hub.graphql.context import Context


class IdentityLoaders:
    """Created per request, beside the catalogue loaders (``ctx.loaders.identity``)."""

    def __init__(self, rows: Rows) -> None:
        self.staff_by_id: DataLoader[int, Staff | None] = DataLoader(
            load_fn=lambda keys: staff_by_ids(rows, keys)
        )
        self.memberships_by_staff: DataLoader[int, list[MembershipInOrg]] = DataLoader(
            load_fn=lambda keys: memberships_of_staff(rows, keys)
        )
        self.membership_by_id: DataLoader[int, MembershipInOrg | None] = DataLoader(
            load_fn=lambda keys: memberships_by_ids(rows, keys)
        )


def identity_loaders(ctx: Context) -> IdentityLoaders:
    """The request's identity loaders, made on first use; they die with the request."""
    return ctx.loaders.identity


async def visible_staff(ctx: Context, staff_ids: Sequence[int]) -> list[Staff | None]:
    """Staff rows the viewer may see, ``None`` in place of the others (and the missing)."""
    if ctx.viewer.is_anonymous:
        return [None] * len(staff_ids)
    loaders = identity_loaders(ctx)
    rows = await loaders.staff_by_id.load_many(list(staff_ids))
    memberships = await loaders.memberships_by_staff.load_many(list(staff_ids))
    return [
        staff_visible_to(ctx.viewer, sid, row, ms)
        for sid, row, ms in zip(staff_ids, rows, memberships, strict=True)
    ]


async def visible_memberships_of(ctx: Context, staff_id: int) -> list[MembershipInOrg]:
    """A staff member's memberships that the viewer may see, newest first, one membership at
    a time: seeing the person (through a post in your part of the tree) does not show their
    posts elsewhere."""
    if ctx.viewer.is_anonymous:
        return []
    rows = await identity_loaders(ctx).memberships_by_staff.load(staff_id)
    return [r for r in rows if membership_visible_to(ctx.viewer, r) is not None]


async def visible_memberships(
    ctx: Context, membership_ids: Sequence[int]
) -> list[MembershipInOrg | None]:
    if ctx.viewer.is_anonymous:
        return [None] * len(membership_ids)
    rows = await identity_loaders(ctx).membership_by_id.load_many(list(membership_ids))
    return [membership_visible_to(ctx.viewer, row) for row in rows]
