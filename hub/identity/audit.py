"""One audit event per change, written in the change's own transaction, as its last write.

Writing it first confirms the actor (:func:`hub.identity.common.confirm_actor`): every change
records exactly one event, so none commits without its actor's rights checked once more.

Snapshots list their fields explicitly, so that a new column (or ``cert_no``, the password
hash, phone numbers) never lands in the append-only trail by accident.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.viewer import Viewer
from hub.identity.common import confirm_actor
from hub.models import AuditEvent, Membership, Staff


def staff_snapshot(staff: Staff) -> dict[str, Any]:
    return {
        "id": staff.id,
        "login_no": staff.login_no,
        "name": staff.name,
        "status": str(staff.status),
        "is_system_admin": staff.is_system_admin,
        "version": staff.version,
    }


def membership_snapshot(membership: Membership, org_path: str) -> dict[str, Any]:
    return {
        "id": membership.id,
        "staff_id": membership.staff_id,
        "org_id": membership.org_id,
        "org_path": org_path,
        "post_type": str(membership.post_type),
        "position": membership.position,
        "rank": membership.rank,
        "roles": sorted(membership.roles),
        "starts_on": membership.starts_on.isoformat(),
        "ends_on": membership.ends_on.isoformat() if membership.ends_on else None,
        "status": str(membership.status),
        "end_reason": str(membership.end_reason) if membership.end_reason else None,
        "version": membership.version,
    }


async def record_event(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    action: str,
    target_type: str,
    target_id: int,
    org_id: int | None,
    org_path: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
) -> AuditEvent:
    await confirm_actor(session, actor)
    event = AuditEvent(
        actor_id=actor.staff_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        org_id=org_id,
        org_path=org_path,
        before=before,
        after=after,
        reason=reason,
        request_id=request_id[:64],
    )
    session.add(event)
    await session.flush()
    return event
