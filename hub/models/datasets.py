"""政务数据资源目录: datasets and their 信息项 (requests and grants: :mod:`hub.models.sharing`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.models.base import check_in, utcnow
from hub.models.enums import (
    DatasetCategory,
    OpenType,
    ShareType,
    UpdateCycle,
)


class Dataset(SQLModel, table=True):
    __tablename__ = "dataset"
    __table_args__ = (
        check_in("category", DatasetCategory, "ck_dataset_category"),
        check_in("share_type", ShareType, "ck_dataset_share_type"),
        check_in("open_type", OpenType, "ck_dataset_open_type"),
        check_in("update_cycle", UpdateCycle, "ck_dataset_update_cycle"),
        CheckConstraint("record_count >= 0", name="ck_dataset_record_count"),
        Index("ix_dataset_provider", "provider_org_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(200))
    summary: str = Field(default="", sa_type=Text)
    provider_org_id: int = Field(foreign_key="org.id", ondelete="RESTRICT")
    category: DatasetCategory = Field(sa_type=String(16))
    share_type: ShareType = Field(sa_type=String(16))
    share_condition: str = Field(default="", sa_type=Text)
    open_type: OpenType = Field(sa_type=String(16))
    open_condition: str = Field(default="", sa_type=Text)
    update_cycle: UpdateCycle = Field(sa_type=String(16))
    formats: list[str] = Field(default_factory=list, sa_type=JSON)
    published_on: date
    updated_on: date
    record_count: int = 0
    sample_rows: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    #: The hub holds the records and serves them (verify, query); otherwise a grant is only
    #: the record of what was agreed, and the provider serves the data itself.
    served_by_hub: bool = False
    #: The field a record is looked up by (公民身份号码, 统一社会信用代码, 证照编号).
    key_field: str | None = Field(default=None, sa_type=String(100))
    updated_at: datetime = Field(default_factory=utcnow)


class DatasetField(SQLModel, table=True):
    """信息项: one column of a dataset."""

    __tablename__ = "dataset_field"
    __table_args__ = (
        Index("uq_dataset_field_position", "dataset_id", "position", unique=True),
        Index("uq_dataset_field_name", "dataset_id", "name", unique=True),
        CheckConstraint("length IS NULL OR length > 0", name="ck_dataset_field_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", ondelete="CASCADE")
    position: int
    name: str = Field(sa_type=String(100))
    data_type: str = Field(sa_type=String(16))
    length: int | None = None
    description: str = Field(default="", sa_type=Text)
