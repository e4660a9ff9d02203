"""Database rows → :class:`ServiceDocument`, in a fixed number of queries per batch.

Only published items are documents: anything else is absent from the index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.models import (
    Bundle,
    BundleItem,
    LifeEvent,
    Material,
    MaterialRequirement,
    Org,
    SearchEmbedding,
    SearchSemanticDoc,
    ServiceItem,
    ServiceLifeEvent,
    ServiceTheme,
    Theme,
)
from hub.models.enums import ServiceStatus
from hub.models.orgs import ancestor_ids
from hub.search.backend import ServiceDocument
from hub.search.semantic import from_bytes

#: Ids per ``IN (...)`` list: well under SQLite's and asyncpg's parameter limits.
CHUNK = 1000
BATCH = 500


async def load_documents(
    session: AsyncSession, ids: Iterable[int], *, vectors: bool = False
) -> list[ServiceDocument]:
    """Documents for the published services among ``ids`` (others are left out), in id order.

    Six queries per :data:`CHUNK` ids: services, orgs, themes, life events, bundles,
    materials; a seventh for their passages' vectors when ``vectors`` (an engine that
    searches vectors itself).
    """
    wanted = sorted(set(ids))
    docs: list[ServiceDocument] = []
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = await session.exec(
            select(ServiceItem)
            .where(col(ServiceItem.id).in_(chunk))
            .where(col(ServiceItem.status) == ServiceStatus.PUBLISHED)
            .order_by(col(ServiceItem.id))
        )
        docs.extend(await _documents(session, list(rows), vectors))
    return docs


async def iter_documents(
    session: AsyncSession, batch: int = BATCH, *, vectors: bool = False
) -> AsyncIterator[ServiceDocument]:
    """Every published service, by id, ``batch`` at a time (keyset pagination); with their
    passages' vectors when ``vectors``."""
    last = 0
    while True:
        rows = await session.exec(
            select(ServiceItem)
            .where(col(ServiceItem.status) == ServiceStatus.PUBLISHED)
            .where(col(ServiceItem.id) > last)
            .order_by(col(ServiceItem.id))
            .limit(batch)
        )
        services = list(rows)
        if not services:
            return
        for doc in await _documents(session, services, vectors):
            yield doc
        last = int(services[-1].id or 0)
        # the identity map would otherwise hold every service of the catalogue
        session.expunge_all()


async def published_count(session: AsyncSession) -> int:
    result = await session.exec(
        select(func.count())
        .select_from(ServiceItem)
        .where(col(ServiceItem.status) == ServiceStatus.PUBLISHED)
    )
    return int(result.one())


async def _documents(
    session: AsyncSession, services: Sequence[ServiceItem], vectors: bool = False
) -> list[ServiceDocument]:
    if not services:
        return []
    ids = [int(s.id or 0) for s in services]

    org_rows = await session.exec(
        select(col(Org.id), col(Org.name), col(Org.path)).where(
            col(Org.id).in_({s.org_id for s in services})
        )
    )
    orgs = {org_id or 0: (name, ancestor_ids(path)) for org_id, name, path in org_rows.all()}

    themes: dict[int, list[tuple[int, str]]] = defaultdict(list)
    theme_rows = await session.exec(
        select(col(ServiceTheme.service_id), col(Theme.id), col(Theme.name))
        .join(Theme, col(Theme.id) == col(ServiceTheme.theme_id))
        .where(col(ServiceTheme.service_id).in_(ids))
        .order_by(col(ServiceTheme.service_id), col(Theme.sort_order), col(Theme.id))
    )
    for service_id, theme_id, theme_name in theme_rows.all():
        themes[service_id].append((theme_id or 0, theme_name))

    events: dict[int, list[int]] = defaultdict(list)
    event_names: dict[int, list[str]] = defaultdict(list)
    event_texts: dict[int, list[str]] = defaultdict(list)
    event_rows = await session.exec(
        select(
            col(ServiceLifeEvent.service_id),
            col(LifeEvent.id),
            col(LifeEvent.name),
            col(LifeEvent.description),
        )
        .join(LifeEvent, col(LifeEvent.id) == col(ServiceLifeEvent.life_event_id))
        .where(col(ServiceLifeEvent.service_id).in_(ids))
        .order_by(col(ServiceLifeEvent.service_id), col(ServiceLifeEvent.life_event_id))
    )
    for service_id, event_id, event_name, event_text in event_rows.all():
        events[service_id].append(event_id or 0)
        event_names[service_id].append(event_name)
        event_texts[service_id].append(event_text)
    bundle_rows = await session.exec(
        select(col(BundleItem.service_id), col(Bundle.name), col(Bundle.description))
        .join(Bundle, col(Bundle.id) == col(BundleItem.bundle_id))
        .where(col(BundleItem.service_id).in_(ids))
        .where(col(Bundle.status) == ServiceStatus.PUBLISHED)
        .order_by(col(BundleItem.service_id), col(Bundle.id))
    )
    for service_id, bundle_name, bundle_text in bundle_rows.all():
        event_names[service_id].append(bundle_name)
        event_texts[service_id].append(bundle_text)

    materials: dict[int, list[str]] = defaultdict(list)
    material_rows = await session.exec(
        select(col(MaterialRequirement.service_id), col(Material.name))
        .join(Material, col(Material.id) == col(MaterialRequirement.material_id))
        .where(col(MaterialRequirement.service_id).in_(ids))
        .order_by(col(MaterialRequirement.service_id), col(MaterialRequirement.position))
    )
    for service_id, material_name in material_rows.all():
        materials[service_id].append(material_name)

    vector_of: dict[int, Any] = {}
    if vectors:
        vector_rows = await session.exec(
            select(col(SearchSemanticDoc.service_id), col(SearchEmbedding.vector))
            .join(
                SearchEmbedding, col(SearchEmbedding.text_hash) == col(SearchSemanticDoc.text_hash)
            )
            .where(col(SearchSemanticDoc.service_id).in_(ids))
            .where(col(SearchEmbedding.vector).is_not(None))
        )
        vector_of = {sid: from_bytes(raw).tolist() for sid, raw in vector_rows.all() if raw}

    docs = []
    for s in services:
        sid = int(s.id or 0)
        org_name, path = orgs.get(s.org_id, ("", [s.org_id]))
        docs.append(
            ServiceDocument(
                id=sid,
                code=s.code,
                name=s.name,
                short_name=s.short_name,
                aliases=list(s.aliases or []),
                description=s.description or "",
                conditions=s.conditions or "",
                materials=materials.get(sid, []),
                org_id=s.org_id,
                org_name=org_name,
                org_path_ids=path or [s.org_id],
                theme_ids=[t for t, _ in themes.get(sid, [])],
                theme_names=[n for _, n in themes.get(sid, [])],
                audience=str(s.audience),
                item_type=str(s.item_type),
                online_depth=int(s.online_depth),
                visits=int(s.visits),
                life_event_ids=events.get(sid, []),
                event_names=event_names.get(sid, []),
                event_texts=event_texts.get(sid, []),
                vector=vector_of.get(sid),
            )
        )
    return docs
