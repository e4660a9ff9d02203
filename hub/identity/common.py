"""What every identity change shares: loading its targets, the actor's confirmation, the
version guard and validation. (The unit of work that turns database contention into CONFLICT
is :func:`hub.db.unit_of_work`.)"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.permissions import require_visible_staff
from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, Conflict, Forbidden, NotFound
from hub.ids import to_global_id
from hub.models import Membership, Org, Staff
from hub.models.base import utcnow
from hub.models.enums import MembershipStatus, OrgStatus, PostType, Role, StaffStatus


@dataclass(frozen=True, slots=True)
class MembershipRow:
    """A membership with the path of its org, which every permission check needs."""

    membership: Membership
    org_path: str
    org_name: str


@dataclass(frozen=True, slots=True)
class TargetStaff:
    staff: Staff
    active: list[MembershipRow]

    @property
    def id(self) -> int:
        assert self.staff.id is not None
        return self.staff.id

    @property
    def active_paths(self) -> list[str]:
        return [row.org_path for row in self.active]

    @property
    def primary(self) -> MembershipRow | None:
        for row in self.active:
            if row.membership.post_type == PostType.PRIMARY:
                return row
        return None


# ------------------------------------------------------------------------------ unit of work


# ------------------------------------------------------------------------------ the actor


async def confirm_actor(session: AsyncSession, actor: Viewer) -> None:
    """The actor's rights, checked again as the change is about to commit.

    The viewer was read when the request began; a long request could otherwise commit with
    rights its actor lost meanwhile (suspended, departed, moved). This re-reads the actor's
    staff row in the change's own transaction, ``FOR SHARE`` on PostgreSQL: a concurrent
    suspension or membership change of the actor has either committed (and is seen here) or
    waits for this change to end. On SQLite the change holds the database's writer lock (its
    writes come first), so the same holds. Any difference from the viewer (status no longer
    active, another ``version``, the system admin flag) is FORBIDDEN, and the change rolls
    back. Nobody is exempt, the system admin included.
    """
    if actor.staff_id is None:
        raise Forbidden("Only signed-in staff may change staff records.")
    row = (
        await session.exec(
            select(Staff.version, Staff.status, Staff.is_system_admin)
            .where(col(Staff.id) == actor.staff_id)
            .with_for_update(read=True)
        )
    ).first()
    if (
        row is None
        or row[0] != actor.staff_version
        or row[1] != StaffStatus.ACTIVE
        or bool(row[2]) != actor.is_system_admin
    ):
        raise Forbidden(
            "Your own status or memberships changed while this request ran, so the rights it "
            "began with no longer hold; nothing was changed. Reload and retry."
        )


# ------------------------------------------------------------------------------ loading


async def load_staff(session: AsyncSession, staff_id: int) -> TargetStaff | None:
    staff = (await session.exec(select(Staff).where(col(Staff.id) == staff_id))).first()
    if staff is None:
        return None
    return TargetStaff(staff=staff, active=await active_memberships(session, staff_id))


async def active_memberships(session: AsyncSession, staff_id: int) -> list[MembershipRow]:
    """Active by status, whatever the dates: a membership that starts next week still
    counts as held (it blocks a second primary and it can be edited or ended)."""
    rows = await session.exec(
        select(Membership, Org.path, Org.name)
        .join(Org, col(Org.id) == col(Membership.org_id))
        .where(
            col(Membership.staff_id) == staff_id,
            col(Membership.status) == MembershipStatus.ACTIVE,
        )
        .order_by(col(Membership.id))
    )
    return [MembershipRow(m, path, name) for m, path, name in rows]


async def count_active(session: AsyncSession, staff_id: int) -> int:
    rows = await session.exec(
        select(Membership.id).where(
            col(Membership.staff_id) == staff_id,
            col(Membership.status) == MembershipStatus.ACTIVE,
        )
    )
    return len(rows.all())


async def visible_target(session: AsyncSession, viewer: Viewer, staff_id: int) -> TargetStaff:
    """The staff member named by a mutation argument; NOT_FOUND unless the viewer may see
    them (so an id from another part of the tree reveals nothing)."""
    global_id = to_global_id("Staff", staff_id)
    target = await load_staff(session, staff_id)
    if target is None:
        raise NotFound(f"No staff member with id {global_id!r}.")
    require_visible_staff(viewer, staff_id, target.active_paths, global_id)
    return target


async def load_membership(session: AsyncSession, membership_id: int) -> MembershipRow | None:
    row = (
        await session.exec(
            select(Membership, Org.path, Org.name)
            .join(Org, col(Org.id) == col(Membership.org_id))
            .where(col(Membership.id) == membership_id)
        )
    ).first()
    return MembershipRow(*row) if row else None


async def load_org_for_posts(session: AsyncSession, org_id: int) -> Org:
    """An org that can take new members: it exists and is not dissolved."""
    org = (await session.exec(select(Org).where(col(Org.id) == org_id))).first()
    if org is None:
        raise NotFound(f"No org with id {to_global_id('Org', org_id)!r}.")
    if org.status != OrgStatus.ACTIVE:
        raise BadUserInput(f"{org.name} is dissolved and cannot take members.")
    return org


# ------------------------------------------------------------------------------ version guard


def stale(what: str, expected: int, current: int) -> Conflict:
    return Conflict(
        f"The {what} is at version {current}, not {expected}: it changed since you read it. "
        "Reload and retry.",
        currentVersion=current,
    )


async def bump_staff(
    session: AsyncSession,
    staff_id: int,
    *,
    expected: int | None = None,
    **values: object,
) -> int:
    """Bump ``staff.version`` (a compare-and-set when ``expected`` is given) and return the
    new version. This is the first write of every change: it takes the staff row's lock
    (PostgreSQL) or the write lock (SQLite) before anything else, so concurrent changes to
    one person queue up in the same order everywhere and the losers see a new version."""
    statement = update(Staff).where(col(Staff.id) == staff_id)
    if expected is not None:
        statement = statement.where(col(Staff.version) == expected)
    result = await session.exec(
        statement.values(version=col(Staff.version) + 1, updated_at=utcnow(), **values).returning(
            col(Staff.version)
        )
    )
    row = result.first()
    if row is None:
        current = (
            await session.exec(select(Staff.version).where(col(Staff.id) == staff_id))
        ).first()
        raise stale("staff member", expected or 0, current or 0)
    return int(row[0])


async def versioned_update(
    session: AsyncSession,
    model: Any,
    row_id: int,
    *,
    expected: int,
    what: str,
    still: Any,
    **values: object,
) -> None:
    """Compare-and-set one row: apply ``values`` and bump ``version`` only while the row is at
    ``expected`` and ``still`` holds (e.g. still active), else CONFLICT with the version it is
    at. Two concurrent changes of one row: the second waits for the first and then changes
    nothing."""
    result = await session.exec(
        update(model)
        .where(col(model.id) == row_id, col(model.version) == expected, still)
        .values(version=col(model.version) + 1, **values)
    )
    if result.rowcount != 1:
        current = (await session.exec(select(model.version).where(col(model.id) == row_id))).first()
        raise stale(what, expected, current or 0)


async def bump_membership(
    session: AsyncSession, membership_id: int, *, expected: int, **values: object
) -> None:
    await versioned_update(
        session,
        Membership,
        membership_id,
        expected=expected,
        what="membership",
        still=col(Membership.status) == MembershipStatus.ACTIVE,
        updated_at=utcnow(),
        **values,
    )


# ------------------------------------------------------------------------------ validation

_LOGIN_NO = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
_MOBILE = re.compile(r"^1\d{10}$")
_ROLES = {role.value for role in Role}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def text_field(value: str | None, label: str, max_length: int, *, required: bool = False) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise BadUserInput(f"{label} must not be empty.")
    if len(cleaned) > max_length:
        raise BadUserInput(f"{label} has at most {max_length} characters.")
    return cleaned


def login_no_field(value: str) -> str:
    cleaned = value.strip()
    if not _LOGIN_NO.match(cleaned):
        raise BadUserInput(
            "loginNo is 2 to 32 letters, digits, '_', '.' or '-' (no spaces, no Chinese)."
        )
    return cleaned


async def free_login_no(session: AsyncSession, value: str) -> str:
    """A valid login number nobody has yet (a race past this check meets the unique index)."""
    login_no = login_no_field(value)
    taken = (await session.exec(select(Staff.id).where(col(Staff.login_no) == login_no))).first()
    if taken is not None:
        raise Conflict(f"Login number {login_no!r} is already taken.")
    return login_no


def mobile_field(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not _MOBILE.match(value.strip()):
        raise BadUserInput("mobile must be an 11-digit mainland number starting with 1.")
    return value.strip()


def email_field(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not _EMAIL.match(value.strip()) or len(value.strip()) > 120:
        raise BadUserInput("email is not a valid address.")
    return value.strip()


def dates_field(starts_on: date, ends_on: date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise BadUserInput("endsOn must not be before startsOn.")


def roles_field(roles: Iterable[str]) -> list[str]:
    cleaned = sorted({str(role) for role in roles})
    unknown = [role for role in cleaned if role not in _ROLES]
    if unknown:
        raise BadUserInput(f"Unknown role(s): {', '.join(unknown)}.")
    return cleaned


def reason_field(value: str | None, *, required: bool) -> str:
    return text_field(value, "reason", 500, required=required)
