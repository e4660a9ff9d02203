"""Identity mutations, one file per small group, merged into ``IdentityMutation``."""

from __future__ import annotations

from strawberry.tools import merge_types

from hub.graphql.identity.mutations.applications import ApplicationMutation
from hub.graphql.identity.mutations.auth import AuthMutation
from hub.graphql.identity.mutations.memberships import MembershipMutation
from hub.graphql.identity.mutations.passwords import PasswordMutation
from hub.graphql.identity.mutations.staff import StaffMutation
from hub.graphql.identity.mutations.transfer import TransferMutation

IdentityMutation = merge_types(
    "IdentityMutation",
    (
        AuthMutation,
        PasswordMutation,
        StaffMutation,
        MembershipMutation,
        TransferMutation,
        ApplicationMutation,
    ),
)
