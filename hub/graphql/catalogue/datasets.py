"""政务数据资源目录: datasets and their 信息项."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub import models
from hub.graphql.context import Context
from hub.graphql.enums import DatasetCategory, OpenType, ShareType, UpdateCycle
from hub.graphql.relay import Node, referenced, row_type

if TYPE_CHECKING:
    from hub.graphql.catalogue.orgs import Org

OrgRef = Annotated["Org", strawberry.lazy("hub.graphql.catalogue.orgs")]


@strawberry.type(description="信息项: one column of a dataset.")
class DatasetField:
    position: int = strawberry.field(description="Column order, from 1.")
    name: str = strawberry.field(description="Column name.")
    data_type: str = strawberry.field(description="string, integer, decimal, date, datetime …")
    length: int | None = strawberry.field(description="Maximum length, when bounded.")
    description: str = strawberry.field(description="What the column holds.")

    @classmethod
    def from_model(cls, m: models.DatasetField) -> DatasetField:
        return cls(
            position=m.position,
            name=m.name,
            data_type=m.data_type,
            length=m.length,
            description=m.description,
        )


@row_type(models.Dataset)
@strawberry.type(description="A dataset of the government data resource catalogue.")
class Dataset(Node):
    pk: strawberry.Private[int]
    provider_pk: strawberry.Private[int]
    rows: strawberry.Private[list[dict[str, Any]]]
    code: str = strawberry.field(description="Catalogue code.")
    name: str = strawberry.field(description="Name.")
    summary: str = strawberry.field(description="What it holds.")
    category: DatasetCategory = strawberry.field(description="基础库, 主题库 or 部门库.")
    category_label: str = strawberry.field(description="Category in Chinese.")
    share_type: ShareType = strawberry.field(description="Sharing between departments.")
    share_condition: str = strawberry.field(description="Conditions of sharing, if any.")
    open_type: OpenType = strawberry.field(description="Opening to the public.")
    open_condition: str = strawberry.field(description="Conditions of opening, if any.")
    update_cycle: UpdateCycle = strawberry.field(description="How often it is refreshed.")
    formats: list[str] = strawberry.field(description="Available formats, e.g. xlsx, api.")
    published_on: date = strawberry.field(description="First published.")
    updated_on: date = strawberry.field(description="Last refreshed.")
    record_count: int = strawberry.field(description="Number of records.")
    served_by_hub: bool = strawberry.field(
        description="The hub holds the records and serves them to grantees (verify, query); "
        "otherwise a grant records what was agreed and the provider serves the data itself."
    )
    key_field: str | None = strawberry.field(
        description="The field a record is looked up by (公民身份号码, 统一社会信用代码, "
        "证照编号); null when the hub does not serve the dataset."
    )

    @classmethod
    def from_model(cls, m: models.Dataset) -> Dataset:
        return cls(
            pk=m.id or 0,
            provider_pk=m.provider_org_id,
            rows=m.sample_rows,
            code=m.code,
            name=m.name,
            summary=m.summary,
            category=m.category,
            category_label=DatasetCategory.label_of(m.category),
            share_type=m.share_type,
            share_condition=m.share_condition,
            open_type=m.open_type,
            open_condition=m.open_condition,
            update_cycle=m.update_cycle,
            formats=list(m.formats),
            published_on=m.published_on,
            updated_on=m.updated_on,
            record_count=m.record_count,
            served_by_hub=m.served_by_hub,
            key_field=m.key_field,
        )

    @strawberry.field(description="The org that provides it.")
    async def provider(self, info: Info[Context, None]) -> OrgRef:
        return await referenced(info.context.loaders.org_by_id, self.provider_pk)

    @strawberry.field(description="Its 信息项 in order.")
    async def fields(self, info: Info[Context, None]) -> list[DatasetField]:
        rows = await info.context.loaders.fields_by_dataset.load(self.pk)
        return [DatasetField.from_model(f) for f in rows]

    @strawberry.field(
        description="A few sample rows; only for datasets open to the public without conditions."
    )
    def sample_rows(self) -> list[JSON] | None:
        if self.open_type != models.enums.OpenType.UNCONDITIONAL:
            return None
        return [JSON(row) for row in self.rows]
