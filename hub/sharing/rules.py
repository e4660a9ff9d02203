"""What every sharing change and read shares: on whose behalf a member of staff acts, who may
review a provider's requests, a grant's state on a day, validation, and audit snapshots."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.permissions import ADMIN, require_staff
from hub.auth.viewer import OrgGrant, Viewer
from hub.errors import BadUserInput, Forbidden, NotFound
from hub.models import Dataset, DatasetField, DatasetGrant, DatasetRequest, Org
from hub.models.enums import GrantStatus, PostType, Role

REVIEWER = Role.REVIEWER.value
#: Most fields one request, grant or demand list entry names (datasets have at most 20).
MAX_FIELDS = 50
MAX_PURPOSE = 2000
MAX_SERVICE_CODES = 20
#: Longest period a request may ask for or a grant may run, in days.
MAX_PERIOD_DAYS = 3 * 366


def primary_post(viewer: Viewer) -> OrgGrant | None:
    """The viewer's active primary post (主职), whose org they act for; None without one."""
    return next((g for g in viewer.grants if g.post_type == PostType.PRIMARY.value), None)


def acting_org(viewer: Viewer) -> OrgGrant:
    """The org a member of staff acts for: the one of their active primary post."""
    require_staff(viewer)
    post = primary_post(viewer)
    if post is None:
        raise Forbidden("Only staff with an active primary post may act for their org.")
    return post


def may_review(viewer: Viewer, provider_path: str) -> bool:
    """Reviewers and administrators of the provider org or an org above it."""
    return viewer.has_role_over(REVIEWER, provider_path) or viewer.has_role_over(
        ADMIN, provider_path
    )


def require_reviewer(viewer: Viewer, provider: Org) -> None:
    require_staff(viewer)
    if not may_review(viewer, provider.path):
        raise Forbidden(
            f"Only reviewers or administrators of {provider.name} (or an org above it) may "
            "decide on its datasets."
        )


def grant_status(grant: DatasetGrant, today: date) -> GrantStatus:
    """Revoked, expired (its last day has passed) or active, on ``today`` (China time)."""
    if grant.status == GrantStatus.REVOKED:
        return GrantStatus.REVOKED
    if grant.status == GrantStatus.EXPIRED or (grant.ends_on is not None and grant.ends_on < today):
        return GrantStatus.EXPIRED
    return GrantStatus.ACTIVE


async def provider_of(session: AsyncSession, dataset_id: int) -> Org:
    """The org that provides a dataset (a request or grant names an existing one)."""
    dataset = await session.get_one(Dataset, dataset_id)
    return await session.get_one(Org, dataset.provider_org_id)


async def load_dataset(session: AsyncSession, dataset_id: int) -> tuple[Dataset, Org, list[str]]:
    """A dataset with its provider org and its field names in order."""
    dataset = await session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset with id {dataset_id}.")
    provider = await session.get_one(Org, dataset.provider_org_id)
    names = (
        await session.exec(
            select(DatasetField.name)
            .where(col(DatasetField.dataset_id) == dataset_id)
            .order_by(col(DatasetField.position))
        )
    ).all()
    return dataset, provider, list(names)


def field_names(requested: list[str], known: list[str], *, label: str = "fieldNames") -> list[str]:
    """Requested field names, each once, in the dataset's order; unknown ones refused."""
    if not requested:
        raise BadUserInput(f"{label} must name at least one field.")
    if len(requested) > MAX_FIELDS:
        raise BadUserInput(f"{label} names at most {MAX_FIELDS} fields.")
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise BadUserInput(f"{label}: the dataset has no field(s) {', '.join(unknown)}.")
    wanted = set(requested)
    return [name for name in known if name in wanted]


def request_snapshot(request: DatasetRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "dataset_id": request.dataset_id,
        "requester_org_id": request.requester_org_id,
        "fields": list(request.fields),
        "access_mode": str(request.access_mode),
        "requested_until": request.requested_until.isoformat() if request.requested_until else None,
        "status": str(request.status),
        "due_on": request.due_on.isoformat() if request.due_on else None,
        "automatic": request.automatic,
        "decision_note": request.decision_note,
        "version": request.version,
    }


def grant_snapshot(grant: DatasetGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "request_id": grant.request_id,
        "dataset_id": grant.dataset_id,
        "grantee_org_id": grant.grantee_org_id,
        "fields": list(grant.fields),
        "access_mode": str(grant.access_mode),
        "starts_on": grant.starts_on.isoformat(),
        "ends_on": grant.ends_on.isoformat() if grant.ends_on else None,
        "daily_quota": grant.daily_quota,
        "status": str(grant.status),
        "revoke_reason": grant.revoke_reason,
        "version": grant.version,
    }
