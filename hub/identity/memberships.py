"""Memberships: adding, editing, transferring (调动) and ending them.

Each function is one change with one audit event. The order of writes is the same in all of
them: first the staff row (``bump_staff``), then memberships. That order is what makes
concurrent changes to one person queue instead of deadlocking on PostgreSQL, and on SQLite it
takes the write lock before any later read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, Literal

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.grants import today
from hub.auth.permissions import (
    can_view_membership,
    require_admin_over,
    require_can_grant,
    require_not_self,
    require_staff,
)
from hub.auth.sessions import revoke_sessions
from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, NotFound
from hub.identity.audit import membership_snapshot, record_event
from hub.identity.common import (
    MembershipRow,
    TargetStaff,
    bump_membership,
    bump_staff,
    count_active,
    load_membership,
    load_org_for_posts,
    reason_field,
    roles_field,
    stale,
    text_field,
    visible_target,
)
from hub.identity.staff import NewMembership, StaffChange, build_membership
from hub.ids import to_global_id
from hub.models import Org, Staff
from hub.models.enums import EndReason, MembershipStatus, PostType, StaffStatus
from hub.sso.posts import end_sessions_outside_posts


class Keep(Enum):
    """Leave a field as it is (distinct from ``None``, which clears a nullable field)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class MembershipEdit:
    position: str | None = None
    rank: str | None = None
    roles: tuple[str, ...] | None = None
    ends_on: date | Literal[Keep.KEEP] | None = KEEP


@dataclass(frozen=True, slots=True)
class Transfer:
    to_org_id: int
    effective_on: date | None = None
    position: str | None = None  # None: the 职务 of the post left
    rank: str | None = None  # None: the 职级 of the post left
    roles: tuple[str, ...] = ()


ENDING_REASONS = (EndReason.RESIGN, EndReason.RETIRE, EndReason.DISMISS, EndReason.EXPIRED)


async def _editable(
    session: AsyncSession, actor: Viewer, membership_id: int, expected_version: int
) -> MembershipRow:
    """A membership the actor may change: visible (else NOT_FOUND), not their own, under
    their administration, at the version the actor read (else CONFLICT: a change the actor
    has not seen, ending it included, came first), still active (else BAD_USER_INPUT)."""
    require_staff(actor)
    row = await load_membership(session, membership_id)
    if row is None or not can_view_membership(actor, row.membership.staff_id, row.org_path):
        raise NotFound(f"No membership with id {to_global_id('Membership', membership_id)!r}.")
    require_not_self(actor, row.membership.staff_id)
    require_admin_over(actor, row.org_path, row.org_name)
    if row.membership.version != expected_version:
        raise stale("membership", expected_version, row.membership.version)
    if row.membership.status != MembershipStatus.ACTIVE:
        raise BadUserInput("This membership has ended; ended memberships cannot be changed.")
    return row


async def add_membership(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    staff_id: int,
    expected_version: int,
    data: NewMembership,
    reason: str = "",
) -> StaffChange:
    """A further post (兼职, 借调, 代理), or a primary one for someone who has none. Adding a
    membership to a departed person re-hires them."""
    require_staff(actor)
    target = await visible_target(session, actor, staff_id)
    require_not_self(actor, staff_id)
    org = await load_org_for_posts(session, data.org_id)
    require_admin_over(actor, org.path, org.name)
    require_can_grant(actor, data.roles, org.path, org.name)
    reason = reason_field(reason, required=False)
    staff = target.staff
    if staff.version != expected_version:
        raise stale("staff member", expected_version, staff.version)
    membership = build_membership(staff_id, data)
    if data.post_type == PostType.PRIMARY and target.primary is not None:
        raise BadUserInput(
            f"{staff.name} already has a primary membership in {target.primary.org_name}; "
            "use transferStaff to move them."
        )
    if any(row.membership.org_id == org.id for row in target.active):
        raise BadUserInput(f"{staff.name} already has an active membership in {org.name}.")
    rehire = staff.status == StaffStatus.DEPARTED
    if rehire:
        await bump_staff(session, staff_id, expected=expected_version, status=StaffStatus.ACTIVE)
    else:
        await bump_staff(session, staff_id, expected=expected_version)
    session.add(membership)
    await session.flush()
    await session.refresh(staff)
    assert membership.id is not None
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="membership.add",
        target_type="membership",
        target_id=membership.id,
        org_id=org.id,
        org_path=org.path,
        before=None,
        after={**membership_snapshot(membership, org.path), "rehired": rehire},
        reason=reason,
    )
    return StaffChange(staff=staff, membership=membership)


