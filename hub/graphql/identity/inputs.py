"""Inputs of the identity root fields: conditions on an org's members and on the audit trail."""

from __future__ import annotations

import strawberry

from hub.identity.queries import AuditFilterArgs, MemberFilterArgs
from hub.ids import decode_id, from_global_id
from hub.models.enums import MembershipStatus, PostType, StaffStatus


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


_TARGET_TYPES = {
    "Staff": "staff",
    "Membership": "membership",
    "TransferApplication": "transfer_application",
}


@strawberry.input(description="Narrow the audit trail; all given conditions must hold.")
class AuditEventFilter:
    actions: list[str] | None = strawberry.field(
        default=None, description="Any of these actions, e.g. membership.transfer."
    )
    target: strawberry.ID | None = strawberry.field(
        default=None,
        description="Global id of a staff member, membership or transfer application.",
    )
    actor: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the staff member who acted."
    )

    def to_args(self) -> AuditFilterArgs:
        target_type = target_id = None
        if self.target:
            type_name, _ = from_global_id(self.target)
            target_id = decode_id(self.target, *_TARGET_TYPES)
            target_type = _TARGET_TYPES[type_name]
        return AuditFilterArgs(
            actions=tuple(self.actions or ()),
            target_type=target_type,
            target_id=target_id,
            actor_id=decode_id(self.actor, "Staff") if self.actor else None,
        )
