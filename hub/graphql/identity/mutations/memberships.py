"""addMembership, updateMembership, endMembership."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.graphql.context import Context
from hub.graphql.enums import EndReason, Role
from hub.graphql.identity.mutations._common import (
    NewMembershipInput,
    run_on_membership,
    run_on_staff,
)
from hub.graphql.identity.types import Membership, Staff
from hub.identity import memberships as domain


@strawberry.input(
    description="Give a staff member a further post (兼职, 借调, 代理) or a primary one."
)
class AddMembershipInput:
    staff_id: strawberry.ID = strawberry.field(description="Global id of the staff member.")
    expected_version: int = strawberry.field(
        description="The staff member's `version` as you read it; CONFLICT when stale."
    )
    membership: NewMembershipInput = strawberry.field(
        description="The post; you must administer its org."
    )
    reason: str | None = strawberry.field(default=None, description="Recorded in the audit trail.")


@strawberry.input(description="Change an active membership; omitted fields stay as they are.")
class UpdateMembershipInput:
    membership_id: strawberry.ID = strawberry.field(description="Global id of the membership.")
    expected_version: int = strawberry.field(
        description="The membership's `version` as you read it; CONFLICT when stale."
    )
    position: str | None = strawberry.field(default=None, description="New 职务.")
    rank: str | None = strawberry.field(default=None, description="New 职级.")
    roles: list[Role] | None = strawberry.field(
        default=None, description="The full new set of roles; you must hold any you add."
    )
    ends_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="New last day (today or later); null clears it."
    )
    reason: str | None = strawberry.field(default=None, description="Recorded in the audit trail.")


@strawberry.input(description="End a membership: resignation, retirement, dismissal, term end.")
class EndMembershipInput:
    membership_id: strawberry.ID = strawberry.field(description="Global id of the membership.")
    expected_version: int = strawberry.field(
        description="The membership's `version` as you read it; CONFLICT when stale."
    )
    end_reason: EndReason = strawberry.field(
        description="resign, retire, dismiss or expired (transfers use transferStaff)."
    )
    reason: str = strawberry.field(description="Why, in words; recorded in the audit trail.")
    ends_on: date | None = strawberry.field(
        default=None, description="Last day: today (China time) or earlier; today by default."
    )


@strawberry.type(description="A membership and its staff member after a change.")
class MembershipPayload:
    membership: Membership = strawberry.field(description="The membership, with its new version.")
    staff: Staff = strawberry.field(description="The staff member, with their new version.")

    @classmethod
    def from_change(cls, change: domain.StaffChange) -> MembershipPayload:
        assert change.membership is not None
        return cls(
            membership=Membership.from_model(change.membership),
            staff=Staff.from_model(change.staff),
        )


@strawberry.type(description="The ended membership; ending the last one makes the person 离职.")
class EndMembershipPayload:
    membership: Membership = strawberry.field(description="The ended membership.")
    staff: Staff = strawberry.field(description="The staff member, with their new version.")
    sessions_ended: int = strawberry.field(
        description="Sessions ended because no active membership is left."
    )

    @classmethod
    def from_change(cls, change: domain.StaffChange) -> EndMembershipPayload:
        assert change.membership is not None
        return cls(
            membership=Membership.from_model(change.membership),
            staff=Staff.from_model(change.staff),
            sessions_ended=change.sessions_revoked,
        )


@strawberry.type
class MembershipMutation:
    @strawberry.mutation(
        description="Add a membership (audited as membership.add). Requires admin over its "
        "org and sight of the person; adding one to a departed person re-hires them."
    )
    async def add_membership(
        self,
        info: Info[Context, None],
        input: Annotated[
            AddMembershipInput,
            strawberry.argument(description="The person, their version and the new post."),
        ],
    ) -> MembershipPayload:
        change = await run_on_staff(
            info.context,
            domain.add_membership,
            input.staff_id,
            expected_version=input.expected_version,
            data=input.membership.to_data(),
            reason=input.reason or "",
        )
        return MembershipPayload.from_change(change)

    @strawberry.mutation(
        description="Change position, rank, roles or end date (audited as "
        "membership.update). Requires admin over the membership's org."
    )
    async def update_membership(
        self,
        info: Info[Context, None],
        input: Annotated[
            UpdateMembershipInput,
            strawberry.argument(description="The membership, its version and the changes."),
        ],
    ) -> MembershipPayload:
        edit = domain.MembershipEdit(
            position=input.position,
            rank=input.rank,
            roles=tuple(r.value for r in input.roles) if input.roles is not None else None,
            ends_on=domain.KEEP if input.ends_on is strawberry.UNSET else input.ends_on,
        )
        change = await run_on_membership(
            info.context,
            domain.update_membership,
            input.membership_id,
            expected_version=input.expected_version,
            edit=edit,
            reason=input.reason or "",
        )
        return MembershipPayload.from_change(change)

    @strawberry.mutation(
        description="End a membership (audited as membership.end). Ending the last active "
        "one makes the person departed and ends all their sessions at once."
    )
    async def end_membership(
        self,
        info: Info[Context, None],
        input: Annotated[
            EndMembershipInput,
            strawberry.argument(description="The membership, its version and why it ends."),
        ],
    ) -> EndMembershipPayload:
        change = await run_on_membership(
            info.context,
            domain.end_membership,
            input.membership_id,
            expected_version=input.expected_version,
            end_reason=input.end_reason,
            ends_on=input.ends_on,
            reason=input.reason,
        )
        return EndMembershipPayload.from_change(change)
