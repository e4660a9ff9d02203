"""transferStaff (调动)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.graphql.context import Context
from hub.graphql.enums import Role
from hub.graphql.identity.mutations._common import run_on_staff
from hub.graphql.identity.types import Membership, Staff
from hub.identity import memberships as domain
from hub.ids import decode_id


@strawberry.input(description="Move a staff member's primary post to another org.")
class TransferStaffInput:
    staff_id: strawberry.ID = strawberry.field(description="Global id of the staff member.")
    expected_version: int = strawberry.field(
        description="The staff member's `version` as you read it; CONFLICT when stale."
    )
    to_org_id: strawberry.ID = strawberry.field(description="Global id of the org moved to.")
    reason: str = strawberry.field(description="Why; recorded in the audit trail.")
    position: str | None = strawberry.field(
        default=None, description="职务 in the new org; the post left's when not given."
    )
    rank: str | None = strawberry.field(
        default=None, description="职级 in the new org; the post left's when not given."
    )
    roles: list[Role] = strawberry.field(
        default_factory=list,
        description="Roles in the new org (none by default); you must hold each one there.",
    )
    effective_on: date | None = strawberry.field(
        default=None,
        description="Day the move takes effect: today (China time) by default, never later; "
        "the old post ends and the new one starts that day.",
    )


@strawberry.type(description="Both sides of a transfer.")
class TransferStaffPayload:
    staff: Staff = strawberry.field(description="The staff member, with their new version.")
    ended_membership: Membership = strawberry.field(description="The primary post ended.")
    membership: Membership = strawberry.field(description="The new primary post.")


@strawberry.type
class TransferMutation:
    @strawberry.mutation(
        description="调动: end the primary membership and start one in another org, in one "
        "transaction (audited as membership.transfer). Requires admin over both orgs (an "
        "admin over a common ancestor has both). Rights of the old post end on the next "
        "request, whatever tokens the person holds."
    )
    async def transfer_staff(
        self,
        info: Info[Context, None],
        input: Annotated[
            TransferStaffInput,
            strawberry.argument(
                description="The person, their version, the org moved to and the reason."
            ),
        ],
    ) -> TransferStaffPayload:
        data = domain.Transfer(
            to_org_id=decode_id(input.to_org_id, "Org"),
            effective_on=input.effective_on,
            position=input.position,
            rank=input.rank,
            roles=tuple(r.value for r in input.roles),
        )
        change = await run_on_staff(
            info.context,
            domain.transfer_staff,
            input.staff_id,
            expected_version=input.expected_version,
            data=data,
            reason=input.reason,
        )
        assert change.membership is not None and change.ended_membership is not None
        return TransferStaffPayload(
            staff=Staff.from_model(change.staff),
            ended_membership=Membership.from_model(change.ended_membership),
            membership=Membership.from_model(change.membership),
        )
