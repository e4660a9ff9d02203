"""addToDemandList, removeFromDemandList."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.graphql.sharing.types import DemandListEntry
from hub.ids import decode_id
from hub.sharing import demand


@strawberry.type
class DemandListMutation:
    @strawberry.mutation(
        description="Put a dataset on your org's demand list with the fields it needs, or "
        "change the fields of its entry there."
    )
    async def add_to_demand_list(
        self, info: Info[Context, None], dataset_id: strawberry.ID, field_names: list[str]
    ) -> DemandListEntry:
        entry = await run_change(
            info.context,
            demand.add_to_demand_list,
            dataset_id=decode_id(dataset_id, "Dataset"),
            names=list(field_names),
        )
        return DemandListEntry.from_model(entry)

    @strawberry.mutation(description="Take a dataset off your org's demand list.")
    async def remove_from_demand_list(
        self, info: Info[Context, None], dataset_id: strawberry.ID
    ) -> bool:
        await run_change(
            info.context,
            demand.remove_from_demand_list,
            dataset_id=decode_id(dataset_id, "Dataset"),
        )
        return True
