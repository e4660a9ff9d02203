"""Inputs of the sharing mutations."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from hub.graphql.enums import AccessMode
from hub.ids import decode_id
from hub.sharing.requests import Decision, NewRequest


@strawberry.enum(description="A reviewer's decision on a request.")
class ReviewDecision(Enum):
    APPROVE = "approve"
    REJECT = "reject"


@strawberry.enum(description="Which side of the sharing flow to list.")
class SharingSide(Enum):
    REQUESTER = "requester"
    PROVIDER = "provider"


@strawberry.input(description="Ask another org for fields of its dataset.")
class SubmitDatasetRequestInput:
    dataset_id: strawberry.ID = strawberry.field(description="Global id of the dataset.")
    field_names: list[str] = strawberry.field(description="The fields needed (最小必要).")
    purpose: str = strawberry.field(description="What the data is for (使用用途).")
    legal_basis: str = strawberry.field(
        default="", description="The duty it serves (申请依据); required for 有条件共享."
    )
    access_mode: AccessMode = strawberry.field(
        description="QUERY to read the fields of a record by key, VERIFY to check claims only."
    )
    requested_until: date | None = strawberry.field(
        default=None, description="Last day needed; one year from today by default."
    )
    service_codes: list[str] = strawberry.field(
        default_factory=list, description="Codes of the services the data is used in."
    )

    def to_data(self) -> NewRequest:
        return NewRequest(
            dataset_id=decode_id(self.dataset_id, "Dataset"),
            field_names=list(self.field_names),
            purpose=self.purpose,
            legal_basis=self.legal_basis,
            access_mode=self.access_mode,
            requested_until=self.requested_until,
            service_codes=list(self.service_codes),
        )


@strawberry.input(description="Approve or refuse a pending request.")
class ReviewDatasetRequestInput:
    request_id: strawberry.ID = strawberry.field(description="Global id of the request.")
    expected_version: int = strawberry.field(
        description="The request's `version` as you read it; CONFLICT when stale."
    )
    decision: ReviewDecision = strawberry.field(description="Approve or refuse.")
    field_names: list[str] | None = strawberry.field(
        default=None, description="Fields granted: those asked for or fewer (all by default)."
    )
    granted_until: date | None = strawberry.field(
        default=None, description="Last day granted: the one asked for or earlier."
    )
    reason: str = strawberry.field(
        default="", description="Required for a refusal and for granting less than asked."
    )
    daily_quota: int | None = strawberry.field(
        default=None, description="Calls a day the grant answers at most (none by default)."
    )

    @property
    def domain_decision(self) -> Decision:
        return Decision(self.decision.value)


@strawberry.input(description="End a grant now.")
class RevokeDatasetGrantInput:
    grant_id: strawberry.ID = strawberry.field(description="Global id of the grant.")
    expected_version: int = strawberry.field(
        description="The grant's `version` as you read it; CONFLICT when stale."
    )
    reason: str = strawberry.field(description="Why; recorded in the audit trail.")
