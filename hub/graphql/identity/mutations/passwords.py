"""changePassword, resetStaffPassword. Argon2 runs before the change's transaction begins."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.auth.passwords import MAX_PASSWORD_LENGTH
from hub.auth.permissions import ADMIN, require_signed_in, require_staff
from hub.auth.runtime import IdentityRuntime, identity_runtime
from hub.errors import BadUserInput, Forbidden
from hub.graphql.context import Context
from hub.graphql.identity.mutations._common import run_change, run_on_staff
from hub.graphql.identity.types import Staff
from hub.identity import credentials


@strawberry.input(description="Your current password and the one to replace it.")
class ChangePasswordInput:
    current_password: str = strawberry.field(
        description="The password you signed in with (a one-time password after a reset)."
    )
    new_password: str = strawberry.field(
        description="8 to 128 characters, other than the current one."
    )


@strawberry.type(description="Your staff record after changing your password.")
class ChangePasswordPayload:
    staff: Staff = strawberry.field(description="Your staff record, with its new version.")
    sessions_ended: int = strawberry.field(
        description="Your other sessions, ended by the change; this one stays signed in."
    )


@strawberry.input(description="Give a staff member a one-time password (重置密码).")
class ResetStaffPasswordInput:
    staff_id: strawberry.ID = strawberry.field(description="Global id of the staff member.")
    expected_version: int = strawberry.field(
        description="The staff member's `version` as you read it; CONFLICT when stale."
    )
    reason: str = strawberry.field(description="Why; recorded in the audit trail.")


@strawberry.type(description="The one-time password of a reset, shown this once.")
class ResetStaffPasswordPayload:
    staff: Staff = strawberry.field(description="The staff member, with their new version.")
    one_time_password: str = strawberry.field(
        description="Hand it to the person: it is shown this once and kept only as a hash. "
        "Signing in with it, they must choose their own password before anything else."
    )
    sessions_ended: int = strawberry.field(description="Their sessions, all ended by the reset.")


def _runtime(ctx: Context) -> IdentityRuntime:
    if ctx.request is None:
        raise BadUserInput("Passwords are set over HTTP.")
    return identity_runtime(ctx.request.app)


@strawberry.type
class PasswordMutation:
    @strawberry.mutation(
        description="Change your own password (audited as staff.password_change): ends your "
        "other sessions, and lifts the forced change after a reset. A wrong current password "
        "answers BAD_USER_INPUT (`reason` WRONG_PASSWORD) and counts as a failed sign-in: "
        "enough of them lock the account for a while (TOO_MANY_REQUESTS)."
    )
    async def change_password(
        self,
        info: Info[Context, None],
        input: Annotated[
            ChangePasswordInput, strawberry.argument(description="The current and new password.")
        ],
    ) -> ChangePasswordPayload:
        ctx = info.context
        require_signed_in(ctx.viewer)
        if len(input.current_password) > MAX_PASSWORD_LENGTH:
            raise BadUserInput(f"currentPassword has at most {MAX_PASSWORD_LENGTH} characters.")
        new = credentials.new_password(input.current_password, input.new_password)
        runtime = _runtime(ctx)
        checked = await credentials.check_current_password(
            factory=ctx.sessions,
            runtime=runtime,
            actor=ctx.viewer,
            password=input.current_password,
        )
        password_hash = await runtime.passwords.hash_async(new)
        change = await run_change(
            ctx, credentials.change_password, checked=checked, password_hash=password_hash
        )
        return ChangePasswordPayload(
            staff=Staff.from_model(change.staff), sessions_ended=change.sessions_revoked
        )

    @strawberry.mutation(
        description="Reset a staff member's password to a one-time password, returned once "
        "(audited as staff.password_reset, without the password). Ends all their sessions; "
        "signing in with it, they must change it before anything else. Requires admin over "
        "the org of their primary membership (or the system admin); not for yourself."
    )
    async def reset_staff_password(
        self,
        info: Info[Context, None],
        input: Annotated[
            ResetStaffPasswordInput,
            strawberry.argument(description="The person, their version and the reason."),
        ],
    ) -> ResetStaffPasswordPayload:
        ctx = info.context
        require_staff(ctx.viewer)
        if not ctx.viewer.role_paths(ADMIN):
            raise Forbidden("Only administrators may reset passwords.")
        password = credentials.one_time_password()
        password_hash = await _runtime(ctx).passwords.hash_async(password)
        change = await run_on_staff(
            ctx,
            credentials.reset_password,
            input.staff_id,
            expected_version=input.expected_version,
            password_hash=password_hash,
            reason=input.reason,
        )
        return ResetStaffPasswordPayload(
            staff=Staff.from_model(change.staff),
            one_time_password=password,
            sessions_ended=change.sessions_revoked,
        )
