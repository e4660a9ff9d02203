"""Requests, grants and demand list entries as GraphQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from hub import models
from hub.graphql.context import Context
from hub.graphql.enums import AccessMode, GrantStatus, RequestStatus
from hub.graphql.relay import Node, referenced, row_type
from hub.sharing.figures import WINDOW_DAYS, ProviderFigures
from hub.sharing.rules import grant_status
from hub.sharing.workdays import china_today

if TYPE_CHECKING:
    from hub.graphql.catalogue.datasets import Dataset
    from hub.graphql.catalogue.orgs import Org

DatasetRef = Annotated["Dataset", strawberry.lazy("hub.graphql.catalogue.datasets")]
OrgRef = Annotated["Org", strawberry.lazy("hub.graphql.catalogue.orgs")]


@row_type(models.DatasetGrant)
@strawberry.type(description="Fields of a dataset an org may use, how, and until when.")
class DatasetGrant(Node):
    pk: strawberry.Private[int]
    dataset_pk: strawberry.Private[int]
    grantee_pk: strawberry.Private[int]
    request_pk: strawberry.Private[int]
    field_names: list[str] = strawberry.field(description="The granted fields, in order.")
    access_mode: AccessMode = strawberry.field(description="Query the fields or verify claims.")
    starts_on: date = strawberry.field(description="First day (China time).")
    ends_on: date | None = strawberry.field(description="Last day (China time); null: no end.")
    daily_quota: int | None = strawberry.field(description="Calls a day at most; null: none.")
    status: GrantStatus = strawberry.field(description="Active, revoked or expired, today.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    revoke_reason: str = strawberry.field(description="Why it was revoked.")
    version: int = strawberry.field(description="Pass as `expectedVersion` to revoke it.")

    @classmethod
    def from_model(cls, m: models.DatasetGrant) -> DatasetGrant:
        return cls(
            pk=m.id or 0,
            dataset_pk=m.dataset_id,
            grantee_pk=m.grantee_org_id,
            request_pk=m.request_id,
            field_names=list(m.fields),
            access_mode=m.access_mode,
            starts_on=m.starts_on,
            ends_on=m.ends_on,
            daily_quota=m.daily_quota,
            status=grant_status(m, china_today()),
            revoked_at=m.revoked_at,
            revoke_reason=m.revoke_reason,
            version=m.version,
        )

    @strawberry.field(description="The dataset.")
    async def dataset(self, info: Info[Context, None]) -> DatasetRef:
        return await referenced(info.context.loaders.dataset_by_id, self.dataset_pk)

    @strawberry.field(description="The org that holds the grant.")
    async def grantee_org(self, info: Info[Context, None]) -> OrgRef:
        return await referenced(info.context.loaders.org_by_id, self.grantee_pk)


@row_type(models.DatasetRequest)
@strawberry.type(description="One org's request for fields of another org's dataset.")
class DatasetRequest(Node):
    pk: strawberry.Private[int]
    dataset_pk: strawberry.Private[int]
    requester_pk: strawberry.Private[int]
    field_names: list[str] = strawberry.field(description="The fields asked for, in order.")
    purpose: str = strawberry.field(description="What the data is for (使用用途).")
    legal_basis: str = strawberry.field(description="The duty it serves (申请依据).")
    access_mode: AccessMode = strawberry.field(description="Query the fields or verify claims.")
    requested_until: date | None = strawberry.field(description="Last day asked for.")
    service_codes: list[str] = strawberry.field(description="Services the data is used in.")
    status: RequestStatus = strawberry.field(description="Pending, approved or refused.")
    due_on: date | None = strawberry.field(
        description="Decide by this day: 10 working days after submission (有条件共享)."
    )
    overdue: bool = strawberry.field(description="Still pending after its due day.")
    automatic: bool = strawberry.field(description="Decided by the rules (无条件共享).")
    submitted_at: datetime = strawberry.field(description="When it was submitted.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    decision_note: str = strawberry.field(description="The reviewer's reason or note.")
    version: int = strawberry.field(description="Pass as `expectedVersion` to review it.")

    @classmethod
    def from_model(cls, m: models.DatasetRequest) -> DatasetRequest:
        pending = m.status == models.enums.RequestStatus.SUBMITTED
        return cls(
            pk=m.id or 0,
            dataset_pk=m.dataset_id,
            requester_pk=m.requester_org_id,
            field_names=list(m.fields),
            purpose=m.purpose,
            legal_basis=m.legal_basis,
            access_mode=m.access_mode,
            requested_until=m.requested_until,
            service_codes=list(m.service_codes),
            status=m.status,
            due_on=m.due_on,
            overdue=pending and m.due_on is not None and m.due_on < china_today(),
            automatic=m.automatic,
            submitted_at=m.created_at,
            decided_at=m.decided_at,
            decision_note=m.decision_note,
            version=m.version,
        )

    @strawberry.field(description="The dataset asked for.")
    async def dataset(self, info: Info[Context, None]) -> DatasetRef:
        return await referenced(info.context.loaders.dataset_by_id, self.dataset_pk)

    @strawberry.field(description="The org that asks (the requester's primary org).")
    async def requester_org(self, info: Info[Context, None]) -> OrgRef:
        return await referenced(info.context.loaders.org_by_id, self.requester_pk)

    @strawberry.field(description="The grant it won, if approved.")
    async def grant(self, info: Info[Context, None]) -> DatasetGrant | None:
        row = await info.context.loaders.grant_by_request.load(self.pk)
        return DatasetGrant.from_model(row) if row else None


@strawberry.type(description="A dataset on an org's demand list (需求清单).")
class DemandListEntry:
    dataset_pk: strawberry.Private[int]
    field_names: list[str] = strawberry.field(description="The fields the org needs.")
    added_at: datetime = strawberry.field(description="When it was put on the list.")

    @classmethod
    def from_model(cls, m: models.DemandListEntry) -> DemandListEntry:
        return cls(dataset_pk=m.dataset_id, field_names=list(m.field_names), added_at=m.added_at)

    @strawberry.field(description="The dataset.")
    async def dataset(self, info: Info[Context, None]) -> DatasetRef:
        return await referenced(info.context.loaders.dataset_by_id, self.dataset_pk)


@row_type(ProviderFigures)
@strawberry.type(
    description=f"How a provider answers data requests, over the last {WINDOW_DAYS} days "
    "(public, part of the data portal)."
)
class SharingFigures:
    received: int = strawberry.field(description="Requests received for its datasets.")
    decided: int = strawberry.field(
        description="Requests its reviewers decided (无条件共享 is decided by the rules and "
        "not counted here)."
    )
    decided_in_time: int = strawberry.field(description="Decided by their due day.")
    pending: int = strawberry.field(description="Waiting for a decision.")
    overdue: int = strawberry.field(description="Waiting past their due day.")
    median_working_days: float | None = strawberry.field(
        description="Median working days from submission to decision; null before any."
    )

    @classmethod
    def from_model(cls, m: ProviderFigures) -> SharingFigures:
        return cls(
            received=m.received,
            decided=m.decided,
            decided_in_time=m.decided_in_time,
            pending=m.pending,
            overdue=m.overdue,
            median_working_days=m.median_working_days,
        )
