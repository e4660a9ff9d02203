"""``hub import services``: service items from JSON Lines, upserted by code.

Every line is checked in full and written on its own, together with its outbox row: a bad
line is reported by number with its reason and leaves nothing behind, good lines go through.
:func:`import_services_each` (the command) commits each line in a transaction of its own, so
the writer lock is held for one line at a time and a server running beside the import keeps
writing in between; :func:`import_services` writes every line in a SAVEPOINT of a transaction
the caller owns. Either way the outbox is applied after the commits.
The format is documented in ``IMPORT.md`` beside this module.

A theme name outside the national lists is kept as a *local* theme of the city (created on
first use, flagged ``local``), never refused; a :class:`ThemeMap` says which national theme a
local one stands for, and the item is then listed under both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.catalogue.import_lines import Item, LineError, parse_line
from hub.db import transaction
from hub.models import Material, MaterialRequirement, Org, ServiceItem, ServiceTheme, Theme
from hub.models.base import utcnow
from hub.models.enums import Audience, OrgKind
from hub.models.orgs import child_path
from hub.search.sync import enqueue

NEW_ORG_KIND = OrgKind.DIVISION
#: How many lines go by between two progress reports (a shorter file reports none).
PROGRESS_EVERY = 500


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
    themes_created: list[str] = field(default_factory=list)  # local theme names
    errors: list[BadLine] = field(default_factory=list)

    def add(self, line: ImportReport) -> None:
        """Count in what one written line did."""
        self.created += line.created
        self.updated += line.updated
        self.service_ids += line.service_ids
        self.orgs_created += line.orgs_created
        self.materials_created += line.materials_created
        self.themes_created += line.themes_created


#: Local theme name → the national theme name it stands for.
ThemeMap = Mapping[str, str]
#: Called every :data:`PROGRESS_EVERY` lines and at the end: lines done, lines in all, the
#: report so far.
Progress = Callable[[int, int, ImportReport], None]


async def import_services(
    session: AsyncSession,
    lines: Iterable[str],
    *,
    orgs_under: str | None = None,
    theme_map: ThemeMap | None = None,
) -> ImportReport:
    """Upsert one service per JSON line, each in a SAVEPOINT. Never commits.

    ``orgs_under``: code of the org under which missing orgs are created; without it a line
    naming an unknown org is refused. ``theme_map``: the national theme each local theme
    name stands for.
    """
    report = ImportReport()
    parent = await _parent(session, orgs_under)
    await _check_theme_map(session, theme_map)
    for number, line in _numbered(lines):
        try:
            item = parse_line(line)
            written = ImportReport()
            async with session.begin_nested():
                await _write(session, item, parent, written, theme_map or {})
            report.add(written)
        except (LineError, SQLAlchemyError) as exc:
            report.errors.append(_bad(number, exc))
    return report


async def import_services_each(
    sessions: async_sessionmaker[AsyncSession],
    lines: Iterable[str],
    *,
    orgs_under: str | None = None,
    theme_map: ThemeMap | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert one service per JSON line, each line committed in a transaction of its own
    (on SQLite begun with ``BEGIN IMMEDIATE``: it waits for the writer lock, never for a
    snapshot that another writer made stale). ``orgs_under`` and ``theme_map`` as for
    :func:`import_services`; ``progress`` is told how far the import is."""
    report = ImportReport()
    lines = list(lines)
    async with sessions() as session:
        parent = await _parent(session, orgs_under)  # kept, detached, for its attributes
        await _check_theme_map(session, theme_map)
    done = 0
    for number, line in _numbered(lines):
        try:
            item = parse_line(line)
            written = ImportReport()
            async with transaction(sessions) as session:
                await _write(session, item, parent, written, theme_map or {})
            report.add(written)
        except (LineError, SQLAlchemyError) as exc:
            report.errors.append(_bad(number, exc))
        done = number
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(lines), report)
    if progress is not None and done % PROGRESS_EVERY and len(lines) >= PROGRESS_EVERY:
        progress(len(lines), len(lines), report)
    return report


