"""Org types: one record per department, whatever it does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.types import Info

from hub import models
from hub.catalogue.pages import DATASETS_OF_ORG, SERVICES_OF_ORG
from hub.graphql.catalogue.pages import dataset_page, service_page
from hub.graphql.context import Context
from hub.graphql.enums import OrgKind, OrgStatus
from hub.graphql.loaders import load_now
from hub.graphql.relay import Node, as_type, row_type

if TYPE_CHECKING:
    from hub.graphql.sharing.types import SharingFigures

SharingFiguresRef = Annotated["SharingFigures", strawberry.lazy("hub.graphql.sharing.types")]


@row_type(models.Org)
@strawberry.type(
    description="A government org: 管委会, 委办局, 处室/科室, 街道, 社区 or 事业单位. The same "
    "record implements services, provides datasets and employs staff."
)
class Org(Node):
    pk: strawberry.Private[int]
    parent_pk: strawberry.Private[int | None]
    path: strawberry.Private[str]
    code: str = strawberry.field(description="Stable org code.")
    uscc: str | None = strawberry.field(description="统一社会信用代码 (18 characters).")
    name: str = strawberry.field(description="Full name.")
    short_name: str | None = strawberry.field(description="Short name, e.g. 卫健局.")
    kind: OrgKind = strawberry.field(description="Kind of org.")
    kind_label: str = strawberry.field(description="Kind of org in Chinese.")
    region_code: str = strawberry.field(description="Administrative region code.")
    status: OrgStatus = strawberry.field(description="Whether the org still exists.")
    sort_order: int = strawberry.field(description="Position among its siblings.")
    depth: int = strawberry.field(description="0 for the root, 1 for its children, …")

    @classmethod
    def from_model(cls, m: models.Org) -> Org:
        return cls(
            pk=m.id or 0,
            parent_pk=m.parent_id,
            path=m.path,
            code=m.code,
            uscc=m.uscc,
            name=m.name,
            short_name=m.short_name,
            kind=m.kind,
            kind_label=OrgKind.label_of(m.kind),
            region_code=m.region_code,
            status=m.status,
            sort_order=m.sort_order,
            depth=m.depth,
        )

    @classmethod
    def from_row(cls, m: models.Org | None) -> Org:
        """From a row a foreign key guarantees."""
        assert m is not None, "a foreign key to org names an existing org"
        return cls.from_model(m)

    @strawberry.field(description="The org directly above; null for the root.")
    def parent(self, info: Info[Context, None]) -> Org | None:
        if self.parent_pk is None:
            return None
        loader = info.context.loaders.org_by_id
        return cast("Org", load_now(loader, self.parent_pk, Org.from_row))

    @strawberry.field(description="Orgs directly below, in display order.")
    async def children(self, info: Info[Context, None]) -> list[Org]:
        rows = await info.context.loaders.children_by_org.load(self.pk)
        return [Org.from_model(o) for o in rows]

    @strawberry.field(description="Orgs from the root down to the parent.")
    async def ancestors(self, info: Info[Context, None]) -> list[Org]:
        ids = models.orgs.ancestor_ids(self.path)[:-1]
        rows = await info.context.loaders.org_by_id.load_many(ids)
        return [Org.from_model(o) for o in rows if o is not None]

    services = service_page(SERVICES_OF_ORG, "Published service items this org implements itself.")

    datasets = dataset_page(DATASETS_OF_ORG, "Datasets this org provides.")

    @strawberry.field(
        description="How it answers other orgs' requests for its datasets (data portal figures)."
    )
    async def sharing_figures(self, info: Info[Context, None]) -> SharingFiguresRef:
        return as_type(await info.context.loaders.figures_by_provider.load(self.pk))
