"""Reading the sharing flow: an org's demand list, requests and grants seen from either side
(the requester's orgs, or the providers whose subtrees the viewer reviews or administers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlmodel import col

from hub.auth.permissions import ADMIN, require_staff
from hub.auth.viewer import Viewer
from hub.errors import Forbidden
from hub.models import (
    Dataset,
    DatasetAccess,
    DatasetGrant,
    DatasetRequest,
    DemandListEntry,
    Org,
)
from hub.models.enums import GrantStatus, RequestStatus
from hub.sharing.rules import REVIEWER, acting_org, may_review
from hub.sharing.workdays import china_today


class Side(StrEnum):
    REQUESTER = "requester"
    PROVIDER = "provider"


def demand_list_statement(viewer: Viewer) -> Select[Any]:
    org = acting_org(viewer)
    return (
        select(DemandListEntry)
        .where(col(DemandListEntry.org_id) == org.org_id)
        .order_by(col(DemandListEntry.added_at).desc(), col(DemandListEntry.id).desc())
    )


def _provider_paths(viewer: Viewer) -> tuple[str, ...]:
    paths = viewer.role_paths(REVIEWER) + viewer.role_paths(ADMIN)
    if not paths:
        raise Forbidden("Only reviewers or administrators of a provider org see its side.")
    return paths


def _side(statement: Any, viewer: Viewer, side: Side, org_column: Any, dataset_column: Any) -> Any:
    require_staff(viewer)
    if side == Side.REQUESTER:
        if viewer.is_system_admin:
            return statement
        orgs = sorted({g.org_id for g in viewer.grants})
        return statement.where(col(org_column).in_(orgs))
    paths = _provider_paths(viewer)
    return (
        statement.join(Dataset, col(Dataset.id) == col(dataset_column))
        .join(Org, col(Org.id) == col(Dataset.provider_org_id))
        .where(or_(*(col(Org.path).startswith(p, autoescape=True) for p in paths)))
    )


def requests_statement(
    viewer: Viewer,
    side: Side,
    today: date,
    status: RequestStatus | None = None,
    overdue: bool | None = None,
) -> Select[Any]:
    """Requests newest first; ``overdue``: still pending after their due date."""
    statement = _side(
        select(DatasetRequest),
        viewer,
        side,
        DatasetRequest.requester_org_id,
        DatasetRequest.dataset_id,
    )
    if status is not None:
        statement = statement.where(col(DatasetRequest.status) == status)
    late = and_(
        col(DatasetRequest.status) == RequestStatus.SUBMITTED,
        col(DatasetRequest.due_on) < today,
    )
    if overdue is True:
        statement = statement.where(late)
    elif overdue is False:
        statement = statement.where(~late)
    return statement.order_by(col(DatasetRequest.created_at).desc(), col(DatasetRequest.id).desc())


def grants_statement(
    viewer: Viewer, side: Side, today: date, status: GrantStatus | None = None
) -> Select[Any]:
    """Grants newest first, by their state on ``today`` (an active grant past its last day
    is expired)."""
    statement = _side(
        select(DatasetGrant), viewer, side, DatasetGrant.grantee_org_id, DatasetGrant.dataset_id
    )
    stored = col(DatasetGrant.status)
    past = and_(col(DatasetGrant.ends_on).is_not(None), col(DatasetGrant.ends_on) < today)
    if status == GrantStatus.ACTIVE:
        statement = statement.where(stored == GrantStatus.ACTIVE, ~past)
    elif status == GrantStatus.EXPIRED:
        statement = statement.where(
            or_(stored == GrantStatus.EXPIRED, and_(stored == GrantStatus.ACTIVE, past))
        )
    elif status == GrantStatus.REVOKED:
        statement = statement.where(stored == GrantStatus.REVOKED)
    return statement.order_by(col(DatasetGrant.created_at).desc(), col(DatasetGrant.id).desc())


async def grants_of_requests(
    rows: Callable[[Any], Awaitable[list[Any]]], keys: Sequence[int]
) -> list[DatasetGrant | None]:
    """Each request's grant (a request wins at most one), in key order; one statement."""
    found = {
        g.request_id: g
        for g in await rows(select(DatasetGrant).where(col(DatasetGrant.request_id).in_(keys)))
    }
    return [found.get(key) for key in keys]


def access_log_statement(viewer: Viewer, side: Side, dataset_id: int | None = None) -> Select[Any]:
    """Calls on served datasets, newest first: a requester's orgs' own calls, or the calls on
    the datasets of the providers the viewer reviews or administers."""
    statement = _side(
        select(DatasetAccess), viewer, side, DatasetAccess.org_id, DatasetAccess.dataset_id
    )
    if dataset_id is not None:
        statement = statement.where(col(DatasetAccess.dataset_id) == dataset_id)
    return statement.order_by(col(DatasetAccess.id).desc())


async def lookups_allowed(
    rows: Callable[[Any], Awaitable[list[Any]]], keys: Sequence[tuple[int, int]]
) -> list[bool]:
    """For (org id, dataset id) pairs: whether the org may look the dataset up today, because it
    provides it or holds an active grant on it (what makes a material truly 免提交)."""
    if not keys:
        return []
    today = china_today()
    providers_of = select(col(Dataset.id), col(Dataset.provider_org_id)).where(
        col(Dataset.id).in_(sorted({d for _, d in keys}))
    )
    providers = {int(dataset): int(org) for dataset, org in await rows(providers_of)}
    grants_of = select(col(DatasetGrant.grantee_org_id), col(DatasetGrant.dataset_id)).where(
        tuple_(col(DatasetGrant.grantee_org_id), col(DatasetGrant.dataset_id)).in_(list(keys)),
        col(DatasetGrant.status) == GrantStatus.ACTIVE,
        col(DatasetGrant.starts_on) <= today,
        or_(col(DatasetGrant.ends_on).is_(None), col(DatasetGrant.ends_on) >= today),
    )
    granted = {(int(org), int(dataset)) for org, dataset in await rows(grants_of)}
    return [providers.get(d) == o or (o, d) in granted for o, d in keys]


async def visible_by_ids(
    rows: Callable[[Any], Awaitable[list[Any]]],
    viewer: Viewer,
    model: type[DatasetRequest] | type[DatasetGrant],
    keys: Sequence[int],
) -> list[Any | None]:
    """Requests or grants by id, each only for the staff of the org that asked (holds it) and
    the reviewers and administrators of the provider's subtree; None for anyone else."""
    if viewer.staff_id is None or not keys:
        return [None] * len(keys)
    org_of = "requester_org_id" if model is DatasetRequest else "grantee_org_id"
    statement = (
        select(model, col(Org.path))
        .join(Dataset, col(Dataset.id) == col(model.dataset_id))
        .join(Org, col(Org.id) == col(Dataset.provider_org_id))
        .where(col(model.id).in_(list(keys)))
    )
    own = {g.org_id for g in viewer.grants}
    found = {}
    for row, provider_path in await rows(statement):
        if (
            viewer.is_system_admin
            or getattr(row, org_of) in own
            or may_review(viewer, provider_path)
        ):
            found[row.id] = row
    return [found.get(key) for key in keys]