async def _parent(session: AsyncSession, orgs_under: str | None) -> Org | None:
    if orgs_under is None:
        return None
    parent = (await session.exec(select(Org).where(Org.code == orgs_under))).first()
    if parent is None:
        raise LineError(f"--orgs-under {orgs_under}: no org has this code")
    return parent


async def _check_theme_map(session: AsyncSession, theme_map: ThemeMap | None) -> None:
    """Every national name the map points to exists (else the whole import is refused)."""
    if not theme_map:
        return
    wanted = set(theme_map.values())
    rows = await session.exec(
        select(Theme.name).where(col(Theme.name).in_(wanted), col(Theme.local).is_(False))
    )
    unknown = sorted(wanted - set(rows))
    if unknown:
        raise LineError(f"theme map: no national theme is named {', '.join(unknown)}")


def _numbered(lines: Iterable[str]) -> Iterable[tuple[int, str]]:
    return ((n, line) for n, line in enumerate(lines, start=1) if line.strip())


def _bad(number: int, exc: Exception) -> BadLine:
    if isinstance(exc, LineError):
        return BadLine(number, str(exc))
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [repr(exc)])[0]
    return BadLine(number, f"the database refused it: {reason}")


# --------------------------------------------------------------------------- writing


async def _write(
    session: AsyncSession,
    item: Item,
    parent: Org | None,
    report: ImportReport,
    theme_map: ThemeMap,
) -> None:
    org = await _org(session, item.org, parent, report)
    themes = await _themes(session, item.themes, item.audience, theme_map, report)
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


async def _themes(
    session: AsyncSession,
    names: list[str],
    audience: Audience,
    theme_map: ThemeMap,
    report: ImportReport,
) -> list[Theme]:
    """The item's themes: national ones by name, local ones found or created, plus the
    national theme each mapped local one stands for."""
    audiences = _theme_audiences(audience)
    found = await _themes_named(session, names, audiences)
    themes: list[Theme] = []
    for name in names:
        theme = found.get(name)
        if theme is None:
            theme = await _local_theme(session, name, audience, report)
        national_name = theme_map.get(name) if theme.local else None
        if national_name is not None:
            national = (await _themes_named(session, [national_name], audiences, False)).get(
                national_name
            )
            if national is None:
                raise LineError(
                    f"theme map: {name} → {national_name}, which is not a theme for "
                    f"audience {audience.value}"
                )
            if theme.national_id != national.id:
                theme.national_id = national.id
                session.add(theme)
        themes.append(theme)
        if theme.local and theme.national_id is not None:
            themes += [t for t in await _by_ids(session, [theme.national_id])]
    return list({t.id: t for t in themes}.values())


def _theme_audiences(audience: Audience) -> list[str]:
    if audience == Audience.BOTH:
        return [a.value for a in Audience]
    return [audience.value, Audience.BOTH.value]


async def _themes_named(
    session: AsyncSession, names: list[str], audiences: list[str], local: bool | None = None
) -> dict[str, Theme]:
    statement = select(Theme).where(col(Theme.name).in_(names), col(Theme.audience).in_(audiences))
    if local is not None:
        statement = statement.where(col(Theme.local).is_(local))
    found: dict[str, Theme] = {}
    for theme in await session.exec(statement.order_by(col(Theme.local), col(Theme.id))):
        found.setdefault(theme.name, theme)
    return found


async def _by_ids(session: AsyncSession, ids: list[int]) -> list[Theme]:
    return list(await session.exec(select(Theme).where(col(Theme.id).in_(ids))))


async def _local_theme(
    session: AsyncSession, name: str, audience: Audience, report: ImportReport
) -> Theme:
    if len(name) > 50:
        raise LineError(f"theme {name[:20]}…: a theme name is at most 50 characters")
    theme = Theme(
        code=_new_code(f"L{audience.value[0].upper()}", name, 32),
        name=name,
        audience=audience,
        sort_order=1000,
        local=True,
    )
    session.add(theme)
    await session.flush()
    report.themes_created.append(name)
    return theme


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
