"""需求清单: the datasets an org means to request, with the fields it needs. Shared by the
org's staff (their primary post's org), kept until requested or removed."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, NotFound
from hub.identity.audit import record_event
from hub.models import DemandListEntry
from hub.models.base import utcnow
from hub.sharing.rules import acting_org, field_names, load_dataset

#: Entries one org's list holds at most (an org asks for a few dozen datasets, not thousands).
MAX_ENTRIES = 200


async def add_to_demand_list(
    *, session: AsyncSession, actor: Viewer, request_id: str, dataset_id: int, names: list[str]
) -> DemandListEntry:
    """Put a dataset on the actor's org's list, or change the fields of the entry there."""
    org = acting_org(actor)
    dataset, _, known = await load_dataset(session, dataset_id)
    fields = field_names(names, known)
    entry = (
        await session.exec(
            select(DemandListEntry).where(
                col(DemandListEntry.org_id) == org.org_id,
                col(DemandListEntry.dataset_id) == dataset_id,
            )
        )
    ).first()
    before = None
    if entry is None:
        held = (
            await session.exec(
                select(func.count()).where(col(DemandListEntry.org_id) == org.org_id)
            )
        ).one()
        if held >= MAX_ENTRIES:
            raise BadUserInput(f"A demand list holds at most {MAX_ENTRIES} datasets.")
        entry = DemandListEntry(
            org_id=org.org_id,
            dataset_id=dataset_id,
            field_names=fields,
            added_by_id=actor.staff_id or 0,
            added_at=utcnow(),
        )
    else:
        before = {"dataset_id": dataset_id, "field_names": list(entry.field_names)}
        entry.field_names = fields
    session.add(entry)
    await session.flush()
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="demand_list.add",
        target_type="demand_list",
        target_id=entry.id or 0,
        org_id=org.org_id,
        org_path=org.org_path,
        before=before,
        after={"dataset_id": dataset_id, "dataset": dataset.name, "field_names": fields},
    )
    return entry


async def remove_from_demand_list(
    *, session: AsyncSession, actor: Viewer, request_id: str, dataset_id: int
) -> int:
    """Take a dataset off the actor's org's list; returns the entry's id."""
    org = acting_org(actor)
    entry = (
        await session.exec(
            select(DemandListEntry).where(
                col(DemandListEntry.org_id) == org.org_id,
                col(DemandListEntry.dataset_id) == dataset_id,
            )
        )
    ).first()
    if entry is None or entry.id is None:
        raise NotFound("That dataset is not on your org's demand list.")
    entry_id = entry.id
    before = {"dataset_id": dataset_id, "field_names": list(entry.field_names)}
    await session.exec(delete(DemandListEntry).where(col(DemandListEntry.id) == entry_id))
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action="demand_list.remove",
        target_type="demand_list",
        target_id=entry_id,
        org_id=org.org_id,
        org_path=org.org_path,
        before=before,
        after=None,
    )
    return entry_id
