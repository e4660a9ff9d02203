"""Sign-in sessions: login, refresh (with rotation and reuse detection), logout.

``login`` and ``refresh`` own their transactions, unlike the data functions elsewhere: a
failed attempt must still *commit* what it learned (a failure count, a lock, a revoked
session) before it answers with an error, and the slow argon2 check must not hold a write
lock. ``revoke_sessions`` is an ordinary data function for callers that own a transaction.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.grants import CHINA
from hub.auth.runtime import IdentityRuntime
from hub.auth.tokens import (
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    new_session_id,
)
from hub.db import transaction
from hub.errors import BadUserInput, HubError, TooManyRequests, Unauthenticated
from hub.models import AuthSession, Staff
from hub.models.base import utcnow
from hub.models.enums import StaffStatus
from hub.settings import Settings

MAX_SLOWDOWN_SECONDS = 1.0
_BAD_CREDENTIALS = "Wrong login number or password."


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    staff_id: int
    session_id: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


def slowdown_seconds(failed_logins: int) -> float:
    """0.1 s after one failure, doubling, capped at a second: cheap for a typo, costly for
    a guesser (who is locked out at the threshold anyway)."""
    if failed_logins <= 0:
        return 0.0
    return min(MAX_SLOWDOWN_SECONDS, 0.1 * 2 ** (failed_logins - 1))


def _locked(until: datetime, now: datetime) -> TooManyRequests:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    local = until.astimezone(CHINA).strftime("%H:%M")
    return TooManyRequests(
        f"Too many failed sign-ins: this account is locked until {local} (China time); "
        f"try again in {math.ceil(seconds / 60)} minute(s).",
        retryAfterSeconds=seconds,
        lockedUntil=until.isoformat(),
    )


def _bad_credentials() -> Unauthenticated:
    return Unauthenticated(_BAD_CREDENTIALS, reason="BAD_CREDENTIALS")


def _refresh_refused() -> Unauthenticated:
    return Unauthenticated(
        "The refresh token is not valid any more; sign in again.", reason="REFRESH_INVALID"
    )


async def login(
    *,
    factory: async_sessionmaker[AsyncSession],
    runtime: IdentityRuntime,
    login_no: str,
    password: str,
    client_ip: str | None,
    user_agent: str | None,
) -> IssuedTokens:
    """Unknown login and wrong password answer alike, after the same argon2 work."""
    settings = runtime.settings
    if not login_no.strip() or not password:
        raise BadUserInput("Give a login number and a password.")
    address = client_ip or "unknown"
    await runtime.throttle.check(address)
    async with factory() as session:
        staff = (
            await session.exec(select(Staff).where(col(Staff.login_no) == login_no.strip()))
        ).first()
    now = utcnow()
    if staff is not None and staff.locked_until is not None and staff.locked_until > now:
        raise _locked(staff.locked_until, now)
    if staff is not None:
        await asyncio.sleep(slowdown_seconds(staff.failed_logins))
    stored_hash = staff.password_hash if staff is not None else None
    if not await runtime.passwords.verify(stored_hash, password):
        await runtime.throttle.failure(address)
        if staff is not None and staff.id is not None:
            locked_until = await _record_failure(factory, settings, staff.id)
            if locked_until is not None:
                raise _locked(locked_until, utcnow())
        raise _bad_credentials()
    assert staff is not None and staff.id is not None and stored_hash is not None
    if staff.status != StaffStatus.ACTIVE:
        raise Unauthenticated(
            "This account is not active; sign-in is refused.", reason="ACCOUNT_INACTIVE"
        )
    new_hash = None
    if runtime.passwords.needs_rehash(stored_hash):
        new_hash = await runtime.passwords.hash_async(password)
    async with transaction(factory) as session:
        if staff.failed_logins or staff.locked_until is not None or new_hash is not None:
            values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
            if new_hash is not None:
                values["password_hash"] = new_hash
            await session.exec(update(Staff).where(col(Staff.id) == staff.id).values(**values))
        return await _open_session(
            session, settings, staff.id, client_ip=client_ip, user_agent=user_agent
        )


async def _record_failure(
    factory: async_sessionmaker[AsyncSession], settings: Settings, staff_id: int
) -> datetime | None:
    """Count one failure atomically; at the threshold, lock and restart the count. Returns
    the lock's end when this failure locked the account."""
    lock_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
    reaches = col(Staff.failed_logins) + 1 >= settings.lockout_threshold
    async with transaction(factory) as session:
        result = await session.exec(
            update(Staff)
            .where(col(Staff.id) == staff_id)
            .values(
                failed_logins=case((reaches, 0), else_=col(Staff.failed_logins) + 1),
                locked_until=case((reaches, lock_until), else_=col(Staff.locked_until)),
            )
            .returning(col(Staff.failed_logins), col(Staff.locked_until))
        )
        row = result.first()
    if row is not None and row[0] == 0 and row[1] is not None:
        return lock_until
    return None


