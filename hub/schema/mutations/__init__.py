"""Identity mutations, one file per small group, merged into ``IdentityMutation``."""

from __future__ import annotations

from strawberry.tools import merge_types

from hub.schema.mutations.auth import AuthMutation
from hub.schema.mutations.memberships import MembershipMutation
from hub.schema.mutations.staff import StaffMutation
from hub.schema.mutations.transfer import TransferMutation

IdentityMutation = merge_types(
    "IdentityMutation", (AuthMutation, StaffMutation, MembershipMutation, TransferMutation)
)
