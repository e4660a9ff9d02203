"""Materials (shared records) and how a service requires them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.types import Info

from hub import models
from hub.catalogue.pages import SERVICES_NEEDING_MATERIAL
from hub.graphql.catalogue.files import File
from hub.graphql.catalogue.pages import service_page
from hub.graphql.context import Context
from hub.graphql.enums import Exemption, MaterialKind, Medium, Necessity, SourceChannel
from hub.graphql.loaders import load_now
from hub.graphql.relay import Node, as_type, row_type

if TYPE_CHECKING:
    from hub.graphql.catalogue.datasets import Dataset

DatasetRef = Annotated["Dataset", strawberry.lazy("hub.graphql.catalogue.datasets")]


@row_type(models.Material)
@strawberry.type(description="A material such as 居民身份证 or 营业执照, shared by every service.")
class Material(Node):
    pk: strawberry.Private[int]
    dataset_pk: strawberry.Private[int | None]
    code: str = strawberry.field(description="Material code.")
    name: str = strawberry.field(description="Name, e.g. 居民身份证.")
    kind: MaterialKind = strawberry.field(description="Kind of material.")
    issuer: str = strawberry.field(description="出具单位: who issues it.")
    description: str = strawberry.field(description="What it is.")
    elicense_name: str | None = strawberry.field(
        description="电子证照 that stands in for it, when one exists."
    )

    @classmethod
    def from_model(cls, m: models.Material) -> Material:
        return cls(
            pk=m.id or 0,
            dataset_pk=m.dataset_id,
            code=m.code,
            name=m.name,
            kind=m.kind,
            issuer=m.issuer,
            description=m.description,
            elicense_name=m.elicense_name,
        )

    @strawberry.field(description="Shared dataset that holds it, so departments can look it up.")
    async def source_dataset(self, info: Info[Context, None]) -> DatasetRef | None:
        if self.dataset_pk is None:
            return None
        row = await info.context.loaders.dataset_by_id.load(self.dataset_pk)
        return as_type(row) if row else None

    @strawberry.field(description="What can make it unnecessary to hand in (免提交).")
    def exempt_by(self) -> list[str]:
        reasons = []
        if self.elicense_name:
            reasons.append(f"电子证照：{self.elicense_name}")
        if self.dataset_pk is not None:
            reasons.append("部门间数据共享")
        return reasons

    services = service_page(
        SERVICES_NEEDING_MATERIAL, "Published services that need this material."
    )


@row_type(models.MaterialRequirement)
@strawberry.type(description="How one service needs one material.")
class MaterialRequirement:
    material_pk: strawberry.Private[int]
    service_pk: strawberry.Private[int]
    blank_form_pk: strawberry.Private[int | None]
    sample_form_pk: strawberry.Private[int | None]
    position: int = strawberry.field(description="Order in the list of materials.")
    necessity: Necessity = strawberry.field(description="Required, optional or 可容缺后补.")
    necessity_label: str = strawberry.field(description="Necessity in Chinese.")
    original_count: int = strawberry.field(description="Originals to bring.")
    copy_count: int = strawberry.field(description="Copies to bring.")
    medium: Medium = strawberry.field(description="Paper, electronic or both.")
    source_channel: SourceChannel = strawberry.field(description="Where the applicant gets it.")
    source_channel_label: str = strawberry.field(description="Source channel in Chinese.")
    fill_notes: str = strawberry.field(description="填报须知.")
    exemption: Exemption = strawberry.field(
        description="What the catalogue says lets the applicant skip it; `exempt` says "
        "whether that holds today."
    )
    note: str = strawberry.field(description="Anything else to know.")

    @classmethod
    def from_model(cls, m: models.MaterialRequirement) -> MaterialRequirement:
        return cls(
            material_pk=m.material_id,
            service_pk=m.service_id,
            blank_form_pk=m.blank_form_id,
            sample_form_pk=m.sample_form_id,
            position=m.position,
            necessity=m.necessity,
            necessity_label=Necessity.label_of(m.necessity),
            original_count=m.original_count,
            copy_count=m.copy_count,
            medium=m.medium,
            source_channel=m.source_channel,
            source_channel_label=SourceChannel.label_of(m.source_channel),
            fill_notes=m.fill_notes,
            exemption=m.exemption,
            note=m.note,
        )

    async def _backing(self, info: Info[Context, None]) -> tuple[int | None, bool]:
        """The dataset behind the catalogue's 免提交, and whether the implementing org may look
        it up today (it provides the dataset or holds an active grant on it)."""
        if self.exemption == models.enums.Exemption.NONE:
            return None, False
        loader = info.context.loaders.exemption_by_requirement
        return await loader.load((self.service_pk, self.material_pk))

    @strawberry.field(
        description="True when it need not be handed in (免提交): the catalogue says an 电子证照 "
        "or shared data stands in for it, and the implementing org may look that data up "
        "(it provides the dataset or holds an active grant on it)."
    )
    def exempt(self, info: Info[Context, None]) -> bool:
        if self.exemption == models.enums.Exemption.NONE:
            return False
        loader = info.context.loaders.exemption_by_requirement
        key = (self.service_pk, self.material_pk)
        return cast(bool, load_now(loader, key, lambda backing: backing[1]))

    @strawberry.field(
        description="The dataset the implementing org looks up instead of the material, when "
        "it is exempt."
    )
    async def exemption_backed_by(self, info: Info[Context, None]) -> DatasetRef | None:
        dataset, allowed = await self._backing(info)
        return await _dataset(info, dataset) if allowed and dataset else None

    @strawberry.field(
        description="The dataset the implementing org would need an active grant on for the "
        "catalogue's 免提交 to hold; null when it holds or nothing is claimed."
    )
    async def exemption_missing(self, info: Info[Context, None]) -> DatasetRef | None:
        dataset, allowed = await self._backing(info)
        return await _dataset(info, dataset) if dataset and not allowed else None

    @strawberry.field(description="The material.")
    def material(self, info: Info[Context, None]) -> Material:
        loader = info.context.loaders.material_by_id
        return cast(Material, load_now(loader, self.material_pk, _material))

    @strawberry.field(description="Blank form to print and fill in, if there is one.")
    def blank_form(self, info: Info[Context, None]) -> File | None:
        return _file(info, self.blank_form_pk)

    @strawberry.field(description="Filled-in sample form (样表), if there is one.")
    def sample_form(self, info: Info[Context, None]) -> File | None:
        return _file(info, self.sample_form_pk)


async def _dataset(info: Info[Context, None], pk: int) -> DatasetRef | None:
    row = await info.context.loaders.dataset_by_id.load(pk)
    return as_type(row) if row else None


def _material(row: models.Material | None) -> Material:
    assert row is not None, "material_requirement.material_id is a foreign key"
    return Material.from_model(row)


def _file(info: Info[Context, None], pk: int | None) -> File | None:
    """The file now when loaded, else an awaitable of it (see ``hub.graphql.prefetch``)."""
    if pk is None:
        return None
    loader = info.context.loaders.file_by_id
    return cast(File, load_now(loader, pk, lambda row: File.from_model(row) if row else None))
