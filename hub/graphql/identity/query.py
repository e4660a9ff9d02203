"""Root fields over staff identity: ``me``, ``staff``, ``orgMembers``, ``auditEvents`` and
``transferApplications``."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub import models
from hub.auth.permissions import require_staff
from hub.errors import NotFound
from hub.graphql.context import Context
from hub.graphql.enums import TransferStatus
from hub.graphql.identity.applications import TransferApplication
from hub.graphql.identity.inputs import AuditEventFilter, MemberFilter
from hub.graphql.identity.loaders import visible_staff
from hub.graphql.identity.types import AuditEvent, EffectiveRole, Me, Membership, Staff
from hub.graphql.paging import paginate
from hub.graphql.relay import Connection
from hub.identity.queries import (
    audit_statement,
    org_members_statement,
)
from hub.identity.transfer_applications import applications_statement
from hub.ids import decode_id
from hub.paging import PageArgs

FIRST = Annotated[int | None, strawberry.argument(description="Page size from the start.")]
AFTER = Annotated[str | None, strawberry.argument(description="Cursor to start after.")]
LAST = Annotated[int | None, strawberry.argument(description="Page size from the end.")]
BEFORE = Annotated[str | None, strawberry.argument(description="Cursor to end before.")]


async def _org(ctx: Context, org_id: strawberry.ID) -> models.Org:
    """The org named by ``org_id``, looked up only for staff: nobody else learns it exists."""
    require_staff(ctx.viewer)
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
            must_change_password=viewer.must_change_password,
            effective_roles=[EffectiveRole.from_grant(g) for g in viewer.grants],
        )

    @strawberry.field(
        description="One staff member by global id; null and NOT_FOUND at this path unless "
        "you may see them."
    )
    async def staff(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a Staff.")],
    ) -> Staff | None:
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
        org = await _org(ctx, org_id)
        statement = org_members_statement(ctx.viewer, org, (filter or MemberFilter()).to_args())
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
        org = await _org(ctx, org_id) if org_id is not None else None
        statement = audit_statement(ctx.viewer, org, (filter or AuditEventFilter()).to_args())
        return await paginate(
            ctx, statement, PageArgs(first, after, last, before), AuditEvent.from_model
        )

    @strawberry.field(
        description="Transfer applications, newest first: those to orgs you administer (which "
        "you decide), those from orgs you administer, and your own (as the person or the "
        "applicant); every one for a system admin."
    )
    async def transfer_applications(
        self,
        info: Info[Context, None],
        status: Annotated[
            TransferStatus | None,
            strawberry.argument(description="Only those in this state; any state when null."),
        ] = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Connection[TransferApplication]:
        ctx = info.context
        statement = applications_statement(ctx.viewer, status)
        return await paginate(
            ctx, statement, PageArgs(first, after, last, before), TransferApplication.from_model
        )
