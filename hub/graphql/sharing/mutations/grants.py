"""revokeDatasetGrant."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.graphql.sharing.inputs import RevokeDatasetGrantInput
from hub.graphql.sharing.types import DatasetGrant
from hub.ids import decode_id
from hub.sharing import grants


@strawberry.type
class GrantMutation:
    @strawberry.mutation(
        description="End a grant now, as a reviewer or administrator of the provider; it "
        "grants nothing from the next call."
    )
    async def revoke_dataset_grant(
        self,
        info: Info[Context, None],
        input: Annotated[RevokeDatasetGrantInput, strawberry.argument(description="Which.")],
    ) -> DatasetGrant:
        grant = await run_change(
            info.context,
            grants.revoke_grant,
            grant_id=decode_id(input.grant_id, "DatasetGrant"),
            expected_version=input.expected_version,
            reason=input.reason,
        )
        return DatasetGrant.from_model(grant)
