"""Materials are shared records (one 居民身份证 for every service); a requirement says how a
given service needs one, with its blank and sample forms as stored files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.models.base import check_in, utcnow
from hub.models.enums import Exemption, MaterialKind, Medium, Necessity, SourceChannel


class StoredFile(SQLModel, table=True):
    """A downloadable file: kept under the data dir (``location`` relative to ``files/``)
    or held elsewhere (``url``)."""

    __tablename__ = "stored_file"
    __table_args__ = (
        CheckConstraint("(location IS NULL) <> (url IS NULL)", name="ck_stored_file_one_place"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    content_type: str = Field(sa_type=String(100))
    size: int = 0
    sha256: str = Field(default="", sa_type=String(64))
    location: str | None = Field(default=None, sa_type=String(300))
    url: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = Field(default_factory=utcnow)


class Material(SQLModel, table=True):
    __tablename__ = "material"
    __table_args__ = (check_in("kind", MaterialKind, "ck_material_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(200), unique=True)
    kind: MaterialKind = Field(default=MaterialKind.OTHER, sa_type=String(16))
    issuer: str = Field(default="", sa_type=String(200), description="出具单位")
    description: str = Field(default="", sa_type=Text)
    elicense_name: str | None = Field(
        default=None, sa_type=String(200), description="电子证照 that can stand in for it."
    )
    dataset_id: int | None = Field(
        default=None, foreign_key="dataset.id", description="Shared dataset that holds it."
    )


class MaterialRequirement(SQLModel, table=True):
    __tablename__ = "material_requirement"
    __table_args__ = (
        check_in("necessity", Necessity, "ck_requirement_necessity"),
        check_in("medium", Medium, "ck_requirement_medium"),
        check_in("source_channel", SourceChannel, "ck_requirement_source"),
        check_in("exemption", Exemption, "ck_requirement_exemption"),
        CheckConstraint(
            "original_count >= 0 AND copy_count >= 0 AND original_count + copy_count >= 1",
            name="ck_requirement_counts",
        ),
        Index("uq_requirement_service_material", "service_id", "material_id", unique=True),
        Index("ix_requirement_material", "material_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service_item.id", ondelete="CASCADE")
    material_id: int = Field(foreign_key="material.id", ondelete="RESTRICT")
    position: int = 0
    necessity: Necessity = Field(default=Necessity.REQUIRED, sa_type=String(16))
    original_count: int = 1
    copy_count: int = 0
    medium: Medium = Field(default=Medium.PAPER, sa_type=String(16))
    source_channel: SourceChannel = Field(default=SourceChannel.APPLICANT, sa_type=String(16))
    blank_form_id: int | None = Field(default=None, foreign_key="stored_file.id")
    sample_form_id: int | None = Field(default=None, foreign_key="stored_file.id")
    fill_notes: str = Field(default="", sa_type=Text, description="填报须知")
    exemption: Exemption = Field(default=Exemption.NONE, sa_type=String(16))
    note: str = Field(default="", sa_type=Text)
