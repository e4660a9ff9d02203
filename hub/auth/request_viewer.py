"""Who is asking: the request's bearer token, checked against the database every time.

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
from starlette.requests import Request

from hub.auth.grants import GrantCache, load_grants, today
from hub.auth.runtime import identity_runtime
from hub.auth.tokens import AccessClaims, read_access_token
from hub.auth.viewer import ANONYMOUS, Viewer
from hub.errors import Unauthenticated
from hub.models import AuthSession, Staff
from hub.models.enums import StaffStatus

_SESSION_CHECK = (
    select(
        col(AuthSession.staff_id),
        col(AuthSession.expires_at),
        col(AuthSession.revoked_at),
        col(Staff.status),
        col(Staff.version),
        col(Staff.is_system_admin),
    )
    .join(Staff, col(Staff.id) == col(AuthSession.staff_id))
    .where(col(AuthSession.id) == bindparam("session_id"))
)


def _session_ended() -> Unauthenticated:
    return Unauthenticated("The session has ended; sign in again.", reason="SESSION_ENDED")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "Send the access token as 'Authorization: Bearer <token>'.", reason="TOKEN_INVALID"
        )
    return token


async def viewer_from_request(request: Request) -> Viewer:
    """ANONYMOUS without a token; a bad, expired or ended one is UNAUTHENTICATED."""
    token = bearer_token(request)
    if token is None:
        return ANONYMOUS
    runtime = identity_runtime(request.app)
    claims = read_access_token(runtime.settings, token)
    engine = runtime.engine_for_checks(request.app.state.hub.engine)
    return await viewer_for_session(engine, runtime.grants, claims)


async def viewer_for_session(
    engine: AsyncEngine, cache: GrantCache, claims: AccessClaims
) -> Viewer:
    async with engine.connect() as conn:
        row = (await conn.execute(_SESSION_CHECK, {"session_id": claims.session_id})).first()
        if row is None:
            raise _session_ended()
        staff_id, expires_at, revoked_at, status, version, is_system_admin = row
        if staff_id != claims.staff_id or revoked_at is not None:
            raise _session_ended()
        if expires_at <= datetime.now(UTC):
            raise _session_ended()
        if status != StaffStatus.ACTIVE:
            raise Unauthenticated(
                "Your account is not active; sign-in is refused.", reason="ACCOUNT_INACTIVE"
            )
        on = today()
        grants = cache.get(staff_id, version, on)
        if grants is None:
            grants = await load_grants(conn, staff_id, on)
            cache.put(staff_id, version, on, grants)
    return Viewer(
        staff_id=staff_id,
        session_id=claims.session_id,
        is_system_admin=bool(is_system_admin),
        grants=grants,
        staff_version=version,
    )
