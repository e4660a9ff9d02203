"""What an operator does from the command line, with no one signed in: create an administrator
(the first one of a new install included) and set a staff member's password. Each is one
transaction and leaves an audit event whose actor is the command line (``actor_id`` null)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.passwords import check_password_strength
from hub.auth.sessions import revoke_sessions
from hub.errors import BadUserInput, NotFound
from hub.identity.audit import staff_snapshot
from hub.identity.common import free_login_no, text_field
from hub.identity.staff import pinyin_of
from hub.models import AuditEvent, Staff
from hub.models.base import utcnow
from hub.models.enums import Gender, StaffStatus

COMMAND_LINE = "command line"


def strong_password(password: str) -> str:
    problem = check_password_strength(password)
    if problem:
        raise BadUserInput(problem)
    return password


def _event(action: str, staff: Staff, before: dict[str, object] | None) -> AuditEvent:
    return AuditEvent(
        actor_id=None,
        action=action,
        target_type="staff",
        target_id=staff.id or 0,
        org_id=None,
        org_path="/",
        before=before,
        after=staff_snapshot(staff),
        reason=COMMAND_LINE,
    )


async def create_admin(
    *, session: AsyncSession, login_no: str, name: str, password_hash: str
) -> Staff:
    """A system administrator who can sign in at once; the login number must be free."""
    login = await free_login_no(session, login_no)
    display = text_field(name, "name", 50, required=True)
    staff = Staff(
        login_no=login,
        name=display,
        name_pinyin=pinyin_of(display),
        gender=Gender.UNSTATED,
        status=StaffStatus.ACTIVE,
        is_system_admin=True,
        password_hash=password_hash,
    )
    session.add(staff)
    await session.flush()
    session.add(_event("staff.create_admin", staff, None))
    await session.flush()
    return staff


async def set_password(*, session: AsyncSession, login_no: str, password_hash: str) -> int:
    """Give a staff member a new password: unlocks the account and ends their sessions (a
    password set by someone else signs out whoever held the old one). Returns the sessions
    ended."""
    staff = (await session.exec(select(Staff).where(col(Staff.login_no) == login_no))).first()
    if staff is None or staff.id is None:
        raise NotFound(f"No staff member with login number {login_no!r}.")
    before = staff_snapshot(staff)
    await session.exec(
        update(Staff)
        .where(col(Staff.id) == staff.id)
        .values(
            password_hash=password_hash,
            failed_logins=0,
            locked_until=None,
            version=col(Staff.version) + 1,
            updated_at=utcnow(),
        )
    )
    ended = await revoke_sessions(session=session, staff_id=staff.id, reason="password set")
    await session.refresh(staff)
    session.add(_event("staff.set_password", staff, before))
    await session.flush()
    return ended
