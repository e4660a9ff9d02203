"""Root fields over staff identity: ``me``, ``staff``, ``orgMembers`` and ``auditEvents``."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.auth.permissions import ADMIN, require_admin_over, require_staff
from hub.errors import Forbidden, NotFound
from hub.graphql.context import Context
from hub.graphql.identity.loaders import visible_staff
from hub.graphql.identity.types import AuditEvent, EffectiveRole, Me, Membership, Staff
from hub.graphql.paging import paginate
from hub.graphql.relay import Connection
from hub.identity.queries import (
    AuditFilterArgs,
    MemberFilterArgs,
    audit_statement,
    org_members_statement,
)
from hub.ids import decode_id, from_global_id
from hub.models import Org as OrgModel
from hub.models.enums import MembershipStatus, PostType, StaffStatus
from hub.paging import PageArgs


@strawberry.input(description="Narrow an org's members; all given conditions must hold.")
class MemberFilter:
    post_types: list[PostType] | None = strawberry.field(
        default=None, description="Any of these kinds of post."
    )
    status: MembershipStatus | None = strawberry.field(
        default=MembershipStatus.ACTIVE,
        description="Membership status; active by default, null for any.",
    )
    staff_status: list[StaffStatus] | None = strawberry.field(
        default=None, description="Any of these staff statuses (在职, 停职, 离职)."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Part of the name (张三), of its pinyin with or without spaces "
        "(zhangsan), or the exact login number.",
    )
    include_subtree: bool = strawberry.field(
        default=False, description="Also members of every org below this one."
    )

    def to_args(self) -> MemberFilterArgs:
        return MemberFilterArgs(
            post_types=tuple(p.value for p in self.post_types or ()),
            membership_status=self.status.value if self.status is not None else None,
            staff_statuses=tuple(s.value for s in self.staff_status or ()),
            search=self.search,
            include_subtree=self.include_subtree,
        )


@strawberry.input(description="Narrow the audit trail; all given conditions must hold.")
class AuditEventFilter:
    actions: list[str] | None = strawberry.field(
        default=None, description="Any of these actions, e.g. membership.transfer."
    )
    target: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of a staff member or membership."
    )
    actor: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the staff member who acted."
    )

    def to_args(self) -> AuditFilterArgs:
        target_type = target_id = None
        if self.target:
            type_name, _ = from_global_id(self.target)
            target_id = decode_id(self.target, "Staff", "Membership")
            target_type = "staff" if type_name == "Staff" else "membership"
        return AuditFilterArgs(
            actions=tuple(self.actions or ()),
            target_type=target_type,
            target_id=target_id,
            actor_id=decode_id(self.actor, "Staff") if self.actor else None,
        )


FIRST = Annotated[int | None, strawberry.argument(description="Page size from the start.")]
AFTER = Annotated[str | None, strawberry.argument(description="Cursor to start after.")]
LAST = Annotated[int | None, strawberry.argument(description="Page size from the end.")]
BEFORE = Annotated[str | None, strawberry.argument(description="Cursor to end before.")]


async def _org(ctx: Context, org_id: strawberry.ID) -> OrgModel:
    pk = decode_id(org_id, "Org")
    org = await ctx.loaders.org_by_id.load(pk)
    if org is None:
        raise NotFound(f"No org with id {org_id!r}.")
    return org


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The signed-in staff member; null when not signed in.")
    async def me(self, info: Info[Context, None]) -> Me | None:
        viewer = info.context.viewer
        if viewer.staff_id is None:
            return None
        return Me(
            staff_pk=viewer.staff_id,
            is_system_admin=viewer.is_system_admin,
            effective_roles=[EffectiveRole.from_grant(g) for g in viewer.grants],
        )

    @strawberry.field(
        description="One staff member by global id; NOT_FOUND unless you may see them."
    )
    async def staff(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a Staff.")],
    ) -> Staff:
        pk = decode_id(id, "Staff")
        (found,) = await visible_staff(info.context, [pk])
        if found is None:
            raise NotFound(f"No staff member with id {id!r}.")
        return Staff.from_model(found)

    @strawberry.field(
        description="Memberships in an org (its members), for administrators of the org or "
        "an org above it; FORBIDDEN for anyone else."
    )
    async def org_members(
        self,
        info: Info[Context, None],
        org_id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the org.")],
        filter: Annotated[
            MemberFilter | None,
            strawberry.argument(description="Conditions; active posts by default."),
        ] = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Connection[Membership]:
        ctx = info.context
        require_staff(ctx.viewer)
        org = await _org(ctx, org_id)
        require_admin_over(ctx.viewer, org.path, org.name)
        statement = org_members_statement(org, (filter or MemberFilter()).to_args())
        return await paginate(
            ctx, statement, PageArgs(first, after, last, before), Membership.from_model
        )

    @strawberry.field(
        description="Changes to staff and memberships, newest first, within the subtrees you "
        "administer (or within `orgId`'s subtree, which you must administer)."
    )
    async def audit_events(
        self,
        info: Info[Context, None],
        org_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this org's subtree; you must administer it."),
        ] = None,
        filter: Annotated[
            AuditEventFilter | None, strawberry.argument(description="Conditions on events.")
        ] = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Connection[AuditEvent]:
        ctx = info.context
        viewer = ctx.viewer
        require_staff(viewer)
        scope: tuple[str, ...] | None
        if org_id is not None:
            org = await _org(ctx, org_id)
            require_admin_over(viewer, org.path, org.name)
            scope = (org.path,)
        elif viewer.is_system_admin:
            scope = None
        else:
            scope = viewer.role_paths(ADMIN)
            if not scope:
                raise Forbidden("Only administrators may read the audit trail.")
        statement = audit_statement(scope, (filter or AuditEventFilter()).to_args())
        return await paginate(
            ctx, statement, PageArgs(first, after, last, before), AuditEvent.from_model
        )
