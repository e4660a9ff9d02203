"""Shared column helpers: timestamps and CHECK constraints over enums."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint


def utcnow() -> datetime:
    """Aware UTC; SQLModel's datetime columns store it as ``timestamptz`` on PostgreSQL."""
    return datetime.now(UTC)


def check_in(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name)