async def _open_session(
    session: AsyncSession,
    settings: Settings,
    staff_id: int,
    *,
    client_ip: str | None,
    user_agent: str | None,
) -> IssuedTokens:
    now = utcnow()
    refresh_token = new_refresh_token()
    auth = AuthSession(
        id=new_session_id(),
        staff_id=staff_id,
        refresh_hash=hash_refresh_token(refresh_token),
        created_at=now,
        refreshed_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
        client_ip=(client_ip or None) and client_ip[:64],
        user_agent=(user_agent or None) and user_agent[:200],
    )
    session.add(auth)
    await session.flush()
    return _issue(settings, auth, refresh_token, now)


def _issue(
    settings: Settings, auth: AuthSession, refresh_token: str, now: datetime
) -> IssuedTokens:
    access_token, access_expires_at = issue_access_token(
        settings, session_id=auth.id, staff_id=auth.staff_id, now=now
    )
    return IssuedTokens(
        staff_id=auth.staff_id,
        session_id=auth.id,
        access_token=access_token,
        access_expires_at=access_expires_at,
        refresh_token=refresh_token,
        refresh_expires_at=auth.expires_at,
    )


async def refresh(
    *, factory: async_sessionmaker[AsyncSession], settings: Settings, refresh_token: str
) -> IssuedTokens:
    """Rotate: the presented token is spent and a new pair issued. Presenting an already
    spent token means two parties hold it, so the whole session is revoked."""
    if not refresh_token:
        raise BadUserInput("Give the refresh token.")
    presented = hash_refresh_token(refresh_token)
    refusal: HubError | None = None
    issued: IssuedTokens | None = None
    async with transaction(factory) as session:
        found = (
            await session.exec(
                select(AuthSession, Staff.status)
                .join(Staff, col(Staff.id) == col(AuthSession.staff_id))
                .where(
                    or_(
                        col(AuthSession.refresh_hash) == presented,
                        col(AuthSession.previous_refresh_hash) == presented,
                    )
                )
            )
        ).first()
        now = utcnow()
        if found is None:
            refusal = _refresh_refused()
        else:
            auth, status = found
            if auth.refresh_hash != presented:
                if auth.revoked_at is None:
                    await _revoke(session, col(AuthSession.id) == auth.id, "refresh_reuse", now)
                refusal = Unauthenticated(
                    "This refresh token was already used; the session is revoked. Sign in again.",
                    reason="REFRESH_REUSED",
                )
            elif auth.revoked_at is not None or auth.expires_at <= now:
                refusal = _refresh_refused()
            elif status != StaffStatus.ACTIVE:
                refusal = Unauthenticated(
                    "This account is not active; sign-in is refused.", reason="ACCOUNT_INACTIVE"
                )
            else:
                issued = await _rotate(session, settings, auth, presented, now)
                if issued is None:
                    refusal = _refresh_refused()
    if refusal is not None:
        raise refusal
    assert issued is not None
    return issued


async def _rotate(
    session: AsyncSession, settings: Settings, auth: AuthSession, presented: str, now: datetime
) -> IssuedTokens | None:
    """Compare-and-set on the presented hash: of two concurrent refreshes, one wins."""
    new_token = new_refresh_token()
    expires_at = now + timedelta(days=settings.refresh_token_days)
    result = await session.exec(
        update(AuthSession)
        .where(col(AuthSession.id) == auth.id, col(AuthSession.refresh_hash) == presented)
        .values(
            refresh_hash=hash_refresh_token(new_token),
            previous_refresh_hash=presented,
            refreshed_at=now,
            expires_at=expires_at,
        )
    )
    if result.rowcount != 1:
        return None
    auth.expires_at = expires_at
    return _issue(settings, auth, new_token, now)


async def _revoke(session: AsyncSession, where: object, reason: str, now: datetime) -> int:
    result = await session.exec(
        update(AuthSession)
        .where(where, col(AuthSession.revoked_at).is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now, revoke_reason=reason)
    )
    return int(result.rowcount)


async def logout(
    *, session: AsyncSession, session_id: str | None = None, refresh_token: str | None = None
) -> bool:
    """End one session, named by the access token's session or by a refresh token."""
    if session_id is not None:
        where = col(AuthSession.id) == session_id
    elif refresh_token:
        where = col(AuthSession.refresh_hash) == hash_refresh_token(refresh_token)
    else:
        raise BadUserInput("Sign in, or give the refresh token of the session to end.")
    return await _revoke(session, where, "logout", utcnow()) > 0


async def revoke_sessions(*, session: AsyncSession, staff_id: int, reason: str) -> int:
    """End every open session of a staff member (departure, suspension, logout everywhere)."""
    return await _revoke(session, col(AuthSession.staff_id) == staff_id, reason, utcnow())
