"""Creating staff members, suspending and reinstating them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.grants import today
from hub.auth.permissions import (
    require_admin_over,
    require_can_grant,
    require_not_self,
    require_staff,
)
from hub.auth.sessions import revoke_sessions
from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, Forbidden
from hub.identity.audit import membership_snapshot, record_event, staff_snapshot
from hub.identity.common import (
    TargetStaff,
    bump_staff,
    dates_field,
    email_field,
    free_login_no,
    load_org_for_posts,
    mobile_field,
    reason_field,
    roles_field,
    stale,
    text_field,
    visible_target,
)
from hub.models import Membership, Staff
from hub.models.enums import Gender, PostType, StaffStatus


@dataclass(frozen=True, slots=True)
class NewMembership:
    org_id: int
    post_type: PostType = PostType.PRIMARY
    position: str = ""
    rank: str = ""
    roles: tuple[str, ...] = ()
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True, slots=True)
class NewStaff:
    login_no: str
    name: str
    gender: Gender
    membership: NewMembership
    name_pinyin: str | None = None
    mobile: str | None = None
    email: str | None = None
    cert_no: str | None = None
    password_hash: str | None = None


@dataclass
class StaffChange:
    """What a change left behind, for the mutation's payload."""

    staff: Staff
    membership: Membership | None = None
    ended_membership: Membership | None = None
    sessions_revoked: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def pinyin_of(name: str) -> str:
    """Toneless pinyin run together, as the seed writes it (张三 → "zhangsan")."""
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(name, style=Style.NORMAL, errors="ignore")).lower()


def build_membership(staff_id: int, data: NewMembership) -> Membership:
    starts_on = data.starts_on or today()
    dates_field(starts_on, data.ends_on)
    return Membership(
        staff_id=staff_id,
        org_id=data.org_id,
        position=text_field(data.position, "position", 50),
        rank=text_field(data.rank, "rank", 50),
        post_type=data.post_type,
        roles=roles_field(data.roles),
        starts_on=starts_on,
        ends_on=data.ends_on,
    )


async def create_staff(
    *, session: AsyncSession, actor: Viewer, request_id: str, data: NewStaff, reason: str = ""
) -> StaffChange:
    """A new staff member and their first membership; the actor must administer its org."""
    require_staff(actor)
    org = await load_org_for_posts(session, data.membership.org_id)
    require_admin_over(actor, org.path, org.name)
    require_can_grant(actor, data.membership.roles, org.path, org.name)
    login_no = await free_login_no(session, data.login_no)
    name = text_field(data.name, "name", 50, required=True)
    name_pinyin = text_field(data.name_pinyin, "namePinyin", 120) or pinyin_of(name)
    cert_no = text_field(data.cert_no, "certNo", 32) or None
    staff = Staff(
        login_no=login_no,
        name=name,
        name_pinyin=name_pinyin,
        gender=data.gender,
        mobile=mobile_field(data.mobile),
        email=email_field(data.email),
        cert_no=cert_no,
        password_hash=data.password_hash,
    )
    session.add(staff)
    await session.flush()
    assert staff.id is not None
    membership = build_membership(staff.id, data.membership)
    session.add(membership)
    await session.flush()
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="staff.create",
        target_type="staff",
        target_id=staff.id,
        org_id=org.id,
        org_path=org.path,
        before=None,
        after={
            "staff": staff_snapshot(staff),
            "membership": membership_snapshot(membership, org.path),
        },
        reason=reason_field(reason, required=False),
    )
    return StaffChange(staff=staff, membership=membership)


def require_primary_authority(actor: Viewer, target: TargetStaff) -> tuple[int | None, str]:
    """Suspension, reinstatement and a password reset belong to the admins of the person's
    primary org (and to the system admin, also for someone without one). Returns the org's
    id and path, which the audit event is filed under."""
    primary = target.primary
    if primary is None:
        if actor.is_system_admin:
            return None, ""
        raise Forbidden(
            f"{target.staff.name} has no active primary membership; only a system admin may "
            "change their status or reset their password."
        )
    require_admin_over(actor, primary.org_path, primary.org_name)
    return primary.membership.org_id, primary.org_path


async def _set_status(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    staff_id: int,
    expected_version: int,
    reason: str,
    from_status: StaffStatus,
    to_status: StaffStatus,
    action: str,
) -> StaffChange:
    require_staff(actor)
    reason = reason_field(reason, required=True)
    target = await visible_target(session, actor, staff_id)
    require_not_self(actor, staff_id)
    org_id, org_path = require_primary_authority(actor, target)
    staff = target.staff
    if staff.version != expected_version:
        raise stale("staff member", expected_version, staff.version)
    if staff.status != from_status:
        raise BadUserInput(
            f"{staff.name} is {StaffStatus.label_of(staff.status)} ({staff.status}), "
            f"not {from_status.label} ({from_status.value})."
        )
    before = staff_snapshot(staff)
    await bump_staff(session, staff_id, expected=expected_version, status=to_status)
    revoked = 0
    if to_status != StaffStatus.ACTIVE:
        revoked = await revoke_sessions(session=session, staff_id=staff_id, reason=to_status.value)
    await session.refresh(staff)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action=action,
        target_type="staff",
        target_id=staff_id,
        org_id=org_id,
        org_path=org_path,
        before=before,
        after={**staff_snapshot(staff), "sessions_revoked": revoked},
        reason=reason,
    )
    return StaffChange(staff=staff, sessions_revoked=revoked)


async def suspend_staff(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    staff_id: int,
    expected_version: int,
    reason: str,
) -> StaffChange:
    """停职: the person keeps their memberships but loses every session and every right
    from the next request on."""
    return await _set_status(
        session=session,
        actor=actor,
        request_id=request_id,
        staff_id=staff_id,
        expected_version=expected_version,
        reason=reason,
        from_status=StaffStatus.ACTIVE,
        to_status=StaffStatus.SUSPENDED,
        action="staff.suspend",
    )


async def reinstate_staff(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    staff_id: int,
    expected_version: int,
    reason: str,
) -> StaffChange:
    """复职: a suspended person may sign in again (their old sessions stay revoked)."""
    return await _set_status(
        session=session,
        actor=actor,
        request_id=request_id,
        staff_id=staff_id,
        expected_version=expected_version,
        reason=reason,
        from_status=StaffStatus.SUSPENDED,
        to_status=StaffStatus.ACTIVE,
        action="staff.reinstate",
    )
