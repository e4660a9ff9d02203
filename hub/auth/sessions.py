"""Sign-in sessions: login, refresh (with rotation and reuse detection), logout.

``login`` and ``refresh`` own their transactions, unlike the data functions elsewhere: a
failed attempt must still *commit* what it learned (a failure count, a lock, a revoked
session) before it answers with an error, and the slow argon2 check must not hold a write
lock. ``revoke_sessions`` is an ordinary data function for callers that own a transaction.

How a sign-in is counted (see :func:`login`): every attempt is *reserved* before its password
is checked, in one atomic statement, and refused there once the login number is locked; so
however many attempts arrive at once, at most ``lockout_threshold`` passwords are checked per
lock window. A login number that no account has is counted the same way (in the throttle's
store, :mod:`hub.auth.throttle`) and answers alike, lock included: neither the answer nor the
work done tells whether an account exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, case, inspect, null, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.grants import CHINA
from hub.auth.revocation import logout, revoke, revoke_sessions
from hub.auth.runtime import IdentityRuntime
from hub.auth.sign_in_audit import record_sign_in
from hub.auth.throttle import LoginWindow, window_end
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
from hub.models.enums import SessionKind, StaffStatus
from hub.settings import Settings

__all__ = [
    "IssuedTokens",
    "locked",
    "login",
    "logout",
    "refresh",
    "reserve_attempt",
    "revoke_sessions",
    "rotate",
]

_BAD_CREDENTIALS = "Wrong login number or password."


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    staff_id: int
    session_id: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class _Attempt:
    """A reserved sign-in attempt: its window, and the account when the login number has one."""

    window: LoginWindow
    staff_id: int | None = None
    password_hash: str | None = None
    status: str | None = None


def locked(
    until: datetime, what: str = "Too many failed sign-ins: this login number is"
) -> TooManyRequests:
    """The same answer for an account and for a login number without one."""
    until = until.astimezone(UTC)
    seconds = max(1, math.ceil((until - utcnow()).total_seconds()))
    local = until.astimezone(CHINA).strftime("%H:%M")
    return TooManyRequests(
        f"{what} locked until {local} (China time); "
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
    kind: SessionKind = SessionKind.API,
) -> IssuedTokens:
    """Sign in to hub's API (or, with ``kind`` BROWSER, at the SSO sign-in page, where the
    "refresh token" is the browser's cookie); every refusal is one of two answers.

    1. The attempt is counted against the client address, then against the login number
       (:func:`reserve_attempt`), before any password is checked. A locked login number answers
       TOO_MANY_REQUESTS at once, without checking the password (the right one included).
    2. One argon2 check, against the account's hash or a dummy one: an unknown login number,
       an account without a password, a suspended or departed account (even with its right
       password) and a wrong password all fail it alike, and answer BAD_CREDENTIALS; the
       attempt that reaches ``lockout_threshold`` answers TOO_MANY_REQUESTS ("this login
       number is locked until …") instead. There is no per-account slowdown: the lock bounds
       guessing, and unknown login numbers lock the same way, so the lock answer tells
       nothing either.
    3. A success opens a session and forgives the failures counted before it, unless others
       were counted since (a guesser's attempts in parallel with the owner's stay counted).
    """
    settings = runtime.settings
    login_no = login_no.strip()
    if not login_no or not password:
        raise BadUserInput("Give a login number and a password.")
    address = client_ip or "unknown"
    await runtime.throttle.reserve(address)
    try:
        attempt = await reserve_attempt(factory, runtime, login_no)
    except BaseException:
        await runtime.throttle.release(address)
        raise
    if not attempt.window.counted:
        await runtime.throttle.release(address)  # no password was checked
        raise locked(attempt.window.until)
    right = await runtime.passwords.verify(attempt.password_hash, password)
    if right and attempt.status == StaffStatus.ACTIVE:
        assert attempt.staff_id is not None and attempt.password_hash is not None
        tokens = await _signed_in(
            factory,
            runtime,
            attempt,
            password,
            client_ip=client_ip,
            user_agent=user_agent,
            kind=kind,
        )
        if tokens is not None:
            await runtime.throttle.release(address)
            return tokens
    now_locked = attempt.window.count >= settings.lockout_threshold
    if attempt.staff_id is not None:
        async with transaction(factory) as session:
            await record_sign_in(
                session,
                staff_id=attempt.staff_id,
                action="auth.lockout" if now_locked else "auth.sign_in_failed",
                details={
                    "via": kind.value,
                    "client_ip": client_ip,
                    "attempt": attempt.window.count,
                },
            )
    if now_locked:
        raise locked(attempt.window.until)
    raise _bad_credentials()


async def reserve_attempt(
    factory: async_sessionmaker[AsyncSession], runtime: IdentityRuntime, login_no: str
) -> _Attempt:
    """Count one attempt on ``login_no``: in its staff row when an account has it (one
    UPDATE … RETURNING that counts, opens a window or locks, and matches nothing while the
    account is locked), else in the throttle's store, by the same rule."""
    settings = runtime.settings
    threshold = settings.lockout_threshold
    for _ in range(3):
        now = utcnow()
        fresh = window_end(now, settings.lockout_minutes)
        until = col(Staff.locked_until)
        failures = col(Staff.failed_logins)
        in_window = and_(until.is_not(None), until > now)
        statement = (
            update(Staff)
            .where(col(Staff.login_no) == login_no, ~and_(in_window, failures >= threshold))
            .values(
                failed_logins=case((in_window, failures + 1), else_=1),
                locked_until=case(
                    (
                        or_(~in_window, failures + 1 >= threshold),
                        bindparam("fresh", fresh, inspect(Staff).columns["locked_until"].type),
                    ),
                    else_=until,
                ),
            )
            .returning(col(Staff.id), col(Staff.password_hash), col(Staff.status), failures, until)
        )
        async with transaction(factory) as session:
            row = (await session.exec(statement)).first()
        if row is not None:
            staff_id, password_hash, status, count, ends = row
            return _Attempt(LoginWindow(count, ends, True), staff_id, password_hash, status)
        async with factory() as session:
            held = (
                await session.exec(
                    select(Staff.failed_logins, Staff.locked_until).where(
                        col(Staff.login_no) == login_no
                    )
                )
            ).first()
        if held is None:
            return _Attempt(await runtime.throttle.reserve_login(login_no, now))
        count, ends = held
        if ends is not None and ends > utcnow() and count >= threshold:
            return _Attempt(LoginWindow(count, ends, False))
        # the lock ended (or a sign-in lifted it) between the two statements: count again
    return _Attempt(LoginWindow(threshold, utcnow() + timedelta(seconds=1), False))


async def _signed_in(
    factory: async_sessionmaker[AsyncSession],
    runtime: IdentityRuntime,
    attempt: _Attempt,
    password: str,
    *,
    client_ip: str | None,
    user_agent: str | None,
    kind: SessionKind,
) -> IssuedTokens | None:
    """Open a session for a right password; ``None`` when the account stopped being active
    meanwhile (then the attempt failed like any other)."""
    assert attempt.staff_id is not None and attempt.password_hash is not None
    new_hash = None
    if runtime.passwords.needs_rehash(attempt.password_hash):
        new_hash = await runtime.passwords.hash_async(password)
    failures = col(Staff.failed_logins)
    forgive = failures == attempt.window.count  # nobody else was counted since
    values: dict[str, object] = {
        "failed_logins": case((forgive, 0), else_=failures),
        "locked_until": case((forgive, null()), else_=col(Staff.locked_until)),
    }
    if new_hash is not None:
        values["password_hash"] = new_hash
    async with transaction(factory) as session:
        result = await session.exec(
            update(Staff)
            .where(col(Staff.id) == attempt.staff_id, col(Staff.status) == StaffStatus.ACTIVE)
            .values(**values)
        )
        if result.rowcount != 1:
            return None
        await record_sign_in(
            session,
            staff_id=attempt.staff_id,
            action="auth.sign_in",
            details={"via": kind.value, "client_ip": client_ip},
        )
        return await _open_session(
            session,
            runtime.settings,
            attempt.staff_id,
            client_ip=client_ip,
            user_agent=user_agent,
            kind=kind,
        )


async def _open_session(
    session: AsyncSession,
    settings: Settings,
    staff_id: int,
    *,
    client_ip: str | None,
    user_agent: str | None,
    kind: SessionKind = SessionKind.API,
) -> IssuedTokens:
    now = utcnow()
    refresh_token = new_refresh_token()
    if kind == SessionKind.BROWSER:
        lifetime = timedelta(hours=settings.sso_session_hours)
    else:
        lifetime = timedelta(days=settings.refresh_token_days)
    auth = AuthSession(
        id=new_session_id(),
        staff_id=staff_id,
        refresh_hash=hash_refresh_token(refresh_token),
        created_at=now,
        refreshed_at=now,
        expires_at=now + lifetime,
        client_ip=(client_ip or None) and client_ip[:64],
        user_agent=(user_agent or None) and user_agent[:200],
        kind=kind,
        auth_time=now,
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
    """Rotate an API session's refresh token and issue a new pair (see :func:`rotate`)."""
    auth, new_token, now = await rotate(factory, settings, refresh_token)
    return _issue(settings, auth, new_token, now)


async def rotate(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    refresh_token: str,
    *,
    kind: SessionKind = SessionKind.API,
    client_pk: int | None = None,
) -> tuple[AuthSession, str, datetime]:
    """Spend a refresh token of a session of ``kind`` (and ``client_pk``, for a relying
    party's): the session with its new refresh token. Presenting an already spent token means
    two parties hold it, so the whole session is revoked (and a relying party's session owes
    its back-channel logout)."""
    if not refresh_token:
        raise BadUserInput("Give the refresh token.")
    presented = hash_refresh_token(refresh_token)
    refusal: HubError | None = None
    rotated: tuple[AuthSession, str] | None = None
    async with transaction(factory) as session:
        found = (
            await session.exec(
                select(AuthSession, Staff.status)
                .join(Staff, col(Staff.id) == col(AuthSession.staff_id))
                .where(
                    or_(
                        col(AuthSession.refresh_hash) == presented,
                        col(AuthSession.previous_refresh_hash) == presented,
                    ),
                    col(AuthSession.kind) == kind,
                )
            )
        ).first()
        now = utcnow()
        if found is None or found[0].client_pk != client_pk:
            refusal = _refresh_refused()
        else:
            auth, status = found
            if auth.refresh_hash != presented:
                if auth.revoked_at is None:
                    await revoke(session, col(AuthSession.id) == auth.id, "refresh_reuse", now)
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
                rotated = await _rotate(session, settings, auth, presented, now)
                if rotated is None:
                    refusal = _refresh_refused()
    if refusal is not None:
        raise refusal
    assert rotated is not None
    return rotated[0], rotated[1], now


async def _rotate(
    session: AsyncSession, settings: Settings, auth: AuthSession, presented: str, now: datetime
) -> tuple[AuthSession, str] | None:
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
    return auth, new_token
