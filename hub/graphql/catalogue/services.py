"""政务服务事项 as GraphQL: everything a citizen needs to know before going."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.types import Info

from hub import models
from hub.graphql.context import Context
from hub.graphql.enums import Audience, ItemType, ServiceStatus, TimeUnit
from hub.graphql.loaders import load_now
from hub.graphql.relay import Node, as_type, as_types, as_types_of, row_type

if TYPE_CHECKING:
    from hub.graphql.catalogue.materials import MaterialRequirement
    from hub.graphql.catalogue.orgs import Org
    from hub.graphql.catalogue.themes import Bundle, LifeEvent, Theme

OrgRef = Annotated["Org", strawberry.lazy("hub.graphql.catalogue.orgs")]
ThemeRef = Annotated["Theme", strawberry.lazy("hub.graphql.catalogue.themes")]
LifeEventRef = Annotated["LifeEvent", strawberry.lazy("hub.graphql.catalogue.themes")]
BundleRef = Annotated["Bundle", strawberry.lazy("hub.graphql.catalogue.themes")]
RequirementRef = Annotated[
    "MaterialRequirement", strawberry.lazy("hub.graphql.catalogue.materials")
]
_requirements = as_types_of(models.MaterialRequirement)  # the loader's rows are plain

ONLINE_DEPTH_LABELS = {
    0: "不支持网办",
    1: "一级（信息公开）",
    2: "二级（在线预审）",
    3: "三级（网上受理）",
    4: "四级（全程网办）",
}


@strawberry.type(description="One step of handling, in order.")
class Step:
    position: int = strawberry.field(description="1 for the first step.")
    title: str = strawberry.field(description="What happens, e.g. 受理.")
    description: str = strawberry.field(description="Details of the step.")


@strawberry.type(description="A time limit: a number of working or calendar days.")
class TimeLimit:
    value: int = strawberry.field(description="Number of days.")
    unit: TimeUnit = strawberry.field(description="Working days or calendar days.")
    text: str = strawberry.field(description="Ready to show, e.g. 20个工作日.")


@strawberry.type(description="A fee charged for a service.")
class Fee:
    name: str = strawberry.field(description="What is charged for.")
    amount: float = strawberry.field(description="Amount in yuan.")
    unit: str = strawberry.field(description="Per what, e.g. 元/本.")
    basis: str = strawberry.field(description="Legal basis of the charge.")


def _limit(value: int, unit: str) -> TimeLimit:
    member = models.enums.TimeUnit._value2member_map_[unit]
    text = f"{value}个{models.enums.TimeUnit.label_of(unit)}"
    return TimeLimit(value=value, unit=member, text=text)  # type: ignore[arg-type]


@row_type(models.ServiceItem)
@strawberry.type(
    description="A 政务服务事项: what it is, who may apply, what to bring, where and how long."
)
class ServiceItem(Node):
    pk: strawberry.Private[int]
    org_pk: strawberry.Private[int]
    raw_steps: strawberry.Private[list[dict[str, Any]]]
    raw_fees: strawberry.Private[list[dict[str, Any]]]
    code: str = strawberry.field(description="Catalogue code (事项编码).")
    name: str = strawberry.field(description="Official name.")
    short_name: str | None = strawberry.field(description="Short name.")
    aliases: list[str] = strawberry.field(description="Other names citizens use.")
    item_type: ItemType = strawberry.field(description="Legal kind of item.")
    item_type_label: str = strawberry.field(description="Legal kind of item in Chinese.")
    audience: Audience = strawberry.field(description="Persons, legal entities or both.")
    audience_label: str = strawberry.field(description="Audience in Chinese.")
    description: str = strawberry.field(description="What the service is.")
    conditions: str = strawberry.field(description="受理条件: who may apply and when.")
    legal_basis: str = strawberry.field(description="设定依据: the laws behind it.")
    legal_time_limit: TimeLimit = strawberry.field(description="法定办结时限.")
    promised_time_limit: TimeLimit = strawberry.field(description="承诺办结时限.")
    address: str = strawberry.field(description="Where to go.")
    hours: str = strawberry.field(description="Opening hours.")
    phone: str = strawberry.field(description="Enquiry phone.")
    online_depth: int = strawberry.field(description="网上办理深度, 0 (none) to 4 (全程网办).")
    online_depth_label: str = strawberry.field(description="网上办理深度 in Chinese.")
    visits: int = strawberry.field(description="跑动次数: visits needed in person, 0 to 3.")
    online_url: str | None = strawberry.field(description="Where to apply online.")
    status: ServiceStatus = strawberry.field(description="Draft, published or retired.")
    updated_at: datetime = strawberry.field(description="Last change to the entry.")

    @classmethod
    def from_model(cls, m: models.ServiceItem) -> ServiceItem:
        return cls(
            pk=m.id or 0,
            org_pk=m.org_id,
            raw_steps=m.steps,
            raw_fees=m.fees,
            code=m.code,
            name=m.name,
            short_name=m.short_name,
            aliases=list(m.aliases),
            item_type=m.item_type,
            item_type_label=ItemType.label_of(m.item_type),
            audience=m.audience,
            audience_label=Audience.label_of(m.audience),
            description=m.description,
            conditions=m.conditions,
            legal_basis=m.legal_basis,
            legal_time_limit=_limit(m.legal_limit, m.legal_limit_unit),
            promised_time_limit=_limit(m.promised_limit, m.promised_limit_unit),
            address=m.address,
            hours=m.hours,
            phone=m.phone,
            online_depth=m.online_depth,
            online_depth_label=ONLINE_DEPTH_LABELS.get(m.online_depth, str(m.online_depth)),
            visits=m.visits,
            online_url=m.online_url,
            status=m.status,
            updated_at=m.updated_at,
        )

    @strawberry.field(description="Handling steps in order.")
    def steps(self) -> list[Step]:
        return [
            Step(position=i, title=s.get("title", ""), description=s.get("description", ""))
            for i, s in enumerate(self.raw_steps, start=1)
        ]

    @strawberry.field(description="Fees; empty when the service is free.")
    def fees(self) -> list[Fee]:
        return [
            Fee(
                name=f.get("name", ""),
                amount=float(f.get("amount", 0)),
                unit=f.get("unit", ""),
                basis=f.get("basis", ""),
            )
            for f in self.raw_fees
        ]

    @strawberry.field(description="True when nothing is charged.")
    def is_free(self) -> bool:
        return not self.raw_fees

    # The relation fields below answer at once when hub.graphql.prefetch has loaded what they need
    # (load_now), and with an awaitable otherwise; graphql-core awaits either.

    @strawberry.field(description="The org that implements the service (实施主体).")
    def org(self, info: Info[Context, None]) -> OrgRef:
        loader = info.context.loaders.org_by_id
        return cast("Org", load_now(loader, self.org_pk, as_type))

    @strawberry.field(description="What to bring, in order, with forms and samples.")
    def materials(self, info: Info[Context, None]) -> list[RequirementRef]:
        loader = info.context.loaders.requirements_by_service
        return cast("list[MaterialRequirement]", load_now(loader, self.pk, _requirements))

    @strawberry.field(description="Themes the item is listed under: national and the city's own.")
    def themes(self, info: Info[Context, None]) -> list[ThemeRef]:
        loader = info.context.loaders.themes_by_service
        return cast("list[Theme]", load_now(loader, self.pk, as_types))

    @strawberry.field(description="Life events the item belongs to.")
    def life_events(self, info: Info[Context, None]) -> list[LifeEventRef]:
        loader = info.context.loaders.life_events_by_service
        return cast("list[LifeEvent]", load_now(loader, self.pk, as_types))

    @strawberry.field(description="Items usually handled with this one.")
    async def related_items(self, info: Info[Context, None]) -> list[ServiceItem]:
        rows = await info.context.loaders.related_by_service.load(self.pk)
        return [ServiceItem.from_model(s) for s in rows]

    @strawberry.field(description="一件事 bundles that include this item.")
    async def bundles(self, info: Info[Context, None]) -> list[BundleRef]:
        return as_types(await info.context.loaders.bundles_by_service.load(self.pk))
