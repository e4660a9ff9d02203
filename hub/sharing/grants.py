"""Grants end when their last day passes (China time) or when the provider revokes them; an
ended grant grants nothing, from the very next call."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, NotFound
from hub.identity.audit import record_event
from hub.identity.common import reason_field, stale
from hub.models import DatasetGrant
from hub.models.base import utcnow
from hub.models.enums import GrantStatus
from hub.sharing.rules import grant_snapshot, grant_status, load_dataset, require_reviewer
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
    _, provider, _ = await load_dataset(session, grant.dataset_id)
    require_reviewer(actor, provider)
    if grant.version != expected_version:
        raise stale("dataset grant", expected_version, grant.version)
    now = utcnow()
    state = grant_status(grant, china_today(now))
    if state != GrantStatus.ACTIVE:
        raise BadUserInput(f"The grant is already {state.label}.")
    note = reason_field(reason, required=True)
    before = grant_snapshot(grant)
    result = await session.exec(
        update(DatasetGrant)
        .where(
            col(DatasetGrant.id) == grant_id,
            col(DatasetGrant.version) == expected_version,
            col(DatasetGrant.status) == GrantStatus.ACTIVE,
        )
        .values(
            status=GrantStatus.REVOKED,
            revoked_by_id=actor.staff_id,
            revoked_at=now,
            revoke_reason=note,
            version=col(DatasetGrant.version) + 1,
        )
    )
    if result.rowcount != 1:  # revoked meanwhile
        current = (
            await session.exec(select(DatasetGrant.version).where(col(DatasetGrant.id) == grant_id))
        ).one()
        raise stale("dataset grant", expected_version, current)
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
