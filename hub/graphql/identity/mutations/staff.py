"""createStaff, suspendStaff, reinstateStaff."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.auth.passwords import check_password_strength
from hub.auth.permissions import ADMIN, require_staff
from hub.auth.runtime import identity_runtime
from hub.errors import BadUserInput, Forbidden
from hub.graphql.context import Context
from hub.graphql.enums import Gender
from hub.graphql.identity.mutations._common import (
    NewMembershipInput,
    run_change,
    run_on_staff,
)
from hub.graphql.identity.types import Membership, Staff
from hub.identity import staff as domain


@strawberry.input(description="A new staff member with their first post.")
class CreateStaffInput:
    login_no: str = strawberry.field(description="工号: 2-32 letters, digits, '_', '.', '-'.")
    name: str = strawberry.field(description="Full name.")
    gender: Gender = strawberry.field(description="Gender.")
    membership: NewMembershipInput = strawberry.field(
        description="The first post; you must administer its org."
    )
    name_pinyin: str | None = strawberry.field(
        default=None, description="Toneless pinyin of the name; derived when omitted."
    )
    mobile: str | None = strawberry.field(default=None, description="Mobile number.")
    email: str | None = strawberry.field(default=None, description="Work email.")
    initial_password: str | None = strawberry.field(
        default=None,
        description="At least 8 characters; without one the person cannot sign in yet.",
    )
    reason: str | None = strawberry.field(default=None, description="Recorded in the audit trail.")


@strawberry.type(description="The staff member created, with their first membership.")
class CreateStaffPayload:
    staff: Staff = strawberry.field(description="The new staff member.")
    membership: Membership = strawberry.field(description="Their first membership.")


@strawberry.input(description="Suspend (停职) or reinstate (复职) a staff member.")
class StaffStatusInput:
    staff_id: strawberry.ID = strawberry.field(description="Global id of the staff member.")
    expected_version: int = strawberry.field(
        description="The staff member's `version` as you read it; CONFLICT when stale."
    )
    reason: str = strawberry.field(description="Why; recorded in the audit trail.")


@strawberry.type(description="The staff member after a change of status.")
class StaffStatusPayload:
    staff: Staff = strawberry.field(description="The staff member, with their new version.")
    sessions_ended: int = strawberry.field(description="Sessions ended by the change.")

    @classmethod
    def from_change(cls, change: domain.StaffChange) -> StaffStatusPayload:
        return cls(staff=Staff.from_model(change.staff), sessions_ended=change.sessions_revoked)


@strawberry.type
class StaffMutation:
    @strawberry.mutation(
        description="Create a staff member and their first membership (audited as "
        "staff.create). Requires admin over the membership's org."
    )
    async def create_staff(
        self,
        info: Info[Context, None],
        input: Annotated[
            CreateStaffInput, strawberry.argument(description="The person and their first post.")
        ],
    ) -> CreateStaffPayload:
        ctx = info.context
        require_staff(ctx.viewer)
        if not ctx.viewer.role_paths(ADMIN):
            raise Forbidden("Only administrators may create staff.")
        password_hash = None
        if input.initial_password is not None:
            problem = check_password_strength(input.initial_password)
            if problem:
                raise BadUserInput(problem)
            if ctx.request is None:
                raise BadUserInput("Create staff over HTTP.")
            passwords = identity_runtime(ctx.request.app).passwords
            password_hash = await passwords.hash_async(input.initial_password)
        data = domain.NewStaff(
            login_no=input.login_no,
            name=input.name,
            gender=input.gender,
            membership=input.membership.to_data(),
            name_pinyin=input.name_pinyin,
            mobile=input.mobile,
            email=input.email,
            password_hash=password_hash,
        )
        change = await run_change(
            ctx,
            domain.create_staff,
            data=data,
            reason=input.reason or "",
        )
        assert change.membership is not None
        return CreateStaffPayload(
            staff=Staff.from_model(change.staff),
            membership=Membership.from_model(change.membership),
        )

    @strawberry.mutation(
        description="停职: the person loses every session and every right at once (audited "
        "as staff.suspend). Requires admin over the org of their primary membership."
    )
    async def suspend_staff(
        self,
        info: Info[Context, None],
        input: Annotated[
            StaffStatusInput,
            strawberry.argument(description="The person, their version and the reason."),
        ],
    ) -> StaffStatusPayload:
        change = await run_on_staff(
            info.context,
            domain.suspend_staff,
            input.staff_id,
            expected_version=input.expected_version,
            reason=input.reason,
        )
        return StaffStatusPayload.from_change(change)

    @strawberry.mutation(
        description="复职: a suspended person may sign in again (audited as "
        "staff.reinstate). Requires admin over the org of their primary membership."
    )
    async def reinstate_staff(
        self,
        info: Info[Context, None],
        input: Annotated[
            StaffStatusInput,
            strawberry.argument(description="The person, their version and the reason."),
        ],
    ) -> StaffStatusPayload:
        change = await run_on_staff(
            info.context,
            domain.reinstate_staff,
            input.staff_id,
            expected_version=input.expected_version,
            reason=input.reason,
        )
        return StaffStatusPayload.from_change(change)
