"""submitDatasetRequest, reviewDatasetRequest."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.graphql.sharing.inputs import ReviewDatasetRequestInput, SubmitDatasetRequestInput
from hub.graphql.sharing.types import DatasetGrant, DatasetRequest
from hub.ids import decode_id
from hub.sharing import requests
from hub.sharing.requests import RequestChange


@strawberry.type(description="A request and the grant it won, if any.")
class DatasetRequestPayload:
    request: DatasetRequest = strawberry.field(description="The request, with its new state.")
    grant: DatasetGrant | None = strawberry.field(description="The grant, when approved.")

    @classmethod
    def from_change(cls, change: RequestChange) -> DatasetRequestPayload:
        return cls(
            request=DatasetRequest.from_model(change.request),
            grant=DatasetGrant.from_model(change.grant) if change.grant else None,
        )


@strawberry.type
class RequestMutation:
    @strawberry.mutation(
        description="Request fields of a dataset for your org (your primary post's). "
        "无条件共享 is granted at once; 有条件共享 waits for the provider, due in 10 working "
        "days; 不予共享 is refused with its reason (BAD_USER_INPUT)."
    )
    async def submit_dataset_request(
        self,
        info: Info[Context, None],
        input: Annotated[SubmitDatasetRequestInput, strawberry.argument(description="What.")],
    ) -> DatasetRequestPayload:
        change = await run_change(info.context, requests.submit_request, data=input.to_data())
        return DatasetRequestPayload.from_change(change)

    @strawberry.mutation(
        description="Approve (the same or fewer fields, the same or a shorter period) or "
        "refuse a pending request, as a reviewer or administrator of the provider org or an "
        "org above it. Refusing or granting less needs a reason."
    )
    async def review_dataset_request(
        self,
        info: Info[Context, None],
        input: Annotated[ReviewDatasetRequestInput, strawberry.argument(description="How.")],
    ) -> DatasetRequestPayload:
        change = await run_change(
            info.context,
            requests.review_request,
            dataset_request_id=decode_id(input.request_id, "DatasetRequest"),
            expected_version=input.expected_version,
            decision=input.domain_decision,
            field_names_granted=input.field_names,
            granted_until=input.granted_until,
            reason=input.reason,
            daily_quota=input.daily_quota,
        )
        return DatasetRequestPayload.from_change(change)
