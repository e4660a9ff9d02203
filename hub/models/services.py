"""政务服务事项 and what classifies them: themes, life events, relations and 一件事 bundles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.models.base import check_in, utcnow
from hub.models.enums import Audience, ItemType, ServiceStatus, TimeUnit


class Theme(SQLModel, table=True):
    """A theme for persons or for legal entities: a national one (生育收养, 设立变更 …), or a
    city's own (``local``: 教育, 公积金 …, kept as an import named it), which may stand for a
    national theme (``national_id``; its items are then listed under both)."""

    __tablename__ = "theme"
    __table_args__ = (
        check_in("audience", Audience, "ck_theme_audience"),
        Index("uq_theme_audience_name", "audience", "name", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(32), unique=True)
    name: str = Field(sa_type=String(50))
    audience: Audience = Field(sa_type=String(16))
    sort_order: int = 0
    local: bool = False
    national_id: int | None = Field(default=None, foreign_key="theme.id")


class LifeEvent(SQLModel, table=True):
    """A moment in a citizen's or a company's life (出生, 开办企业 …) that needs services."""

    __tablename__ = "life_event"
    __table_args__ = (check_in("audience", Audience, "ck_life_event_audience"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(32), unique=True)
    name: str = Field(sa_type=String(50), unique=True)
    audience: Audience = Field(sa_type=String(16))
    description: str = Field(default="", sa_type=Text)
    sort_order: int = 0


class ServiceItem(SQLModel, table=True):
    __tablename__ = "service_item"
    __table_args__ = (
        check_in("item_type", ItemType, "ck_service_item_type"),
        check_in("audience", Audience, "ck_service_audience"),
        check_in("status", ServiceStatus, "ck_service_status"),
        check_in("legal_limit_unit", TimeUnit, "ck_service_legal_limit_unit"),
        check_in("promised_limit_unit", TimeUnit, "ck_service_promised_limit_unit"),
        CheckConstraint("visits BETWEEN 0 AND 3", name="ck_service_visits"),
        CheckConstraint("online_depth BETWEEN 0 AND 4", name="ck_service_online_depth"),
        CheckConstraint("legal_limit >= 0", name="ck_service_legal_limit"),
        CheckConstraint("promised_limit >= 0", name="ck_service_promised_limit"),
        Index("ix_service_org_status", "org_id", "status"),
        Index("ix_service_status_sort", "status", "sort_order", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(200), index=True)
    short_name: str | None = Field(default=None, sa_type=String(100))
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    item_type: ItemType = Field(sa_type=String(24))
    org_id: int = Field(foreign_key="org.id", ondelete="RESTRICT")
    audience: Audience = Field(sa_type=String(16))
    description: str = Field(default="", sa_type=Text)
    conditions: str = Field(default="", sa_type=Text, description="受理条件")
    legal_basis: str = Field(default="", sa_type=Text, description="设定依据")
    steps: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSON, description="Ordered [{title, description}]."
    )
    legal_limit: int = 20
    legal_limit_unit: TimeUnit = Field(default=TimeUnit.WORKING_DAY, sa_type=String(16))
    promised_limit: int = 10
    promised_limit_unit: TimeUnit = Field(default=TimeUnit.WORKING_DAY, sa_type=String(16))
    fees: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSON, description="[{name, amount, unit, basis}]; [] is free."
    )
    address: str = Field(default="", sa_type=String(300))
    hours: str = Field(default="", sa_type=String(200))
    phone: str = Field(default="", sa_type=String(40))
    online_depth: int = Field(default=1, description="网上办理深度 0 (none) to 4 (全程网办).")
    visits: int = Field(default=1, description="跑动次数 0–3.")
    online_url: str | None = Field(default=None, sa_type=String(300))
    status: ServiceStatus = Field(default=ServiceStatus.DRAFT, sa_type=String(16))
    sort_order: int = 0
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ServiceTheme(SQLModel, table=True):
    __tablename__ = "service_theme"
    __table_args__ = (Index("ix_service_theme_theme", "theme_id", "service_id"),)

    service_id: int = Field(foreign_key="service_item.id", primary_key=True, ondelete="CASCADE")
    theme_id: int = Field(foreign_key="theme.id", primary_key=True, ondelete="RESTRICT")


class ServiceLifeEvent(SQLModel, table=True):
    __tablename__ = "service_life_event"
    __table_args__ = (Index("ix_service_life_event_event", "life_event_id", "service_id"),)

    service_id: int = Field(foreign_key="service_item.id", primary_key=True, ondelete="CASCADE")
    life_event_id: int = Field(foreign_key="life_event.id", primary_key=True, ondelete="RESTRICT")


class ServiceRelation(SQLModel, table=True):
    """A directed "see also" between two items (办理 A 后通常还需办理 B)."""

    __tablename__ = "service_relation"
    __table_args__ = (
        CheckConstraint("service_id <> related_id", name="ck_service_relation_not_self"),
    )

    service_id: int = Field(foreign_key="service_item.id", primary_key=True, ondelete="CASCADE")
    related_id: int = Field(foreign_key="service_item.id", primary_key=True, ondelete="CASCADE")


class Bundle(SQLModel, table=True):
    """一件事: several items handled together for one life event, led by one org."""

    __tablename__ = "bundle"
    __table_args__ = (check_in("status", ServiceStatus, "ck_bundle_status"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(100))
    description: str = Field(default="", sa_type=Text)
    lead_org_id: int = Field(foreign_key="org.id", ondelete="RESTRICT")
    life_event_id: int | None = Field(default=None, foreign_key="life_event.id")
    status: ServiceStatus = Field(default=ServiceStatus.PUBLISHED, sa_type=String(16))
    updated_at: datetime = Field(default_factory=utcnow)


class BundleItem(SQLModel, table=True):
    __tablename__ = "bundle_item"

    bundle_id: int = Field(foreign_key="bundle.id", primary_key=True, ondelete="CASCADE")
    service_id: int = Field(foreign_key="service_item.id", primary_key=True, ondelete="CASCADE")
    position: int = 0