async def update_membership(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    membership_id: int,
    expected_version: int,
    edit: MembershipEdit,
    reason: str = "",
) -> StaffChange:
    """Position, rank, roles or end date of an active membership."""
    row = await _editable(session, actor, membership_id, expected_version)
    membership = row.membership
    reason = reason_field(reason, required=False)
    values: dict[str, object] = {}
    if edit.position is not None:
        values["position"] = text_field(edit.position, "position", 50)
    if edit.rank is not None:
        values["rank"] = text_field(edit.rank, "rank", 50)
    if edit.roles is not None:
        roles = roles_field(edit.roles)
        require_can_grant(actor, set(roles) - set(membership.roles), row.org_path, row.org_name)
        values["roles"] = roles
    if edit.ends_on is not KEEP:
        if edit.ends_on is not None:
            if edit.ends_on < membership.starts_on:
                raise BadUserInput("endsOn must not be before the membership's startsOn.")
            if edit.ends_on < today():
                raise BadUserInput(
                    "endsOn must be today or later; to end a membership now, use endMembership."
                )
        values["ends_on"] = edit.ends_on
    changed = {k: v for k, v in values.items() if getattr(membership, k) != v}
    if not changed:
        raise BadUserInput("Nothing to change: give a new position, rank, roles or endsOn.")
    before = membership_snapshot(membership, row.org_path)
    await bump_staff(session, membership.staff_id)
    await bump_membership(session, membership_id, expected=expected_version, **changed)
    await session.refresh(membership)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="membership.update",
        target_type="membership",
        target_id=membership_id,
        org_id=membership.org_id,
        org_path=row.org_path,
        before=before,
        after=membership_snapshot(membership, row.org_path),
        reason=reason,
    )
    staff = await session.get_one(Staff, membership.staff_id)
    return StaffChange(staff=staff, membership=membership)


@dataclass(frozen=True, slots=True)
class Moved:
    """A primary post moved to another org, for the audit event the caller writes."""

    change: StaffChange
    before: dict[str, Any]  # the primary post before it ended
    after: dict[str, Any]  # the new post (its ``org_path`` the org moved to), and the ended one


def primary_to_move(target: TargetStaff) -> MembershipRow:
    """The active primary membership a transfer moves; BAD_USER_INPUT when there is none."""
    if target.primary is None:
        raise BadUserInput(
            f"{target.staff.name} has no active primary membership to transfer from; "
            "use addMembership."
        )
    return target.primary


async def move_primary(
    session: AsyncSession, target: TargetStaff, old: MembershipRow, org: Org, data: Transfer
) -> Moved:
    """调动 itself, whoever may order it: end ``old`` (the person's active primary post) and
    start a primary post in ``org``, in the caller's transaction. The caller has checked the
    actor's authority and that ``target`` is at the version the actor read; the staff row is
    bumped (compare-and-set on that version) before the memberships change."""
    staff = target.staff
    staff_id = target.id
    if staff.status == StaffStatus.DEPARTED:
        raise BadUserInput(f"{staff.name} has left; add a membership to re-hire them.")
    if org.id == old.membership.org_id:
        raise BadUserInput(f"{staff.name} is already in {org.name}; use updateMembership.")
    effective_on = data.effective_on or today()
    if effective_on > today():
        raise BadUserInput(
            "effectiveOn must not be in the future: a transfer takes effect when it is made."
        )
    if effective_on < old.membership.starts_on:
        raise BadUserInput(
            f"effectiveOn must not be before the current membership started "
            f"({old.membership.starts_on.isoformat()})."
        )
    new = build_membership(
        staff_id,
        NewMembership(
            org_id=org.id or 0,
            post_type=PostType.PRIMARY,
            position=data.position if data.position is not None else old.membership.position,
            rank=data.rank if data.rank is not None else old.membership.rank,
            roles=data.roles,
            starts_on=effective_on,
        ),
    )
    ended = old.membership
    before = membership_snapshot(ended, old.org_path)
    await bump_staff(session, staff_id, expected=staff.version)
    await bump_membership(
        session,
        ended.id or 0,
        expected=ended.version,
        status=MembershipStatus.ENDED,
        end_reason=EndReason.TRANSFER,
        ends_on=effective_on,
    )
    session.add(new)
    await session.flush()
    await end_sessions_outside_posts(session, staff_id, "transfer")
    await session.refresh(ended)
    await session.refresh(staff)
    after = {
        **membership_snapshot(new, org.path),
        "ended_membership": membership_snapshot(ended, old.org_path),
    }
    change = StaffChange(staff=staff, membership=new, ended_membership=ended)
    return Moved(change=change, before=before, after=after)


