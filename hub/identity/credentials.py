"""Passwords set by the person themself (changePassword) and by their admin (a reset).

Argon2 never runs inside a change's transaction: the caller checks the current password with
:func:`check_current_password` (which owns its short transactions, as signing in does) and
hashes the new one before the change begins; the change then compares-and-sets on the hash
that was checked, so a password changed or reset meanwhile answers CONFLICT.

A wrong current password is counted like a failed sign-in, on the same per-account counter
(:mod:`hub.auth.sessions`): the attempt is counted before the password is checked, so at most
``lockout_threshold`` passwords are checked per lock window, however many requests arrive at
once; the attempt that reaches the threshold locks sign-in and changePassword alike, answered
TOO_MANY_REQUESTS. The change that follows a right password forgives the count, as a sign-in
does (unless others were counted since).
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from sqlalchemy import case, null
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.permissions import require_signed_in, require_staff
from hub.auth.revocation import revoke
from hub.auth.runtime import IdentityRuntime
from hub.auth.sessions import locked, reserve_attempt, revoke_sessions
from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, Forbidden
from hub.identity.accounts import strong_password
from hub.identity.audit import record_event, staff_snapshot
from hub.identity.common import (
    active_memberships,
    bump_staff,
    reason_field,
    stale,
    versioned_update,
    visible_target,
)
from hub.identity.staff import StaffChange, require_primary_authority
from hub.models import AuthSession, Staff
from hub.models.base import utcnow
from hub.models.enums import PostType

#: One-time passwords: no 0/O/o, 1/l/I/i, which read alike on paper and on screen.
ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
ONE_TIME_LENGTH = 12  # of 55 characters: about 69 bits


def one_time_password() -> str:
    """A readable random password for an admin to hand over once."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))


def new_password(current: str, new: str) -> str:
    """The new password of a change: strong enough, and not the current one."""
    strong_password(new)
    if secrets.compare_digest(current.encode(), new.encode()):
        raise BadUserInput("The new password must differ from the current one.")
    return new


_ACCOUNT = "Too many wrong passwords or failed sign-ins: your account is"


@dataclass(frozen=True, slots=True)
class CheckedPassword:
    """The actor's current password, checked: the hash it matched, and the attempt's place in
    the failure count (forgiven when the change commits)."""

    password_hash: str
    attempt: int


async def check_current_password(
    *,
    factory: async_sessionmaker[AsyncSession],
    runtime: IdentityRuntime,
    actor: Viewer,
    password: str,
) -> CheckedPassword:
    """Count the attempt (as a sign-in), then check ``password`` against the actor's hash
    with no transaction open. Wrong: BAD_USER_INPUT (``reason`` WRONG_PASSWORD); the attempt
    that reaches the threshold, and any while locked: TOO_MANY_REQUESTS."""
    staff_id = require_signed_in(actor)
    if not password:
        raise BadUserInput("Give your current password.")
    async with factory() as session:
        login_no = (
            await session.exec(select(Staff.login_no).where(col(Staff.id) == staff_id))
        ).one()
    attempt = await reserve_attempt(factory, runtime, login_no)
    if not attempt.window.counted:
        raise locked(attempt.window.until, _ACCOUNT)
    right = await runtime.passwords.verify(attempt.password_hash, password)
    if right and attempt.staff_id == staff_id and attempt.password_hash:
        return CheckedPassword(attempt.password_hash, attempt.window.count)
    threshold = runtime.settings.lockout_threshold
    if attempt.window.count >= threshold:
        raise locked(attempt.window.until, _ACCOUNT)
    raise BadUserInput(
        "The current password is wrong.",
        reason="WRONG_PASSWORD",
        attemptsLeft=threshold - attempt.window.count,
    )


async def _home(session: AsyncSession, staff_id: int) -> tuple[int | None, str]:
    """The org an event about the person is filed under: their primary post's, else root."""
    for row in await active_memberships(session, staff_id):
        if row.membership.post_type == PostType.PRIMARY:
            return row.membership.org_id, row.org_path
    return None, "/"


async def change_password(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    checked: CheckedPassword,
    password_hash: str,
) -> StaffChange:
    """The signed-in person's new password (hashed by the caller): clears a forced change,
    ends every other session of theirs (this one stays signed in), audited as
    staff.password_change."""
    staff_id = require_signed_in(actor)
    staff = await session.get_one(Staff, staff_id)
    before = {**staff_snapshot(staff), "must_change_password": staff.must_change_password}
    forgive = col(Staff.failed_logins) == checked.attempt  # nobody else was counted since
    await versioned_update(
        session,
        Staff,
        staff_id,
        expected=actor.staff_version,
        what="staff record",
        still=col(Staff.password_hash) == checked.password_hash,  # not changed meanwhile
        password_hash=password_hash,
        must_change_password=False,
        failed_logins=case((forgive, 0), else_=col(Staff.failed_logins)),
        locked_until=case((forgive, null()), else_=col(Staff.locked_until)),
        updated_at=utcnow(),
    )
    others = (col(AuthSession.staff_id) == staff_id) & (col(AuthSession.id) != actor.session_id)
    revoked = await revoke(session, others, "password changed")
    await session.refresh(staff)
    org_id, org_path = await _home(session, staff_id)
    await record_event(
        session=session,
        # the actor is the person changed: confirmed at the version this change gave them
        actor=dataclasses.replace(actor, staff_version=staff.version),
        request_id=request_id,
        action="staff.password_change",
        target_type="staff",
        target_id=staff_id,
        org_id=org_id,
        org_path=org_path,
        before=before,
        after={**staff_snapshot(staff), "must_change_password": False, "sessions_revoked": revoked},
    )
    return StaffChange(staff=staff, sessions_revoked=revoked)


async def reset_password(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    staff_id: int,
    expected_version: int,
    password_hash: str,
    reason: str,
) -> StaffChange:
    """An admin over the person's primary org (or the system admin) gives them a one-time
    password (hashed by the caller): it unlocks the account, ends every session of theirs,
    and must be changed before anything else. Audited as staff.password_reset, without it."""
    require_staff(actor)
    reason = reason_field(reason, required=True)
    target = await visible_target(session, actor, staff_id)
    if actor.staff_id == staff_id:
        raise Forbidden("Nobody resets their own password; use changePassword.")
    org_id, org_path = require_primary_authority(actor, target)
    staff = target.staff
    if staff.version != expected_version:
        raise stale("staff member", expected_version, staff.version)
    before = {**staff_snapshot(staff), "must_change_password": staff.must_change_password}
    await bump_staff(
        session,
        staff_id,
        expected=expected_version,
        password_hash=password_hash,
        must_change_password=True,
        failed_logins=0,
        locked_until=None,
    )
    revoked = await revoke_sessions(session=session, staff_id=staff_id, reason="password reset")
    await session.refresh(staff)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="staff.password_reset",
        target_type="staff",
        target_id=staff_id,
        org_id=org_id,
        org_path=org_path,
        before=before,
        after={**staff_snapshot(staff), "must_change_password": True, "sessions_revoked": revoked},
        reason=reason,
    )
    return StaffChange(staff=staff, sessions_revoked=revoked)
