"""Ending sessions, and owing back-channel logout for it.

Every session that ends goes through :func:`revoke`: hub's API sessions, browsers signed in
at the SSO pages, and relying parties' sessions. For a relying party's session it queues a
logout token in ``sso_logout`` *in the same transaction*, so a departure, a suspension, a
password reset or a sign-out everywhere either commits together with the logouts it owes
or not at all; the SSO delivery worker (``hub.sso.logout``) sends them, retrying while a
relying party is down.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.tokens import hash_refresh_token
from hub.errors import BadUserInput
from hub.models import AuthSession, SsoClient, SsoLogout
from hub.models.base import utcnow
from hub.models.enums import SessionKind


async def revoke(
    session: AsyncSession,
    where: ColumnElement[bool],
    reason: str,
    now: datetime | None = None,
    *,
    quiet_client: int | None = None,
) -> int:
    """End the open sessions ``where`` matches; queue a logout token for each relying
    party's session among them whose client takes back-channel logout (but not for
    ``quiet_client``, the relying party that asked for the logout itself)."""
    now = now or utcnow()
    ended = (
        await session.exec(
            update(AuthSession)
            .where(where, col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=now, revoke_reason=reason[:32])
            .returning(
                col(AuthSession.id),
                col(AuthSession.staff_id),
                col(AuthSession.client_pk),
                col(AuthSession.browser_session_id),
                col(AuthSession.kind),
            )
        )
    ).all()
    owed = [row for row in ended if row[4] == SessionKind.RELYING_PARTY and row[2] is not None]
    if owed:
        clients = {row[2] for row in owed} - {quiet_client}
        listening = set(
            (
                await session.exec(
                    select(SsoClient.id).where(
                        col(SsoClient.id).in_(clients),
                        col(SsoClient.backchannel_logout_uri).is_not(None),
                        col(SsoClient.revoked_at).is_(None),
                    )
                )
            ).all()
        )
        for session_id, staff_id, client_pk, browser_id, _ in owed:
            if client_pk in listening:
                session.add(
                    SsoLogout(
                        client_pk=client_pk,
                        staff_id=staff_id,
                        session_id=session_id,
                        sid=browser_id or session_id,
                        reason=reason[:32],
                        next_attempt_at=now,
                    )
                )
        await session.flush()
    return len(ended)


async def logout(
    *, session: AsyncSession, session_id: str | None = None, refresh_token: str | None = None
) -> bool:
    """End one API session, named by the access token's session or by a refresh token."""
    api = col(AuthSession.kind) == SessionKind.API
    if session_id is not None:
        where = (col(AuthSession.id) == session_id) & api
    elif refresh_token:
        where = (col(AuthSession.refresh_hash) == hash_refresh_token(refresh_token)) & api
    else:
        raise BadUserInput("Sign in, or give the refresh token of the session to end.")
    return await revoke(session, where, "logout") > 0


async def revoke_sessions(*, session: AsyncSession, staff_id: int, reason: str) -> int:
    """End every open session of a staff member, at hub and at every relying party
    (departure, suspension, a password set or reset, sign-out everywhere)."""
    return await revoke(session, col(AuthSession.staff_id) == staff_id, reason)