async def transfer_staff(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    staff_id: int,
    expected_version: int,
    data: Transfer,
    reason: str,
) -> StaffChange:
    """调动: end the primary membership and start one in another org, in one transaction.
    The actor needs admin over both orgs (an admin over a common ancestor has both)."""
    require_staff(actor)
    reason = reason_field(reason, required=True)
    target = await visible_target(session, actor, staff_id)
    require_not_self(actor, staff_id)
    old = primary_to_move(target)
    require_admin_over(actor, old.org_path, old.org_name)
    org = await load_org_for_posts(session, data.to_org_id)
    require_admin_over(actor, org.path, org.name)
    require_can_grant(actor, data.roles, org.path, org.name)
    if target.staff.version != expected_version:
        raise stale("staff member", expected_version, target.staff.version)
    moved = await move_primary(session, target, old, org, data)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="membership.transfer",
        target_type="staff",
        target_id=staff_id,
        org_id=old.membership.org_id,
        org_path=old.org_path,
        before=moved.before,
        after=moved.after,
        reason=reason,
    )
    return moved.change


async def end_membership(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    membership_id: int,
    expected_version: int,
    end_reason: EndReason,
    ends_on: date | None,
    reason: str = "",
) -> StaffChange:
    """Resignation, retirement, dismissal or the end of a fixed term. Ending the last
    membership makes the person departed and ends all their sessions at once."""
    if end_reason not in ENDING_REASONS:
        raise BadUserInput("A transfer ends a membership through transferStaff, not here.")
    row = await _editable(session, actor, membership_id, expected_version)
    membership = row.membership
    reason = reason_field(reason, required=True)
    if membership.starts_on > today():
        # a post that has not started yet is called off: it ends the day it would have begun
        ends_on = membership.starts_on
    else:
        ends_on = ends_on or today()
        if ends_on > today():
            raise BadUserInput(
                "endsOn must not be in the future; to end a membership later, set its endsOn "
                "with updateMembership."
            )
        if ends_on < membership.starts_on:
            raise BadUserInput("endsOn must not be before the membership's startsOn.")
    before = membership_snapshot(membership, row.org_path)
    staff_id = membership.staff_id
    await bump_staff(session, staff_id)
    await bump_membership(
        session,
        membership_id,
        expected=expected_version,
        status=MembershipStatus.ENDED,
        end_reason=end_reason,
        ends_on=ends_on,
    )
    revoked = 0
    departed = await count_active(session, staff_id) == 0
    if departed:
        await session.exec(
            update(Staff).where(col(Staff.id) == staff_id).values(status=StaffStatus.DEPARTED)
        )
        revoked = await revoke_sessions(session=session, staff_id=staff_id, reason="departed")
    else:
        await end_sessions_outside_posts(session, staff_id, "post ended")
    await session.refresh(membership)
    staff = await session.get_one(Staff, staff_id)
    await session.refresh(staff)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="membership.end",
        target_type="membership",
        target_id=membership_id,
        org_id=membership.org_id,
        org_path=row.org_path,
        before=before,
        after={
            **membership_snapshot(membership, row.org_path),
            "staff_status": str(staff.status),
            "sessions_revoked": revoked,
        },
        reason=reason,
    )
    return StaffChange(staff=staff, membership=membership, sessions_revoked=revoked)
