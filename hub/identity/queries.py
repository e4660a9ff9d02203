"""Reading staff data: the statements, the batch reads the GraphQL layer's per-request
loaders call (a page of members with their memberships and orgs in a fixed number of
statements), and visibility decided on what they load, in Python, with the rules of
:mod:`hub.auth.permissions`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlmodel import col

from hub.auth.permissions import (
    ADMIN,
    can_view_membership,
    can_view_staff,
    require_admin_over,
    require_staff,
)
from hub.auth.viewer import Viewer
from hub.errors import Forbidden
from hub.models import AuditEvent, Membership, Org, Staff
from hub.models.enums import MembershipStatus


@dataclass(frozen=True, slots=True)
class MembershipInOrg:
    membership: Membership
    org_path: str


Rows = Callable[[Any], Awaitable[list[Any]]]
"""Runs a SELECT and returns its rows (the GraphQL context's ``rows``, or a session's)."""


async def staff_by_ids(rows: Rows, keys: Sequence[int]) -> list[Staff | None]:
    found = {row.id: row for row in await rows(select(Staff).where(col(Staff.id).in_(keys)))}
    return [found.get(key) for key in keys]


def _with_path() -> Any:
    return select(Membership, col(Org.path)).join(Org, col(Org.id) == col(Membership.org_id))


async def memberships_of_staff(rows: Rows, keys: Sequence[int]) -> list[list[MembershipInOrg]]:
    """Each staff member's memberships with their org's path, newest first."""
    statement = (
        _with_path()
        .where(col(Membership.staff_id).in_(keys))
        .order_by(col(Membership.starts_on).desc(), col(Membership.id).desc())
    )
    grouped: dict[int, list[MembershipInOrg]] = defaultdict(list)
    for membership, path in await rows(statement):
        grouped[membership.staff_id].append(MembershipInOrg(membership, path))
    return [grouped.get(key, []) for key in keys]


async def memberships_by_ids(rows: Rows, keys: Sequence[int]) -> list[MembershipInOrg | None]:
    found = {
        m.id: MembershipInOrg(m, path)
        for m, path in await rows(_with_path().where(col(Membership.id).in_(keys)))
    }
    return [found.get(key) for key in keys]


def active_paths(memberships: list[MembershipInOrg]) -> list[str]:
    return [m.org_path for m in memberships if m.membership.status == MembershipStatus.ACTIVE]


def staff_visible_to(
    viewer: Viewer, staff_id: int, row: Staff | None, memberships: list[MembershipInOrg]
) -> Staff | None:
    """The staff row when the viewer may see that person, else ``None``."""
    if viewer.is_anonymous or row is None:
        return None
    return row if can_view_staff(viewer, staff_id, active_paths(memberships)) else None


def membership_visible_to(viewer: Viewer, row: MembershipInOrg | None) -> MembershipInOrg | None:
    """The membership when the viewer may see it (the rule ``node`` answers by), else ``None``."""
    if viewer.is_anonymous or row is None:
        return None
    return row if can_view_membership(viewer, row.membership.staff_id, row.org_path) else None


@dataclass(frozen=True, slots=True)
class MemberFilterArgs:
    post_types: tuple[str, ...] = ()
    membership_status: str | None = MembershipStatus.ACTIVE.value
    staff_statuses: tuple[str, ...] = ()
    search: str | None = None
    include_subtree: bool = False


def org_members_statement(viewer: Viewer, org: Org, filters: MemberFilterArgs) -> Select[Any]:
    """An org's members for ``viewer``, who must administer the org or one above it."""
    require_staff(viewer)
    require_admin_over(viewer, org.path, org.name)
    statement: Any = select(Membership).join(Staff, col(Staff.id) == col(Membership.staff_id))
    if filters.include_subtree:
        statement = statement.join(Org, col(Org.id) == col(Membership.org_id)).where(
            col(Org.path).startswith(org.path, autoescape=True)
        )
    else:
        statement = statement.where(col(Membership.org_id) == org.id)
    if filters.post_types:
        statement = statement.where(col(Membership.post_type).in_(filters.post_types))
    if filters.membership_status:
        statement = statement.where(col(Membership.status) == filters.membership_status)
    if filters.staff_statuses:
        statement = statement.where(col(Staff.status).in_(filters.staff_statuses))
    search = (filters.search or "").strip()
    if search:
        compact = "".join(search.lower().split())
        statement = statement.where(
            or_(
                col(Staff.name).contains(search, autoescape=True),
                func.replace(col(Staff.name_pinyin), " ", "").contains(compact, autoescape=True),
                col(Staff.login_no) == search,
            )
        )
    return statement.order_by(col(Staff.name_pinyin), col(Membership.id))


@dataclass(frozen=True, slots=True)
class AuditFilterArgs:
    actions: tuple[str, ...] = ()
    target_type: str | None = None
    target_id: int | None = None
    actor_id: int | None = None


def audit_scope(viewer: Viewer, org: Org | None) -> tuple[str, ...] | None:
    """The subtrees whose audit trail ``viewer`` reads: ``org``'s, which they must administer;
    without one, every subtree they administer (``None``, everything, for the system admin)."""
    require_staff(viewer)
    if org is not None:
        require_admin_over(viewer, org.path, org.name)
        return (org.path,)
    if viewer.is_system_admin:
        return None
    scope = viewer.role_paths(ADMIN)
    if not scope:
        raise Forbidden("Only administrators may read the audit trail.")
    return tuple(scope)


def audit_statement(viewer: Viewer, org: Org | None, filters: AuditFilterArgs) -> Select[Any]:
    """Events ``viewer`` may read (see :func:`audit_scope`), newest first. An event is in
    scope when its org, or for a transfer the org moved to, is under one of the paths."""
    scope_paths = audit_scope(viewer, org)
    statement: Any = select(AuditEvent)
    if scope_paths is not None:
        moved_to = col(AuditEvent.after)["org_path"].as_string()
        statement = statement.where(
            or_(
                *(col(AuditEvent.org_path).startswith(p, autoescape=True) for p in scope_paths),
                *(moved_to.startswith(p, autoescape=True) for p in scope_paths),
            )
        )
    if filters.actions:
        statement = statement.where(col(AuditEvent.action).in_(filters.actions))
    if filters.target_type is not None:
        statement = statement.where(col(AuditEvent.target_type) == filters.target_type)
    if filters.target_id is not None:
        statement = statement.where(col(AuditEvent.target_id) == filters.target_id)
    if filters.actor_id is not None:
        statement = statement.where(col(AuditEvent.actor_id) == filters.actor_id)
    return statement.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
