"""Filter inputs and orderings of the catalogue lists."""

from __future__ import annotations

import strawberry

from hub.catalogue.datasets import DatasetFilterArgs
from hub.catalogue.services import ServiceFilterArgs, ServiceOrderBy
from hub.graphql.enums import Audience, DatasetCategory, ItemType, OpenType, ShareType, UpdateCycle
from hub.ids import decode_id

ServiceOrder = strawberry.enum(
    ServiceOrderBy, name="ServiceOrder", description="Order of services."
)


@strawberry.input(description="Narrow a list of services; all given conditions must hold.")
class ServiceFilter:
    themes: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Theme ids; an item under any of them matches."
    )
    audience: Audience | None = strawberry.field(
        default=None, description="Items for this audience (items for both always match)."
    )
    org: strawberry.ID | None = strawberry.field(
        default=None, description="Org id: items implemented by this org or anywhere below it."
    )
    item_types: list[ItemType] | None = strawberry.field(
        default=None, description="Any of these item types."
    )
    online_depth_min: int | None = strawberry.field(
        default=None, description="At least this 网上办理深度 (4 = 全程网办)."
    )
    max_visits: int | None = strawberry.field(
        default=None, description="At most this many visits; 0 means no visit needed."
    )
    life_event: strawberry.ID | None = strawberry.field(default=None, description="Life event id.")

    def to_args(self) -> ServiceFilterArgs:
        return ServiceFilterArgs(
            theme_ids=tuple(decode_id(t, "Theme") for t in self.themes or ()),
            audience=self.audience.value if self.audience else None,
            org_id=decode_id(self.org, "Org") if self.org else None,
            item_types=tuple(t.value for t in self.item_types or ()),
            online_depth_min=self.online_depth_min,
            max_visits=self.max_visits,
            life_event_id=decode_id(self.life_event, "LifeEvent") if self.life_event else None,
        )


@strawberry.input(description="Narrow a list of datasets; all given conditions must hold.")
class DatasetFilter:
    categories: list[DatasetCategory] | None = strawberry.field(
        default=None, description="Any of these categories."
    )
    share_types: list[ShareType] | None = strawberry.field(
        default=None, description="Any of these share types."
    )
    open_types: list[OpenType] | None = strawberry.field(
        default=None, description="Any of these open types."
    )
    update_cycles: list[UpdateCycle] | None = strawberry.field(
        default=None, description="Any of these update cycles."
    )
    provider: strawberry.ID | None = strawberry.field(
        default=None, description="Org id: datasets provided by this org or anywhere below it."
    )

    def to_args(self) -> DatasetFilterArgs:
        return DatasetFilterArgs(
            categories=tuple(c.value for c in self.categories or ()),
            share_types=tuple(s.value for s in self.share_types or ()),
            open_types=tuple(o.value for o in self.open_types or ()),
            update_cycles=tuple(u.value for u in self.update_cycles or ()),
            provider_id=decode_id(self.provider, "Org") if self.provider else None,
        )
