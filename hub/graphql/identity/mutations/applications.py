"""applyForTransfer, decideTransferApplication, withdrawTransferApplication (在线提出申请)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.graphql.identity.applications import TransferApplication
from hub.graphql.identity.mutations._common import run_on_staff
from hub.graphql.identity.types import Membership
from hub.identity import transfer_applications as domain
from hub.ids import decode_id


@strawberry.input(description="Apply for a staff member's move to another org (调动申请).")
class ApplyForTransferInput:
    staff_id: strawberry.ID = strawberry.field(
        description="Global id of the staff member: yourself, or someone whose primary org "
        "you administer."
    )
    to_org_id: strawberry.ID = strawberry.field(description="Global id of the org to move to.")
    reason: str = strawberry.field(description="Why the move is asked for; at most 500 characters.")
    position: str = strawberry.field(
        default="",
        description="职务 asked for in the new org; at most 50 characters; empty keeps the "
        "current one.",
    )
    rank: str = strawberry.field(
        default="",
        description="职级 asked for in the new org; at most 50 characters; empty keeps the "
        "current one.",
    )


@strawberry.input(description="Approve or reject a pending transfer application.")
class DecideTransferApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="Global id of the application.")
    expected_version: int = strawberry.field(
        description="The application's `version` as you read it; CONFLICT when stale."
    )
    approve: bool = strawberry.field(
        description="True: approve, and the transfer is made at once; false: reject."
    )
    note: str | None = strawberry.field(
        default=None,
        description="A note for the applicant, at most 500 characters; a rejection needs one.",
    )


@strawberry.input(description="Withdraw a pending transfer application.")
class WithdrawTransferApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="Global id of the application.")
    expected_version: int = strawberry.field(
        description="The application's `version` as you read it; CONFLICT when stale."
    )


@strawberry.type(description="A transfer application after a change.")
class TransferApplicationPayload:
    application: TransferApplication = strawberry.field(
        description="The application, with its new state and version."
    )
    membership: Membership | None = strawberry.field(
        description="The new primary post, when the change approved the application."
    )

    @classmethod
    def from_change(cls, change: domain.ApplicationChange) -> TransferApplicationPayload:
        return cls(
            application=TransferApplication.from_model(change.application),
            membership=Membership.from_model(change.membership) if change.membership else None,
        )


@strawberry.type
class ApplicationMutation:
    @strawberry.mutation(
        description="Apply for a transfer of a staff member's primary post to another org "
        "(audited as transfer_application.apply), as the person themself or an admin over "
        "their primary org. One application per person may be pending: another answers "
        "CONFLICT (`reason` PENDING_APPLICATION, with its `applicationId`)."
    )
    async def apply_for_transfer(
        self,
        info: Info[Context, None],
        input: Annotated[
            ApplyForTransferInput,
            strawberry.argument(description="The person, the org and the reason."),
        ],
    ) -> TransferApplicationPayload:
        data = domain.NewApplication(
            to_org_id=decode_id(input.to_org_id, "Org"), position=input.position, rank=input.rank
        )
        change = await run_on_staff(
            info.context, domain.apply_for_transfer, input.staff_id, data=data, reason=input.reason
        )
        return TransferApplicationPayload.from_change(change)

    @strawberry.mutation(
        description="Approve or reject a pending transfer application (audited as "
        "transfer_application.approve or .reject), as an admin over the org applied to (an "
        "admin over an org above it is over it too). Approval makes the transfer in the same "
        "transaction: the person's primary post ends and one in the new org begins today."
    )
    async def decide_transfer_application(
        self,
        info: Info[Context, None],
        input: Annotated[
            DecideTransferApplicationInput,
            strawberry.argument(description="The application, its version and the decision."),
        ],
    ) -> TransferApplicationPayload:
        change = await run_change(
            info.context,
            domain.decide_transfer_application,
            application_id=decode_id(input.application_id, "TransferApplication"),
            expected_version=input.expected_version,
            approve=input.approve,
            note=input.note or "",
        )
        return TransferApplicationPayload.from_change(change)

    @strawberry.mutation(
        description="Withdraw a pending transfer application (audited as "
        "transfer_application.withdraw), as whoever applied or the person to move."
    )
    async def withdraw_transfer_application(
        self,
        info: Info[Context, None],
        input: Annotated[
            WithdrawTransferApplicationInput,
            strawberry.argument(description="The application and its version."),
        ],
    ) -> TransferApplicationPayload:
        change = await run_change(
            info.context,
            domain.withdraw_transfer_application,
            application_id=decode_id(input.application_id, "TransferApplication"),
            expected_version=input.expected_version,
        )
        return TransferApplicationPayload.from_change(change)
