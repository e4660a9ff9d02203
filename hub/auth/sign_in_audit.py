"""Audit events for signing in: success, failure and lockout of an existing account.

An attempt on a login number that no account has writes nothing (the throttle counts it), so
an anonymous caller cannot grow the audit trail: at most ``lockout_threshold`` failures and
one lockout per account per lock window reach it. The event is filed under the account's
primary org, so an org admin sees their staff's sign-ins as they see membership events.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.models import AuditEvent, Membership, Org
from hub.models.enums import MembershipStatus, PostType


async def record_sign_in(
    session: AsyncSession,
    *,
    staff_id: int,
    action: str,
    details: dict[str, object],
    request_id: str = "",
) -> None:
    """``action``: auth.sign_in, auth.sign_in_failed, auth.lockout, sso.token, sso.logout …"""
    row = (
        await session.exec(
            select(col(Org.id), col(Org.path))
            .join(Membership, col(Membership.org_id) == col(Org.id))
            .where(
                col(Membership.staff_id) == staff_id,
                col(Membership.status) == MembershipStatus.ACTIVE,
                col(Membership.post_type) == PostType.PRIMARY,
            )
            .limit(1)
        )
    ).first()
    org_id, org_path = (row[0], row[1]) if row is not None else (None, "/")
    session.add(
        AuditEvent(
            actor_id=staff_id if action in _BY_THE_PERSON else None,
            action=action,
            target_type="staff",
            target_id=staff_id,
            org_id=org_id,
            org_path=org_path,
            after=details,
            request_id=request_id[:64],
        )
    )
    await session.flush()


_BY_THE_PERSON = {"auth.sign_in", "sso.token", "sso.logout"}
