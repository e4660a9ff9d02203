"""Who is asking: an access token's session, checked against the database every time.

One indexed query per authenticated request reads the session and the staff row together
(revoked? expired? staff still active? which version?). The staff member's grants come from
the per-process cache keyed by that version, so a transfer, departure or suspension made by
any worker takes effect on the next request everywhere. Org claims are never read from the
token.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from hub.auth.grants import GrantCache
from hub.auth.tokens import AccessClaims
from hub.auth.viewer import Viewer
from hub.errors import Unauthenticated
from hub.models import AuthSession, Staff
from hub.models.enums import SessionKind, StaffStatus

_SESSION_CHECK = (
    select(
        col(AuthSession.staff_id),
        col(AuthSession.expires_at),
        col(AuthSession.revoked_at),
        col(Staff.status),
        col(Staff.version),
        col(Staff.is_system_admin),
        col(Staff.must_change_password),
        col(AuthSession.kind),
    )
    .join(Staff, col(Staff.id) == col(AuthSession.staff_id))
    .where(col(AuthSession.id) == bindparam("session_id"))
)


def _session_ended() -> Unauthenticated:
    return Unauthenticated("The session has ended; sign in again.", reason="SESSION_ENDED")


async def viewer_for_session(
    engine: AsyncEngine, cache: GrantCache, claims: AccessClaims
) -> Viewer:
    async with engine.connect() as conn:
        row = (await conn.execute(_SESSION_CHECK, {"session_id": claims.session_id})).first()
        if row is None:
            raise _session_ended()
        staff_id, expires_at, revoked_at, status, version, is_system_admin, must_change, kind = row
        if staff_id != claims.staff_id or revoked_at is not None or kind != SessionKind.API:
            raise _session_ended()
        if expires_at <= datetime.now(UTC):
            raise _session_ended()
        if status != StaffStatus.ACTIVE:
            raise Unauthenticated(
                "Your account is not active; sign-in is refused.", reason="ACCOUNT_INACTIVE"
            )
        grants = await cache.grants_for(conn, staff_id, version)
    return Viewer(
        staff_id=staff_id,
        session_id=claims.session_id,
        is_system_admin=bool(is_system_admin),
        grants=grants,
        staff_version=version,
        must_change_password=bool(must_change),
    )
