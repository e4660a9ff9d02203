"""Online transfer applications (在线提出申请): a staff member, or an admin over their primary
org, applies for a move to another org; an admin over the receiving org approves (which
performs the transfer, :func:`hub.identity.memberships.move_primary`, in the same transaction)
or rejects it; the applicant or the staff member may withdraw it while it is pending.

Who sees an application: the staff member, whoever applied, admins over the org the person
applied from or the org applied to (an admin over a common ancestor is over both), and the
system admin. An id names nothing for anyone else (NOT_FOUND).

At most one application per person is pending: checked first for a clear answer, and held by
a partial unique index for the race (answered CONFLICT by :func:`hub.db.unit_of_work`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.permissions import ADMIN, require_admin_over, require_not_self, require_staff
from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, Conflict, Forbidden, NotFound
from hub.identity.audit import record_event
from hub.identity.common import (
    load_org_for_posts,
    load_staff,
    reason_field,
    stale,
    text_field,
    versioned_update,
    visible_target,
)
from hub.identity.memberships import Transfer, move_primary, primary_to_move
from hub.identity.queries import Rows
from hub.ids import to_global_id
from hub.models import Membership, Org, Staff, TransferApplication
from hub.models.base import utcnow
from hub.models.enums import TransferStatus

MAX_NOTE = 500
PENDING_REASON = "PENDING_APPLICATION"

_FROM = aliased(Org, name="from_org")
_TO = aliased(Org, name="to_org")


@dataclass(frozen=True, slots=True)
class NewApplication:
    to_org_id: int
    position: str = ""
    rank: str = ""


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """An application with the orgs every permission check needs."""

    application: TransferApplication
    from_org_id: int
    from_path: str
    to_path: str
    to_name: str


@dataclass(frozen=True, slots=True)
class ApplicationChange:
    """What a change left behind: the application, and for an approval the new post."""

    application: TransferApplication
    membership: Membership | None = None
    staff: Staff | None = None


def pending_exists(staff_name: str, application_id: int) -> Conflict:
    return Conflict(
        f"{staff_name} already has a pending transfer application; it must be decided or "
        "withdrawn before another one is made.",
        reason=PENDING_REASON,
        applicationId=to_global_id("TransferApplication", application_id),
    )


# ------------------------------------------------------------------------------ reading


def _joined(statement: Any) -> Any:
    """``statement`` over applications, joined to the org applied from and the one to."""
    return (
        statement.join(
            Membership, col(Membership.id) == col(TransferApplication.from_membership_id)
        )
        .join(_FROM, col(_FROM.id) == col(Membership.org_id))
        .join(_TO, col(_TO.id) == col(TransferApplication.to_org_id))
    )


def _with_orgs() -> Any:
    return _joined(
        sa_select(TransferApplication, col(_FROM.id), col(_FROM.path), col(_TO.path), col(_TO.name))
    )


def can_view_application(viewer: Viewer, row: ApplicationRow) -> bool:
    if viewer.staff_id is None:
        return False
    application = row.application
    return viewer.staff_id in (application.staff_id, application.applied_by) or (
        viewer.has_role_over_any(ADMIN, (row.from_path, row.to_path))
    )


async def applications_by_ids(
    rows: Rows, viewer: Viewer, keys: Sequence[int]
) -> list[TransferApplication | None]:
    """Applications by id, ``None`` where missing or not visible to ``viewer``."""
    if viewer.staff_id is None or not keys:
        return [None] * len(keys)
    statement = _with_orgs().where(col(TransferApplication.id).in_(list(keys)))
    found = {}
    for found_row in await rows(statement):
        row = ApplicationRow(*found_row)
        if can_view_application(viewer, row):
            found[row.application.id] = row.application
    return [found.get(key) for key in keys]


def may_decide(viewer: Viewer, application: TransferApplication, to_path: str) -> bool:
    """Whether ``viewer`` may approve or reject ``application`` now, as
    :func:`decide_transfer_application` checks it (before the version): it is pending, it does
    not move the viewer, and the viewer administers the org applied to or one above it."""
    return (
        application.status == TransferStatus.PENDING
        and viewer.staff_id not in (None, application.staff_id)
        and viewer.has_role_over(ADMIN, to_path)
    )


def may_withdraw(viewer: Viewer, application: TransferApplication) -> bool:
    """Whether ``viewer`` may withdraw ``application`` now: it is pending and the viewer is the
    person to move or whoever applied (:func:`withdraw_transfer_application`)."""
    return (
        application.status == TransferStatus.PENDING
        and viewer.staff_id is not None
        and viewer.staff_id in (application.staff_id, application.applied_by)
    )


def applications_statement(viewer: Viewer, status: TransferStatus | None) -> Select[Any]:
    """The applications ``viewer`` sees (see the module), newest first."""
    require_staff(viewer)
    statement = _joined(sa_select(TransferApplication))
    if not viewer.is_system_admin:
        paths = viewer.role_paths(ADMIN)
        statement = statement.where(
            or_(
                col(TransferApplication.staff_id) == viewer.staff_id,
                col(TransferApplication.applied_by) == viewer.staff_id,
                *(col(_FROM.path).startswith(p, autoescape=True) for p in paths),
                *(col(_TO.path).startswith(p, autoescape=True) for p in paths),
            )
        )
    if status is not None:
        statement = statement.where(col(TransferApplication.status) == status)
    return statement.order_by(
        col(TransferApplication.created_at).desc(), col(TransferApplication.id).desc()
    )


async def _visible(session: AsyncSession, actor: Viewer, application_id: int) -> ApplicationRow:
    found = (
        await session.exec(_with_orgs().where(col(TransferApplication.id) == application_id))
    ).first()
    row = ApplicationRow(*found) if found is not None else None
    if row is None or not can_view_application(actor, row):
        global_id = to_global_id("TransferApplication", application_id)
        raise NotFound(f"No transfer application with id {global_id!r}.")
    return row


def snapshot(row: ApplicationRow) -> dict[str, Any]:
    """The application for the audit trail; ``org_path`` is the org applied to, so that its
    admins find the events in their trail as they find a transfer into their org."""
    a = row.application
    return {
        "id": a.id,
        "staff_id": a.staff_id,
        "from_membership_id": a.from_membership_id,
        "from_org_id": row.from_org_id,
        "from_org_path": row.from_path,
        "to_org_id": a.to_org_id,
        "org_path": row.to_path,
        "position": a.position,
        "rank": a.rank,
        "applied_by": a.applied_by,
        "status": str(a.status),
        "decided_by": a.decided_by,
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "decision_note": a.decision_note,
        "version": a.version,
    }


def _pending(row: ApplicationRow, expected_version: int) -> None:
    application = row.application
    if application.version != expected_version:
        raise stale("transfer application", expected_version, application.version)
    if application.status != TransferStatus.PENDING:
        label = TransferStatus.label_of(application.status)
        raise BadUserInput(f"The application is already {label} ({application.status}).")


async def _close(
    session: AsyncSession,
    actor: Viewer,
    row: ApplicationRow,
    expected_version: int,
    status: TransferStatus,
    note: str = "",
) -> dict[str, Any]:
    """Compare-and-set a pending application to ``status``; the snapshot before."""
    before = snapshot(row)
    now = utcnow()
    await versioned_update(
        session,
        TransferApplication,
        row.application.id or 0,
        expected=expected_version,
        what="transfer application",
        still=col(TransferApplication.status) == TransferStatus.PENDING,  # or closed meanwhile
        status=status,
        decided_by=actor.staff_id,
        decided_at=now,
        decision_note=note,
        updated_at=now,
    )
    await session.refresh(row.application)
    return before


# ------------------------------------------------------------------------------ changes


async def apply_for_transfer(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    staff_id: int,
    data: NewApplication,
    reason: str,
) -> ApplicationChange:
    """Apply for a move of ``staff_id``'s primary post to another org, as that person or as
    an admin over their primary org. Audited as transfer_application.apply."""
    require_staff(actor)
    reason = reason_field(reason, required=True)
    target = await visible_target(session, actor, staff_id)
    old = primary_to_move(target)
    if actor.staff_id != staff_id:
        require_admin_over(actor, old.org_path, old.org_name)
    org = await load_org_for_posts(session, data.to_org_id)
    name = target.staff.name
    if org.id == old.membership.org_id:
        raise BadUserInput(f"{name} is already in {org.name}; apply for another org.")
    position = text_field(data.position, "position", 50)
    rank = text_field(data.rank, "rank", 50)
    pending = (
        await session.exec(
            select(TransferApplication.id).where(
                col(TransferApplication.staff_id) == staff_id,
                col(TransferApplication.status) == TransferStatus.PENDING,
            )
        )
    ).first()
    if pending is not None:
        raise pending_exists(name, pending)
    application = TransferApplication(
        staff_id=staff_id,
        from_membership_id=old.membership.id or 0,
        to_org_id=org.id or 0,
        position=position,
        rank=rank,
        reason=reason,
        applied_by=actor.staff_id or 0,
    )
    session.add(application)
    await session.flush()  # a concurrent pending one meets the unique index here
    row = ApplicationRow(application, old.membership.org_id, old.org_path, org.path, org.name)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="transfer_application.apply",
        target_type="transfer_application",
        target_id=application.id or 0,
        org_id=old.membership.org_id,
        org_path=old.org_path,
        before=None,
        after=snapshot(row),
        reason=reason,
    )
    return ApplicationChange(application=application)


async def decide_transfer_application(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    application_id: int,
    expected_version: int,
    approve: bool,
    note: str = "",
) -> ApplicationChange:
    """Approve (the transfer is made, in this transaction) or reject (with a reason) a
    pending application, as an admin over the org applied to. Audited as
    transfer_application.approve or .reject."""
    require_staff(actor)
    row = await _visible(session, actor, application_id)
    application = row.application
    require_not_self(actor, application.staff_id)
    require_admin_over(actor, row.to_path, row.to_name)
    note = text_field(note, "note", MAX_NOTE)
    _pending(row, expected_version)
    if not approve and not note:
        raise BadUserInput("A rejection gives its reason in `note`.")
    status = TransferStatus.APPROVED if approve else TransferStatus.REJECTED
    before = await _close(session, actor, row, expected_version, status, note)
    after = snapshot(row)
    change = ApplicationChange(application=application)
    if approve:
        target = await load_staff(session, application.staff_id)
        assert target is not None, "an application names an existing staff member"
        old = primary_to_move(target)
        if old.membership.id != application.from_membership_id:
            raise BadUserInput(
                f"{target.staff.name}'s primary post changed after the application was made; "
                "reject it and apply again."
            )
        org = await load_org_for_posts(session, application.to_org_id)
        # an application that named no 职务 or 职级 keeps the current ones
        data = Transfer(
            to_org_id=org.id or 0,
            position=application.position or None,
            rank=application.rank or None,
        )
        moved = await move_primary(session, target, old, org, data)
        after["transfer"] = moved.after
        change = ApplicationChange(application, moved.change.membership, moved.change.staff)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action=f"transfer_application.{'approve' if approve else 'reject'}",
        target_type="transfer_application",
        target_id=application_id,
        org_id=row.from_org_id,
        org_path=row.from_path,
        before=before,
        after=after,
        reason=note,
    )
    return change


async def withdraw_transfer_application(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    application_id: int,
    expected_version: int,
) -> ApplicationChange:
    """Withdraw a pending application, as whoever applied or the staff member. Audited as
    transfer_application.withdraw."""
    require_staff(actor)
    row = await _visible(session, actor, application_id)
    application = row.application
    if actor.staff_id not in (application.staff_id, application.applied_by):
        raise Forbidden("Only whoever applied, or the staff member, may withdraw an application.")
    _pending(row, expected_version)
    before = await _close(session, actor, row, expected_version, TransferStatus.WITHDRAWN)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="transfer_application.withdraw",
        target_type="transfer_application",
        target_id=application_id,
        org_id=row.from_org_id,
        org_path=row.from_path,
        before=before,
        after=snapshot(row),
    )
    return ApplicationChange(application=application)
