"""Grants end when their last day passes (China time) or when the provider revokes them; an
ended grant grants nothing, from the very next call."""

from __future__ import annotations

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, NotFound
from hub.identity.audit import record_event
from hub.identity.common import reason_field, stale, versioned_update
from hub.models import DatasetGrant
from hub.models.base import utcnow
from hub.models.enums import GrantStatus
from hub.sharing.rules import grant_snapshot, grant_status, provider_of, require_reviewer
from hub.sharing.workdays import china_today


async def revoke_grant(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    grant_id: int,
    expected_version: int,
    reason: str,
) -> DatasetGrant:
    """End an active grant now, as a reviewer or administrator of the provider's subtree."""
    grant = await session.get(DatasetGrant, grant_id)
    if grant is None:
        raise NotFound(f"No dataset grant with id {grant_id}.")
    provider = await provider_of(session, grant.dataset_id)
    require_reviewer(actor, provider)
    if grant.version != expected_version:
        raise stale("dataset grant", expected_version, grant.version)
    now = utcnow()
    state = grant_status(grant, china_today(now))
    if state != GrantStatus.ACTIVE:
        raise BadUserInput(f"The grant is already {state.label}.")
    note = reason_field(reason, required=True)
    before = grant_snapshot(grant)
    await versioned_update(
        session,
        DatasetGrant,
        grant_id,
        expected=expected_version,
        what="dataset grant",
        still=col(DatasetGrant.status) == GrantStatus.ACTIVE,  # or revoked meanwhile
        status=GrantStatus.REVOKED,
        revoked_by_id=actor.staff_id,
        revoked_at=now,
        revoke_reason=note,
    )
    await session.refresh(grant)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="dataset_grant.revoke",
        target_type="dataset_grant",
        target_id=grant_id,
        org_id=provider.id,
        org_path=provider.path,
        before=before,
        after=grant_snapshot(grant),
        reason=note,
    )
    return grant
