"""Data sharing mutations, merged into ``SharingMutation``."""

from __future__ import annotations

from strawberry.tools import merge_types

from hub.graphql.sharing.mutations.demand import DemandListMutation
from hub.graphql.sharing.mutations.grants import GrantMutation
from hub.graphql.sharing.mutations.requests import RequestMutation

SharingMutation = merge_types(
    "SharingMutation", (DemandListMutation, RequestMutation, GrantMutation)
)
