"""Requests for a dataset and their decision: submitted on behalf of the requester's org,
decided at once by the rules (无条件共享 granted, 不予共享 refused) or by a reviewer of the
provider within 10 working days (有条件共享). One transaction and one audit event each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, NotFound
from hub.identity.audit import record_event
from hub.identity.common import reason_field, stale, text_field, versioned_update
from hub.models import DatasetGrant, DatasetRequest, DemandListEntry, ServiceItem
from hub.models.base import utcnow
from hub.models.enums import AccessMode, RequestStatus, ServiceStatus, ShareType
from hub.sharing.rules import (
    MAX_PERIOD_DAYS,
    MAX_PURPOSE,
    MAX_SERVICE_CODES,
    acting_org,
    field_names,
    grant_snapshot,
    load_dataset,
    provider_of,
    request_snapshot,
    require_reviewer,
)
from hub.sharing.workdays import china_today, due_on

#: A request asks for one year unless it says otherwise.
DEFAULT_PERIOD_DAYS = 365
MAX_DAILY_QUOTA = 10_000_000


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class NewRequest:
    dataset_id: int
    field_names: list[str]
    purpose: str
    legal_basis: str
    access_mode: AccessMode
    requested_until: date | None
    service_codes: list[str]


@dataclass(frozen=True, slots=True)
class RequestChange:
    request: DatasetRequest
    grant: DatasetGrant | None


def _period_end(value: date | None, today: date, label: str) -> date:
    end = value or today + timedelta(days=DEFAULT_PERIOD_DAYS)
    if end < today:
        raise BadUserInput(f"{label} must not be in the past.")
    if end > today + timedelta(days=MAX_PERIOD_DAYS):
        raise BadUserInput(f"{label} is at most three years from today.")
    return end


async def _service_codes(session: AsyncSession, codes: list[str]) -> list[str]:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if len(wanted) > MAX_SERVICE_CODES:
        raise BadUserInput(f"serviceCodes names at most {MAX_SERVICE_CODES} services.")
    if not wanted:
        return []
    found = set(
        (
            await session.exec(
                select(ServiceItem.code).where(
                    col(ServiceItem.code).in_(wanted),
                    col(ServiceItem.status) == ServiceStatus.PUBLISHED,
                )
            )
        ).all()
    )
    missing = [c for c in wanted if c not in found]
    if missing:
        raise BadUserInput(f"serviceCodes: no published service {', '.join(missing)}.")
    return wanted


async def submit_request(
    *, session: AsyncSession, actor: Viewer, request_id: str, data: NewRequest
) -> RequestChange:
    """Ask for fields of a dataset for the actor's org (their primary post's)."""
    org = acting_org(actor)
    dataset, provider, known = await load_dataset(session, data.dataset_id)
    if dataset.share_type == ShareType.NONE:
        condition = dataset.share_condition or "the provider does not share it"
        raise BadUserInput(f"{dataset.name} is 不予共享: {condition}.")
    if dataset.provider_org_id == org.org_id:
        raise BadUserInput(f"Your org provides {dataset.name}; there is nothing to request.")
    fields = field_names(data.field_names, known)
    purpose = text_field(data.purpose, "purpose", MAX_PURPOSE, required=True)
    conditional = dataset.share_type == ShareType.CONDITIONAL
    legal_basis = text_field(data.legal_basis, "legalBasis", MAX_PURPOSE, required=conditional)
    services = await _service_codes(session, data.service_codes)
    now = utcnow()
    today = china_today(now)
    until = _period_end(data.requested_until, today, "requestedUntil")
    pending = (
        await session.exec(
            select(DatasetRequest.id).where(
                col(DatasetRequest.requester_org_id) == org.org_id,
                col(DatasetRequest.dataset_id) == dataset.id,
                col(DatasetRequest.status) == RequestStatus.SUBMITTED,
            )
        )
    ).first()
    if pending is not None:
        raise BadUserInput(f"Your org already has a pending request for {dataset.name}.")
    request = DatasetRequest(
        dataset_id=data.dataset_id,
        requester_org_id=org.org_id,
        requested_by_id=actor.staff_id or 0,
        fields=fields,
        purpose=purpose,
        legal_basis=legal_basis,
        access_mode=data.access_mode,
        requested_until=until,
        service_codes=services,
        due_on=due_on(now) if conditional else None,
        status=RequestStatus.SUBMITTED if conditional else RequestStatus.APPROVED,
        automatic=not conditional,
        decided_at=None if conditional else now,
        decision_note="" if conditional else "无条件共享：按目录自动批准",
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    await session.flush()
    grant = None
    if not conditional:
        grant = _grant_for(request, fields, until, today)
        session.add(grant)
        await session.flush()
    # the demand list holds what is still to be requested
    await session.exec(
        delete(DemandListEntry).where(
            col(DemandListEntry.org_id) == org.org_id,
            col(DemandListEntry.dataset_id) == dataset.id,
        )
    )
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="dataset_request.submit",
        target_type="dataset_request",
        target_id=request.id or 0,
        org_id=org.org_id,
        org_path=org.org_path,
        before=None,
        after={
            **request_snapshot(request),
            "grant": grant_snapshot(grant) if grant else None,
            "provider_org_id": provider.id,
        },
    )
    return RequestChange(request, grant)


def _grant_for(
    request: DatasetRequest, fields: list[str], until: date, today: date
) -> DatasetGrant:
    return DatasetGrant(
        request_id=request.id or 0,
        dataset_id=request.dataset_id,
        grantee_org_id=request.requester_org_id,
        fields=fields,
        access_mode=request.access_mode,
        starts_on=today,
        ends_on=until,
    )


async def review_request(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    dataset_request_id: int,
    expected_version: int,
    decision: Decision,
    field_names_granted: list[str] | None,
    granted_until: date | None,
    reason: str,
    daily_quota: int | None = None,
) -> RequestChange:
    """Approve (the same or fewer fields, the same or a shorter period) or refuse a pending
    request, as a reviewer or administrator of the provider's subtree. A refusal or a
    narrowing gives its reason."""
    request = await session.get(DatasetRequest, dataset_request_id)
    if request is None:
        raise NotFound(f"No dataset request with id {dataset_request_id}.")
    provider = await provider_of(session, request.dataset_id)
    require_reviewer(actor, provider)
    if request.version != expected_version:
        raise stale("dataset request", expected_version, request.version)
    if request.status != RequestStatus.SUBMITTED:
        raise BadUserInput(f"The request is already {request.status.label}; nothing to decide.")
    note = reason_field(reason, required=False)
    if daily_quota is not None and not 1 <= daily_quota <= MAX_DAILY_QUOTA:
        raise BadUserInput(f"dailyQuota is between 1 and {MAX_DAILY_QUOTA:,}.")
    before = request_snapshot(request)
    now = utcnow()
    today = china_today(now)
    grant = None
    if decision == Decision.REJECT:
        if not note:
            raise BadUserInput("A refusal gives its reason.")
        status = RequestStatus.REJECTED
    else:
        asked = list(request.fields)
        fields = field_names(field_names_granted or asked, asked, label="fieldNames (granted)")
        asked_until = request.requested_until or today + timedelta(days=DEFAULT_PERIOD_DAYS)
        until = granted_until or asked_until
        if until > asked_until:
            raise BadUserInput("grantedUntil may shorten the period asked for, never extend it.")
        if until < today:
            raise BadUserInput("grantedUntil must not be in the past.")
        if (fields != asked or until != asked_until) and not note:
            raise BadUserInput("Granting fewer fields or a shorter period gives its reason.")
        status = RequestStatus.APPROVED
        grant = _grant_for(request, fields, until, today)
        grant.daily_quota = daily_quota
    await versioned_update(
        session,
        DatasetRequest,
        dataset_request_id,
        expected=expected_version,
        what="dataset request",
        still=col(DatasetRequest.status) == RequestStatus.SUBMITTED,  # or decided meanwhile
        status=status,
        decided_by_id=actor.staff_id,
        decided_at=now,
        decision_note=note,
        updated_at=now,
    )
    if grant is not None:
        session.add(grant)
        await session.flush()
    await session.refresh(request)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action=f"dataset_request.{'approve' if grant else 'reject'}",
        target_type="dataset_request",
        target_id=dataset_request_id,
        org_id=provider.id,
        org_path=provider.path,
        before=before,
        after={**request_snapshot(request), "grant": grant_snapshot(grant) if grant else None},
        reason=note,
    )
    return RequestChange(request, grant)
