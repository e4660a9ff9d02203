"""Staff identity types: staff members, their memberships, effective roles, the audit trail
and sign-in tokens. ``cert_no`` (证件号码) and password hashes have no field here, ever."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeVar, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub import models
from hub.auth.viewer import OrgGrant
from hub.graphql.catalogue.orgs import Org
from hub.graphql.context import Context
from hub.graphql.enums import EndReason, Gender, PostType, Role, StaffStatus
from hub.graphql.identity.audit_terms import in_api_terms, org_pks
from hub.graphql.identity.loaders import (
    identity_loaders,
    visible_memberships,
    visible_memberships_of,
    visible_staff,
)
from hub.graphql.relay import Node, node_type
from hub.identity.queries import MembershipInOrg
from hub.ids import to_global_id
from hub.models.enums import MembershipStatus

strawberry.enum(MembershipStatus, description="Whether a membership is in force.")

E = TypeVar("E", bound=Enum)


def member(enum: type[E], value: str) -> E:
    """The enum member of a value read from the database."""
    return cast(E, enum._value2member_map_[value])


@strawberry.type(
    description="A member of government staff. Visible to themself, to administrators of an "
    "org where they hold an active membership, and to system administrators."
)
class Staff(Node):
    pk: strawberry.Private[int]
    login_no: str = strawberry.field(description="工号, the sign-in name.")
    name: str = strawberry.field(description="Full name.")
    name_pinyin: str = strawberry.field(description="Name in toneless pinyin.")
    gender: Gender = strawberry.field(description="Gender.")
    mobile: str | None = strawberry.field(description="Mobile number.")
    email: str | None = strawberry.field(description="Work email.")
    status: StaffStatus = strawberry.field(description="在职, 停职 or 离职.")
    status_label: str = strawberry.field(description="Status in Chinese.")
    is_system_admin: bool = strawberry.field(description="Holds the system administrator flag.")
    version: int = strawberry.field(
        description="Changes with every change to this person's status or memberships; pass "
        "it as `expectedVersion` to mutations guarded by the staff member's version."
    )
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")

    @classmethod
    def from_model(cls, s: models.Staff) -> Staff:
        return cls(
            pk=s.id or 0,
            login_no=s.login_no,
            name=s.name,
            name_pinyin=s.name_pinyin,
            gender=member(models.enums.Gender, s.gender),
            mobile=s.mobile,
            email=s.email,
            status=member(models.enums.StaffStatus, s.status),
            status_label=models.enums.StaffStatus.label_of(s.status),
            is_system_admin=s.is_system_admin,
            version=s.version,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )

    @strawberry.field(
        description="Memberships, newest first; active ones only by default. Only those you "
        "may see: your own, and those in orgs you administer (as `node` answers them)."
    )
    async def memberships(
        self,
        info: Info[Context, None],
        include_ended: Annotated[
            bool, strawberry.argument(description="Also list ended memberships.")
        ] = False,
    ) -> list[Membership]:
        rows = await visible_memberships_of(info.context, self.pk)
        return [
            Membership.from_row(r)
            for r in rows
            if include_ended or r.membership.status == models.enums.MembershipStatus.ACTIVE
        ]

    @strawberry.field(
        description="The active primary (主职) membership; null when there is none or you may "
        "not see it (it is in an org you do not administer)."
    )
    async def primary_membership(self, info: Info[Context, None]) -> Membership | None:
        rows = await visible_memberships_of(info.context, self.pk)
        for r in rows:
            if (
                r.membership.status == models.enums.MembershipStatus.ACTIVE
                and r.membership.post_type == models.enums.PostType.PRIMARY
            ):
                return Membership.from_row(r)
        return None


@strawberry.type(
    description="A post a staff member holds (or held) in an org: 主职, 兼职, 借调 or 代理, "
    "with the roles it grants over the org and its whole subtree while active."
)
class Membership(Node):
    pk: strawberry.Private[int]
    staff_pk: strawberry.Private[int]
    org_pk: strawberry.Private[int]
    position: str = strawberry.field(description="职务, e.g. 科员, 副局长.")
    rank: str = strawberry.field(description="职级, e.g. 一级科员.")
    post_type: PostType = strawberry.field(description="Kind of post.")
    post_type_label: str = strawberry.field(description="Kind of post in Chinese.")
    roles: list[Role] = strawberry.field(description="Roles granted while active.")
    starts_on: date = strawberry.field(description="First day of the post.")
    ends_on: date | None = strawberry.field(description="Last day, when known.")
    status: MembershipStatus = strawberry.field(description="Active or ended.")
    end_reason: EndReason | None = strawberry.field(description="Why it ended, once ended.")
    version: int = strawberry.field(
        description="Changes with every change to this membership; pass it as "
        "`expectedVersion` to updateMembership and endMembership."
    )

    @classmethod
    def from_model(cls, ms: models.Membership) -> Membership:
        return cls(
            pk=ms.id or 0,
            staff_pk=ms.staff_id,
            org_pk=ms.org_id,
            position=ms.position,
            rank=ms.rank,
            post_type=member(models.enums.PostType, ms.post_type),
            post_type_label=models.enums.PostType.label_of(ms.post_type),
            roles=[
                member(models.enums.Role, r)
                for r in ms.roles
                if r in models.enums.Role._value2member_map_
            ],
            starts_on=ms.starts_on,
            ends_on=ms.ends_on,
            status=member(models.enums.MembershipStatus, ms.status),
            end_reason=member(models.enums.EndReason, ms.end_reason) if ms.end_reason else None,
            version=ms.version,
        )

    @classmethod
    def from_row(cls, row: MembershipInOrg) -> Membership:
        return cls.from_model(row.membership)

    @strawberry.field(
        description="The staff member; null when you may not see them (someone who has left "
        "your part of the org tree)."
    )
    async def staff(self, info: Info[Context, None]) -> Staff | None:
        (found,) = await visible_staff(info.context, [self.staff_pk])
        return Staff.from_model(found) if found is not None else None

    @strawberry.field(description="The org of the post.")
    async def org(self, info: Info[Context, None]) -> Org:
        org = await info.context.loaders.org_by_id.load(self.org_pk)
        assert org is not None
        return Org.from_model(org)


@strawberry.type(
    description="Roles the viewer holds over an org (and everything below it) through one "
    "active membership."
)
class EffectiveRole:
    org_pk: strawberry.Private[int]
    membership_pk: strawberry.Private[int]
    post_type: PostType = strawberry.field(description="Kind of post granting the roles.")
    roles: list[Role] = strawberry.field(description="Roles held; may be empty (plain staff).")

    @classmethod
    def from_grant(cls, g: OrgGrant) -> EffectiveRole:
        return cls(
            org_pk=g.org_id,
            membership_pk=g.membership_id,
            post_type=member(models.enums.PostType, g.post_type),
            roles=[
                member(models.enums.Role, r)
                for r in sorted(g.roles)
                if r in models.enums.Role._value2member_map_
            ],
        )

    @strawberry.field(description="The org; the roles apply to its whole subtree.")
    async def org(self, info: Info[Context, None]) -> Org:
        org = await info.context.loaders.org_by_id.load(self.org_pk)
        assert org is not None
        return Org.from_model(org)

    @strawberry.field(description="Global id of the membership granting the roles.")
    def membership_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Membership", self.membership_pk))


@strawberry.type(description="The signed-in staff member and what they may do right now.")
class Me:
    staff_pk: strawberry.Private[int]
    is_system_admin: bool = strawberry.field(description="Holds the system administrator flag.")
    must_change_password: bool = strawberry.field(
        description="Your password was reset by an administrator: until you choose your own "
        "with changePassword, everything but changePassword, logout and `me` is refused with "
        "PASSWORD_CHANGE_REQUIRED."
    )
    effective_roles: list[EffectiveRole] = strawberry.field(
        description="One entry per active membership, as checked on this very request."
    )

    @strawberry.field(description="Your staff record.")
    async def staff(self, info: Info[Context, None]) -> Staff:
        row = await identity_loaders(info.context).staff_by_id.load(self.staff_pk)
        assert row is not None
        return Staff.from_model(row)


@strawberry.type(description="One change to staff or memberships, as recorded (append-only).")
class AuditEvent:
    pk: strawberry.Private[int]
    actor_pk: strawberry.Private[int | None]
    org_pk: strawberry.Private[int | None]
    target_pk: strawberry.Private[int]
    action: str = strawberry.field(description="What was done, e.g. membership.transfer.")
    target_type: str = strawberry.field(
        description="What changed: staff, membership, transfer_application, …"
    )
    raw_before: strawberry.Private[Any]
    raw_after: strawberry.Private[Any]
    reason: str = strawberry.field(description="Reason the actor gave.")
    at: datetime = strawberry.field(description="When it happened.")
    request_id: str = strawberry.field(description="Id of the request that made the change.")

    @classmethod
    def from_model(cls, e: models.AuditEvent) -> AuditEvent:
        return cls(
            pk=e.id or 0,
            actor_pk=e.actor_id,
            org_pk=e.org_id,
            target_pk=e.target_id,
            action=e.action,
            target_type=e.target_type,
            raw_before=e.before,
            raw_after=e.after,
            reason=e.reason,
            at=e.at,
            request_id=e.request_id,
        )

    @strawberry.field(description="Id of the event.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("AuditEvent", self.pk))

    @strawberry.field(
        description="Global id of what changed: a Staff, Membership, TransferApplication, …"
    )
    def target_id(self) -> strawberry.ID:
        type_name = "".join(part.title() for part in self.target_type.split("_"))
        return strawberry.ID(to_global_id(type_name, self.target_pk))

    @strawberry.field(
        description="Name of who made the change, as it is now; null when you may not see "
        "them (as `actor`)."
    )
    async def actor_name(self, info: Info[Context, None]) -> str | None:
        if self.actor_pk is None:
            return None
        (found,) = await visible_staff(info.context, [self.actor_pk])
        return found.name if found is not None else None

    @strawberry.field(description="Who made the change; null when you may not see them.")
    async def actor(self, info: Info[Context, None]) -> Staff | None:
        if self.actor_pk is None:
            return None
        (found,) = await visible_staff(info.context, [self.actor_pk])
        return Staff.from_model(found) if found is not None else None

    async def _org_codes(self, info: Info[Context, None]) -> dict[int, str]:
        pks = org_pks(self.raw_before, self.raw_after)
        orgs = await info.context.loaders.org_by_id.load_many(pks)
        return {o.id: o.code for o in orgs if o is not None and o.id is not None}

    @strawberry.field(
        description="The target before the change, in the API's terms: camelCase keys, global "
        "ids (`orgId`, `staffId`, …) with an org's code beside its id (`orgCode`)."
    )
    async def before(self, info: Info[Context, None]) -> JSON | None:
        codes = await self._org_codes(info)
        return cast(JSON, in_api_terms(self.raw_before, self.action, codes))

    @strawberry.field(description="The target after the change, in the same terms as `before`.")
    async def after(self, info: Info[Context, None]) -> JSON | None:
        codes = await self._org_codes(info)
        return cast(JSON, in_api_terms(self.raw_after, self.action, codes))

    @strawberry.field(
        description="Every org the event concerns: its org first, then those its before and "
        "after name (a transfer: the org left and the org joined)."
    )
    async def orgs(self, info: Info[Context, None]) -> list[Org]:
        pks = org_pks(self.raw_before, self.raw_after)
        if self.org_pk is not None:
            pks = [self.org_pk, *(pk for pk in pks if pk != self.org_pk)]
        found = await info.context.loaders.org_by_id.load_many(pks)
        return [Org.from_model(o) for o in found if o is not None]

    @strawberry.field(description="The org concerned (for a transfer, the org left).")
    async def org(self, info: Info[Context, None]) -> Org | None:
        if self.org_pk is None:
            return None
        org = await info.context.loaders.org_by_id.load(self.org_pk)
        return Org.from_model(org) if org is not None else None


@node_type("Staff")
async def _fetch_staff(ctx: Context, pks: Any) -> list[Staff | None]:
    rows = await visible_staff(ctx, list(pks))
    return [Staff.from_model(r) if r is not None else None for r in rows]


@node_type("Membership")
async def _fetch_memberships(ctx: Context, pks: Any) -> list[Membership | None]:
    rows = await visible_memberships(ctx, list(pks))
    return [Membership.from_row(r) if r is not None else None for r in rows]
