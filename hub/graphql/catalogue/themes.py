"""How the catalogue is organised for citizens: themes, life events and 一件事 bundles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from hub import models
from hub.catalogue.pages import SERVICES_OF_LIFE_EVENT, SERVICES_OF_THEME
from hub.graphql.catalogue.pages import service_page
from hub.graphql.context import Context
from hub.graphql.enums import Audience
from hub.graphql.relay import Node, as_types, referenced, row_type

if TYPE_CHECKING:
    from hub.graphql.catalogue.orgs import Org
    from hub.graphql.catalogue.services import ServiceItem

OrgRef = Annotated["Org", strawberry.lazy("hub.graphql.catalogue.orgs")]
ServiceItemRef = Annotated["ServiceItem", strawberry.lazy("hub.graphql.catalogue.services")]


@row_type(models.Theme)
@strawberry.type(
    description="A theme: a national one such as 生育收养 (persons) or 设立变更 (legal "
    "entities), or one of the city's own (local) themes such as 公积金."
)
class Theme(Node):
    pk: strawberry.Private[int]
    national_pk: strawberry.Private[int | None]
    code: str = strawberry.field(description="Theme code.")
    name: str = strawberry.field(description="Theme name.")
    audience: Audience = strawberry.field(description="Persons or legal entities.")
    local: bool = strawberry.field(
        description="One of the city's own themes (kept as an import named it), not national."
    )

    @classmethod
    def from_model(cls, m: models.Theme) -> Theme:
        return cls(
            pk=m.id or 0,
            national_pk=m.national_id,
            code=m.code,
            name=m.name,
            audience=m.audience,
            local=m.local,
        )

    @strawberry.field(
        description="The national theme a local theme stands for (its items are listed "
        "under both); null for a national theme or an unmapped local one."
    )
    async def national_theme(self, info: Info[Context, None]) -> Theme | None:
        if self.national_pk is None:
            return None
        return await referenced(info.context.loaders.theme_by_id, self.national_pk)

    services = service_page(SERVICES_OF_THEME, "Published services under this theme.")


@row_type(models.LifeEvent)
@strawberry.type(description="A moment in life, such as 出生 or 开办企业, that needs services.")
class LifeEvent(Node):
    pk: strawberry.Private[int]
    code: str = strawberry.field(description="Life event code.")
    name: str = strawberry.field(description="Name, e.g. 出生.")
    audience: Audience = strawberry.field(description="Persons or legal entities.")
    description: str = strawberry.field(description="What it covers.")

    @classmethod
    def from_model(cls, m: models.LifeEvent) -> LifeEvent:
        return cls(
            pk=m.id or 0, code=m.code, name=m.name, audience=m.audience, description=m.description
        )

    @strawberry.field(description="Published 一件事 bundles for this life event.")
    async def bundles(self, info: Info[Context, None]) -> list[Bundle]:
        rows = await info.context.loaders.bundles_by_life_event.load(self.pk)
        return [Bundle.from_model(b) for b in rows]

    services = service_page(SERVICES_OF_LIFE_EVENT, "Published services for this life event.")


@row_type(models.Bundle)
@strawberry.type(description="一件事: several items handled together, led by one org.")
class Bundle(Node):
    pk: strawberry.Private[int]
    lead_org_pk: strawberry.Private[int]
    life_event_pk: strawberry.Private[int | None]
    code: str = strawberry.field(description="Bundle code.")
    name: str = strawberry.field(description="Name, e.g. 新生儿出生一件事.")
    description: str = strawberry.field(description="What the bundle covers.")

    @classmethod
    def from_model(cls, m: models.Bundle) -> Bundle:
        return cls(
            pk=m.id or 0,
            lead_org_pk=m.lead_org_id,
            life_event_pk=m.life_event_id,
            code=m.code,
            name=m.name,
            description=m.description,
        )

    @strawberry.field(description="The org that leads the bundle (牵头部门).")
    async def lead_org(self, info: Info[Context, None]) -> OrgRef:
        return await referenced(info.context.loaders.org_by_id, self.lead_org_pk)

    @strawberry.field(description="The life event it serves.")
    async def life_event(self, info: Info[Context, None]) -> LifeEvent | None:
        if self.life_event_pk is None:
            return None
        row = await info.context.loaders.life_event_by_id.load(self.life_event_pk)
        return LifeEvent.from_model(row) if row else None

    @strawberry.field(description="The items of the bundle, in order.")
    async def items(self, info: Info[Context, None]) -> list[ServiceItemRef]:
        return as_types(await info.context.loaders.items_by_bundle.load(self.pk))
