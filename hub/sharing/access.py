"""Using a served dataset, usable but not visible (可用不可见): verify claims against a record,
or read the granted fields of records by key, under an active grant held by the caller's org.

The grant is looked up on every call, in the call's own transaction: a grant revoked or past
its last day, or a caller moved out of the org (their viewer is re-read on every request),
stops working on the very next call. Every call of a signed-in member of staff is logged,
answered or denied (:mod:`hub.sharing.access_log`); an anonymous caller is refused before
anything is written, so nobody can grow the log without an account. The domain returns the
outcome instead of raising, so that a denial is committed to the log; the layer above turns
it into the typed error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.permissions import require_signed_in
from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, NotFound
from hub.models import Dataset, DatasetAccess, DatasetGrant, DatasetRecord
from hub.models.enums import AccessMode, AccessOutcome, GrantStatus
from hub.sharing.access_log import Call, KeyHasher, append
from hub.sharing.rules import primary_post
from hub.sharing.workdays import CHINA, china_today

MAX_KEYS = 100
MAX_KEY_LENGTH = 64
MAX_CLAIMS = 50
MAX_CLAIM_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Use:
    """What a call asks: verify ``claims`` for one key, or read fields of up to 100 keys."""

    dataset_id: int
    mode: AccessMode
    keys: list[str]
    claims: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    field: str
    matches: bool


@dataclass(frozen=True, slots=True)
class RecordResult:
    key: str
    found: bool
    values: dict[str, Any]
    claims: list[ClaimResult]


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: AccessOutcome
    message: str = ""
    grant: DatasetGrant | None = None
    records: list[RecordResult] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.outcome == AccessOutcome.ANSWERED


def _clean_keys(keys: list[str]) -> list[str]:
    cleaned = [k.strip() for k in keys]
    if not cleaned:
        raise BadUserInput("Give at least one key.")
    if len(cleaned) > MAX_KEYS:
        raise BadUserInput(f"At most {MAX_KEYS} keys a call.")
    if any(not k or len(k) > MAX_KEY_LENGTH for k in cleaned):
        raise BadUserInput(f"A key has 1 to {MAX_KEY_LENGTH} characters.")
    return cleaned


def _clean_claims(claims: dict[str, Any]) -> dict[str, str]:
    if not claims:
        raise BadUserInput("Claim at least one field.")
    if len(claims) > MAX_CLAIMS:
        raise BadUserInput(f"At most {MAX_CLAIMS} claims a call.")
    cleaned: dict[str, str] = {}
    for name, value in claims.items():
        if not isinstance(value, str | int | float | bool) or len(str(value)) > MAX_CLAIM_LENGTH:
            # the message names the field, never the value
            raise BadUserInput(f"The claim on {name!r} must be a short text, number or boolean.")
        cleaned[str(name)] = _normal(value)
    return cleaned


def _normal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().upper()


def _grant_allows(grant: DatasetGrant, mode: AccessMode) -> bool:
    # reading the fields includes checking them: a QUERY grant also verifies
    return mode == AccessMode.VERIFY or grant.access_mode == AccessMode.QUERY


async def _active_grants(session: AsyncSession, org_id: int, dataset_id: int) -> list[DatasetGrant]:
    today = china_today()
    rows = await session.exec(
        select(DatasetGrant)
        .where(
            col(DatasetGrant.grantee_org_id) == org_id,
            col(DatasetGrant.dataset_id) == dataset_id,
            col(DatasetGrant.status) == GrantStatus.ACTIVE,
            col(DatasetGrant.starts_on) <= today,
            or_(col(DatasetGrant.ends_on).is_(None), col(DatasetGrant.ends_on) >= today),
        )
        .order_by(col(DatasetGrant.id).desc())
    )
    return list(rows.all())


async def _answered_today(session: AsyncSession, grant_id: int) -> int:
    midnight = datetime.combine(china_today(), time(0), tzinfo=CHINA).astimezone(UTC)
    count = await session.exec(
        select(func.count()).where(
            col(DatasetAccess.grant_id) == grant_id,
            col(DatasetAccess.outcome) == AccessOutcome.ANSWERED,
            col(DatasetAccess.at) >= midnight,
        )
    )
    return int(count.one())


async def _records(
    session: AsyncSession, dataset_id: int, keys: list[str]
) -> dict[str, dict[str, Any]]:
    rows = await session.exec(
        select(DatasetRecord.key, DatasetRecord.data).where(
            col(DatasetRecord.dataset_id) == dataset_id, col(DatasetRecord.key).in_(set(keys))
        )
    )
    return {key: dict(data) for key, data in rows.all()}


def _decide(
    grants: list[DatasetGrant], mode: AccessMode, wanted: list[str]
) -> tuple[DatasetGrant | None, AccessOutcome, str]:
    if not grants:
        return None, AccessOutcome.NO_GRANT, "Your org holds no active grant on this dataset."
    usable = [g for g in grants if _grant_allows(g, mode)]
    if not usable:
        return grants[0], AccessOutcome.MODE_NOT_GRANTED, "Your org's grant allows VERIFY only."
    for grant in usable:
        if set(wanted) <= set(grant.fields):
            return grant, AccessOutcome.ANSWERED, ""
    outside = sorted(set(wanted) - set(usable[0].fields))
    return (
        usable[0],
        AccessOutcome.FIELD_NOT_GRANTED,
        f"Not granted to your org: {', '.join(outside)}.",
    )


async def use_dataset(
    *, session: AsyncSession, actor: Viewer, request_id: str, use: Use, hasher: KeyHasher
) -> Outcome:
    """Run one call and log it; the outcome says whether it was answered and, if not, why."""
    staff_id = require_signed_in(actor)  # anonymous: refused before anything is written
    dataset = await session.get(Dataset, use.dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset with id {use.dataset_id}.")
    primary = primary_post(actor)
    org_id = primary.org_id if primary else None

    async def log(outcome: Outcome, fields: list[str], keys: list[str]) -> Outcome:
        await append(
            session,
            Call(
                staff_id=staff_id,
                org_id=org_id,
                grant_id=outcome.grant.id if outcome.grant else None,
                dataset_id=use.dataset_id,
                mode=use.mode,
                fields=fields,
                keys=len(keys),
                outcome=outcome.outcome,
                request_id=request_id,
                key_hash=hasher(keys),
            ),
        )
        return outcome

    try:
        keys = _clean_keys(use.keys)
        if use.mode == AccessMode.VERIFY and len(keys) != 1:
            raise BadUserInput("Verify one key a call.")
        claims = _clean_claims(use.claims) if use.mode == AccessMode.VERIFY else {}
    except BadUserInput as exc:
        return await log(Outcome(AccessOutcome.BAD_INPUT, exc.message), [], [])
    if not dataset.served_by_hub:
        message = f"The hub does not serve {dataset.name}; its provider serves it to grantees."
        return await log(Outcome(AccessOutcome.NOT_SERVED, message), [], keys)
    if org_id is None:
        message = "Only staff with an active primary post use data for their org."
        return await log(Outcome(AccessOutcome.NO_GRANT, message), [], keys)
    grants = await _active_grants(session, org_id, use.dataset_id)
    wanted = sorted(claims) if use.mode == AccessMode.VERIFY else []
    grant, verdict, message = _decide(grants, use.mode, wanted)
    fields = wanted or (list(grant.fields) if grant else [])
    if verdict != AccessOutcome.ANSWERED or grant is None:
        return await log(Outcome(verdict, message, grant), fields, keys)
    if grant.daily_quota is not None and await _answered_today(session, grant.id or 0) >= (
        grant.daily_quota
    ):
        message = f"The grant's {grant.daily_quota} calls for today are used up."
        return await log(Outcome(AccessOutcome.QUOTA_EXCEEDED, message, grant), fields, keys)
    found = await _records(session, use.dataset_id, keys)
    results = []
    for key in keys:
        data = found.get(key)
        if use.mode == AccessMode.VERIFY:
            checks = [
                ClaimResult(name, data is not None and _normal(data.get(name, "")) == value)
                for name, value in sorted(claims.items())
            ]
            results.append(RecordResult(key, data is not None, {}, checks))
        else:
            values = {name: data.get(name) for name in grant.fields} if data else {}
            results.append(RecordResult(key, data is not None, values, []))
    return await log(Outcome(AccessOutcome.ANSWERED, "", grant, results), fields, keys)
