"""Reading staff data, always through the viewer's scope.

Per-request DataLoaders keep a page of members with their memberships and orgs to a fixed
number of statements; visibility is decided on what they load, in Python, with the rules of
:mod:`hub.auth.permissions`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select
from sqlmodel import col
from strawberry.dataloader import DataLoader

from hub.auth.permissions import can_view_membership, can_view_staff
from hub.models import AuditEvent, Membership, Org, Staff
from hub.models.enums import MembershipStatus

if TYPE_CHECKING:
    from hub.context import Context


@dataclass(frozen=True, slots=True)
class MembershipInOrg:
    membership: Membership
    org_path: str


class IdentityLoaders:
    """Created per request (see :func:`identity_loaders`)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.staff_by_id: DataLoader[int, Staff | None] = DataLoader(load_fn=self._staff)
        self.memberships_by_staff: DataLoader[int, list[MembershipInOrg]] = DataLoader(
            load_fn=self._memberships_of
        )
        self.membership_by_id: DataLoader[int, MembershipInOrg | None] = DataLoader(
            load_fn=self._memberships
        )

    async def _staff(self, keys: Sequence[int]) -> list[Staff | None]:
        rows = await self._ctx.rows(select(Staff).where(col(Staff.id).in_(keys)))
        found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]

    def _with_path(self) -> Any:
        return select(Membership, col(Org.path)).join(Org, col(Org.id) == col(Membership.org_id))

    async def _memberships_of(self, keys: Sequence[int]) -> list[list[MembershipInOrg]]:
        statement = (
            self._with_path()
            .where(col(Membership.staff_id).in_(keys))
            .order_by(col(Membership.starts_on).desc(), col(Membership.id).desc())
        )
        grouped: dict[int, list[MembershipInOrg]] = defaultdict(list)
        for membership, path in await self._ctx.rows(statement):
            grouped[membership.staff_id].append(MembershipInOrg(membership, path))
        return [grouped.get(key, []) for key in keys]

    async def _memberships(self, keys: Sequence[int]) -> list[MembershipInOrg | None]:
        statement = self._with_path().where(col(Membership.id).in_(keys))
        found = {m.id: MembershipInOrg(m, path) for m, path in await self._ctx.rows(statement)}
        return [found.get(key) for key in keys]


def identity_loaders(ctx: Context) -> IdentityLoaders:
    """The request's identity loaders, made on first use; they die with the request."""
    return ctx.identity_loaders


def active_paths(memberships: list[MembershipInOrg]) -> list[str]:
    return [m.org_path for m in memberships if m.membership.status == MembershipStatus.ACTIVE]


async def visible_staff(ctx: Context, staff_ids: Sequence[int]) -> list[Staff | None]:
    """Staff rows the viewer may see, ``None`` in place of the others (and the missing)."""
    viewer = ctx.viewer
    if viewer.is_anonymous:
        return [None] * len(staff_ids)
    loaders = identity_loaders(ctx)
    rows = await loaders.staff_by_id.load_many(list(staff_ids))
    memberships = await loaders.memberships_by_staff.load_many(list(staff_ids))
    return [
        row if row is not None and can_view_staff(viewer, sid, active_paths(ms)) else None
        for sid, row, ms in zip(staff_ids, rows, memberships, strict=True)
    ]


async def visible_memberships_of(ctx: Context, staff_id: int) -> list[MembershipInOrg]:
    """A staff member's memberships that the viewer may see, newest first: by the rule of
    :func:`visible_memberships` (and so of ``node``), one membership at a time. Seeing the
    person (through a post in your part of the tree) does not show their posts elsewhere."""
    viewer = ctx.viewer
    if viewer.is_anonymous:
        return []
    rows = await identity_loaders(ctx).memberships_by_staff.load(staff_id)
    return [r for r in rows if can_view_membership(viewer, r.membership.staff_id, r.org_path)]


async def visible_memberships(
    ctx: Context, membership_ids: Sequence[int]
) -> list[MembershipInOrg | None]:
    viewer = ctx.viewer
    if viewer.is_anonymous:
        return [None] * len(membership_ids)
    rows = await identity_loaders(ctx).membership_by_id.load_many(list(membership_ids))
    return [
        row
        if row is not None and can_view_membership(viewer, row.membership.staff_id, row.org_path)
        else None
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class MemberFilterArgs:
    post_types: tuple[str, ...] = ()
    membership_status: str | None = MembershipStatus.ACTIVE.value
    staff_statuses: tuple[str, ...] = ()
    search: str | None = None
    include_subtree: bool = False


def org_members_statement(org: Org, filters: MemberFilterArgs) -> Select[Any]:
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


def audit_statement(scope_paths: Sequence[str] | None, filters: AuditFilterArgs) -> Select[Any]:
    """Events newest first. ``scope_paths=None`` is everything (the system admin); otherwise
    an event is in scope when its org, or for a transfer the org moved to, is under one of
    the paths."""
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
