"""``hub import services``: service items from JSON Lines, upserted by code.

Every line is checked in full and written on its own, together with its outbox row: a bad
line is reported by number with its reason and leaves nothing behind, good lines go through.
:func:`import_services_each` (the command) commits each line in a transaction of its own, so
the writer lock is held for one line at a time and a server running beside the import keeps
writing in between; :func:`import_services` writes every line in a SAVEPOINT of a transaction
the caller owns. Either way the outbox is applied after the commits.
The format is documented in ``IMPORT.md`` beside this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import transaction
from hub.models import Material, MaterialRequirement, Org, ServiceItem, ServiceTheme, Theme
from hub.models.base import utcnow
from hub.models.enums import Audience, ItemType, OrgKind, ServiceStatus
from hub.models.orgs import child_path
from hub.search.sync import enqueue

REQUIRED = ("code", "name", "org", "themes", "audience", "description")
OPTIONAL = (
    "materials",
    "item_type",
    "status",
    "short_name",
    "aliases",
    "conditions",
    "online_depth",
    "visits",
)
DEFAULT_ITEM_TYPE = ItemType.PUBLIC_SERVICE
NEW_ORG_KIND = OrgKind.DIVISION


class LineError(ValueError):
    """What is wrong with one line; the message is shown to the user as is."""


@dataclass(frozen=True)
class BadLine:
    number: int
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    service_ids: list[int] = field(default_factory=list)
    orgs_created: list[str] = field(default_factory=list)  # "CODE name"
    materials_created: int = 0
    errors: list[BadLine] = field(default_factory=list)

    def add(self, line: ImportReport) -> None:
        """Count in what one written line did."""
        self.created += line.created
        self.updated += line.updated
        self.service_ids += line.service_ids
        self.orgs_created += line.orgs_created
        self.materials_created += line.materials_created


@dataclass(frozen=True)
class _Item:
    code: str
    name: str
    org: str
    themes: list[str]
    audience: Audience
    description: str
    materials: list[str]
    item_type: ItemType
    status: ServiceStatus
    short_name: str | None
    aliases: list[str]
    conditions: str
    online_depth: int | None
    visits: int | None


async def import_services(
    session: AsyncSession,
    lines: Iterable[str],
    *,
    orgs_under: str | None = None,
) -> ImportReport:
    """Upsert one service per JSON line, each in a SAVEPOINT. Never commits.

    ``orgs_under``: code of the org under which missing orgs are created; without it a line
    naming an unknown org is refused.
    """
    report = ImportReport()
    parent = await _parent(session, orgs_under)
    for number, line in _numbered(lines):
        try:
            item = _parse(line)
            written = ImportReport()
            async with session.begin_nested():
                await _write(session, item, parent, written)
            report.add(written)
        except (LineError, SQLAlchemyError) as exc:
            report.errors.append(_bad(number, exc))
    return report


async def import_services_each(
    sessions: async_sessionmaker[AsyncSession],
    lines: Iterable[str],
    *,
    orgs_under: str | None = None,
) -> ImportReport:
    """Upsert one service per JSON line, each line committed in a transaction of its own
    (on SQLite begun with ``BEGIN IMMEDIATE``: it waits for the writer lock, never for a
    snapshot that another writer made stale). ``orgs_under`` as for :func:`import_services`.
    """
    report = ImportReport()
    async with sessions() as session:
        parent = await _parent(session, orgs_under)  # kept, detached, for its attributes
    for number, line in _numbered(lines):
        try:
            item = _parse(line)
            written = ImportReport()
            async with transaction(sessions) as session:
                await _write(session, item, parent, written)
            report.add(written)
        except (LineError, SQLAlchemyError) as exc:
            report.errors.append(_bad(number, exc))
    return report


async def _parent(session: AsyncSession, orgs_under: str | None) -> Org | None:
    if orgs_under is None:
        return None
    parent = (await session.exec(select(Org).where(Org.code == orgs_under))).first()
    if parent is None:
        raise LineError(f"--orgs-under {orgs_under}: no org has this code")
    return parent


def _numbered(lines: Iterable[str]) -> Iterable[tuple[int, str]]:
    return ((n, line) for n, line in enumerate(lines, start=1) if line.strip())


def _bad(number: int, exc: Exception) -> BadLine:
    if isinstance(exc, LineError):
        return BadLine(number, str(exc))
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [repr(exc)])[0]
    return BadLine(number, f"the database refused it: {reason}")


# --------------------------------------------------------------------------- parsing


def _parse(line: str) -> _Item:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise LineError("not a JSON object")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise LineError(f"missing {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise LineError(f"unknown field {', '.join(unknown)}")
    return _Item(
        code=_text(data, "code", 64),
        name=_text(data, "name", 200),
        org=_text(data, "org", 100),
        themes=_texts(data, "themes", allow_empty=False),
        audience=_choice(data, "audience", Audience),
        description=_text(data, "description", None, allow_empty=True),
        materials=_texts(data, "materials") if "materials" in data else [],
        item_type=_choice(data, "item_type", ItemType, DEFAULT_ITEM_TYPE),
        status=_choice(data, "status", ServiceStatus, ServiceStatus.PUBLISHED),
        short_name=_text(data, "short_name", 100) if data.get("short_name") else None,
        aliases=_texts(data, "aliases") if "aliases" in data else [],
        conditions=_text(data, "conditions", None, allow_empty=True)
        if "conditions" in data
        else "",
        online_depth=_level(data, "online_depth", 4),
        visits=_level(data, "visits", 3),
    )


def _text(data: dict[str, Any], key: str, limit: int | None, *, allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise LineError(f"{key} must be a string")
    value = value.strip()
    if not value and not allow_empty:
        raise LineError(f"{key} is empty")
    if limit is not None and len(value) > limit:
        raise LineError(f"{key} is longer than {limit} characters")
    return value


def _texts(data: dict[str, Any], key: str, *, allow_empty: bool = True) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LineError(f"{key} must be a list of non-empty strings")
    if not value and not allow_empty:
        raise LineError(f"{key} is empty")
    return list(dict.fromkeys(v.strip() for v in value))


def _choice(data: dict[str, Any], key: str, enum: Any, default: Any = None) -> Any:
    value = data.get(key, default)
    if value is None and default is not None:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise LineError(f"{key} must be one of {allowed}, not {value!r}") from None


def _level(data: dict[str, Any], key: str, highest: int) -> int | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= highest:
        raise LineError(f"{key} must be a whole number from 0 to {highest}")
    return value


# --------------------------------------------------------------------------- writing


async def _write(
    session: AsyncSession, item: _Item, parent: Org | None, report: ImportReport
) -> None:
    org = await _org(session, item.org, parent, report)
    themes = await _themes(session, item.themes, item.audience)
    service = (await session.exec(select(ServiceItem).where(ServiceItem.code == item.code))).first()
    created = service is None
    if service is None:
        service = ServiceItem(
            code=item.code,
            name=item.name,
            item_type=item.item_type,
            org_id=int(org.id or 0),
            audience=item.audience,
        )
    else:
        service.version += 1
        service.updated_at = utcnow()
    service.name = item.name
    service.short_name = item.short_name
    service.aliases = item.aliases
    service.item_type = item.item_type
    service.org_id = int(org.id or 0)
    service.audience = item.audience
    service.description = item.description
    service.conditions = item.conditions
    service.status = item.status
    if item.online_depth is not None:
        service.online_depth = item.online_depth
    if item.visits is not None:
        service.visits = item.visits
    session.add(service)
    await session.flush()
    service_id = int(service.id or 0)

    await session.exec(delete(ServiceTheme).where(col(ServiceTheme.service_id) == service_id))
    session.add_all(ServiceTheme(service_id=service_id, theme_id=int(t.id or 0)) for t in themes)
    await session.exec(
        delete(MaterialRequirement).where(col(MaterialRequirement.service_id) == service_id)
    )
    for position, name in enumerate(item.materials):
        material = await _material(session, name, report)
        session.add(
            MaterialRequirement(
                service_id=service_id, material_id=int(material.id or 0), position=position
            )
        )
    await enqueue(session, [service_id])
    await session.flush()
    if created:
        report.created += 1
    else:
        report.updated += 1
    report.service_ids.append(service_id)


async def _org(session: AsyncSession, ref: str, parent: Org | None, report: ImportReport) -> Org:
    by_code = (await session.exec(select(Org).where(Org.code == ref))).first()
    if by_code is not None:
        return by_code
    by_name = list(await session.exec(select(Org).where(Org.name == ref).limit(2)))
    if len(by_name) > 1:
        raise LineError(f"org {ref!r}: several orgs have this name; use the org's code")
    if by_name:
        return by_name[0]
    if parent is None:
        raise LineError(f"org {ref!r} does not exist (give --orgs-under CODE to create it)")
    org = Org(
        parent_id=parent.id,
        path="",
        depth=parent.depth + 1,
        code=_new_code(parent.code, ref, 32),
        name=ref[:100],
        kind=NEW_ORG_KIND,
        region_code=parent.region_code,
    )
    session.add(org)
    await session.flush()
    org.path = child_path(parent.path, int(org.id or 0))
    await session.flush()
    report.orgs_created.append(f"{org.code} {org.name}")
    return org


async def _themes(session: AsyncSession, names: list[str], audience: Audience) -> list[Theme]:
    audiences = [audience.value, Audience.BOTH.value]
    if audience == Audience.BOTH:
        audiences = [a.value for a in Audience]
    rows = await session.exec(
        select(Theme).where(col(Theme.name).in_(names), col(Theme.audience).in_(audiences))
    )
    found: dict[str, Theme] = {}
    for theme in rows:
        found.setdefault(theme.name, theme)
    unknown = [name for name in names if name not in found]
    if unknown:
        raise LineError(f"unknown theme {', '.join(unknown)} for audience {audience.value}")
    return [found[name] for name in names]


async def _material(session: AsyncSession, name: str, report: ImportReport) -> Material:
    if len(name) > 200:
        raise LineError("a material name is longer than 200 characters")
    material = (await session.exec(select(Material).where(Material.name == name))).first()
    if material is None:
        material = Material(code=_new_code("M", name, 64), name=name)
        session.add(material)
        await session.flush()
        report.materials_created += 1
    return material


def _new_code(prefix: str, name: str, limit: int) -> str:
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()
    return f"{prefix[: limit - 9]}-{digest}"
