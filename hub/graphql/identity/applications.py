"""Transfer applications (在线提出申请) as GraphQL: the type, and fetching it by global id
with the visibility of :mod:`hub.identity.transfer_applications`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from hub import models
from hub.graphql.catalogue.orgs import Org
from hub.graphql.context import Context
from hub.graphql.enums import TransferStatus
from hub.graphql.identity.loaders import identity_loaders, visible_memberships, visible_staff
from hub.graphql.identity.types import Membership, Staff, member
from hub.graphql.relay import Node, node_type, row_type
from hub.identity.transfer_applications import applications_by_ids, may_decide, may_withdraw


async def _staff(ctx: Context, pk: int | None) -> Staff | None:
    if pk is None:
        return None
    (found,) = await visible_staff(ctx, [pk])
    return Staff.from_model(found) if found is not None else None


async def _org(ctx: Context, pk: int) -> Org:
    org = await ctx.loaders.org_by_id.load(pk)
    assert org is not None, "an application names existing orgs"
    return Org.from_model(org)


@row_type(models.TransferApplication)
@strawberry.type(
    description="在线调动申请: a request to move a staff member's primary post to another org, "
    "made by the person or an admin over their primary org and decided by an admin over the "
    "org applied to; approval makes the transfer. Visible to the person, whoever applied, "
    "admins over either org and system admins."
)
class TransferApplication(Node):
    row: strawberry.Private[models.TransferApplication]
    pk: strawberry.Private[int]
    staff_pk: strawberry.Private[int]
    from_membership_pk: strawberry.Private[int]
    to_org_pk: strawberry.Private[int]
    applied_by_pk: strawberry.Private[int]
    decided_by_pk: strawberry.Private[int | None]
    position: str = strawberry.field(description="职务 asked for in the new org.")
    rank: str = strawberry.field(description="职级 asked for in the new org.")
    reason: str = strawberry.field(description="Why the move is asked for.")
    status: TransferStatus = strawberry.field(
        description="Pending, approved, rejected or withdrawn."
    )
    status_label: str = strawberry.field(description="Status in Chinese.")
    decided_at: datetime | None = strawberry.field(
        description="When it was approved, rejected or withdrawn; null while pending."
    )
    decision_note: str = strawberry.field(
        description="The decider's note (a rejection's reason); empty when none was given."
    )
    version: int = strawberry.field(
        description="Changes with every change to the application; pass it as "
        "`expectedVersion` to decideTransferApplication and withdrawTransferApplication."
    )
    created_at: datetime = strawberry.field(description="When the application was made.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, a: models.TransferApplication) -> TransferApplication:
        return cls(
            row=a,
            pk=a.id or 0,
            staff_pk=a.staff_id,
            from_membership_pk=a.from_membership_id,
            to_org_pk=a.to_org_id,
            applied_by_pk=a.applied_by,
            decided_by_pk=a.decided_by,
            position=a.position,
            rank=a.rank,
            reason=a.reason,
            status=member(models.enums.TransferStatus, a.status),
            status_label=models.enums.TransferStatus.label_of(a.status),
            decided_at=a.decided_at,
            decision_note=a.decision_note,
            version=a.version,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )

    @strawberry.field(
        description="Whether you may approve or reject it now (decideTransferApplication): it "
        "is pending, it does not move you, and you administer the org applied to or one above it."
    )
    async def viewer_may_decide(self, info: Info[Context, None]) -> bool:
        org = await info.context.loaders.org_by_id.load(self.to_org_pk)
        assert org is not None, "an application names existing orgs"
        return may_decide(info.context.viewer, self.row, org.path)

    @strawberry.field(
        description="Whether you may withdraw it now (withdrawTransferApplication): it is "
        "pending and you are the person to move or whoever applied."
    )
    def viewer_may_withdraw(self, info: Info[Context, None]) -> bool:
        return may_withdraw(info.context.viewer, self.row)

    @strawberry.field(
        description="Name of the staff member to move, for everyone who sees the application "
        "(an admin of the org applied to may not see their staff record yet)."
    )
    async def staff_name(self, info: Info[Context, None]) -> str:
        row = await identity_loaders(info.context).staff_by_id.load(self.staff_pk)
        assert row is not None, "an application names an existing staff member"
        return row.name

    @strawberry.field(description="The staff member to move; null when you may not see them.")
    async def staff(self, info: Info[Context, None]) -> Staff | None:
        return await _staff(info.context, self.staff_pk)

    @strawberry.field(
        description="The primary post the person held when applying, which approval ends; "
        "null when you may not see it."
    )
    async def from_membership(self, info: Info[Context, None]) -> Membership | None:
        (found,) = await visible_memberships(info.context, [self.from_membership_pk])
        return Membership.from_row(found) if found is not None else None

    @strawberry.field(description="The org of that post, which the person would leave.")
    async def from_org(self, info: Info[Context, None]) -> Org:
        loaders = identity_loaders(info.context)
        row = await loaders.membership_by_id.load(self.from_membership_pk)
        assert row is not None, "an application names an existing membership"
        return await _org(info.context, row.membership.org_id)

    @strawberry.field(description="The org applied to; its admins decide.")
    async def to_org(self, info: Info[Context, None]) -> Org:
        return await _org(info.context, self.to_org_pk)

    @strawberry.field(
        description="Who applied: the person or an admin; null when you may not see them."
    )
    async def applied_by(self, info: Info[Context, None]) -> Staff | None:
        return await _staff(info.context, self.applied_by_pk)

    @strawberry.field(
        description="Who approved, rejected or withdrew it; null while pending or when you "
        "may not see them."
    )
    async def decided_by(self, info: Info[Context, None]) -> Staff | None:
        return await _staff(info.context, self.decided_by_pk)


@node_type("TransferApplication")
async def _fetch_applications(ctx: Context, pks: Any) -> list[TransferApplication | None]:
    rows = await applications_by_ids(ctx.rows, ctx.viewer, list(pks))
    return [TransferApplication.from_model(r) if r is not None else None for r in rows]
