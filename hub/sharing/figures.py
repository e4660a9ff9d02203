"""A provider's public figures over the last twelve months: requests received, decided, decided
within their due day, still pending (and of those, overdue), and the median working days a
decision took. Decisions made by the rules (无条件共享) count as received, not as decided by the
provider. Batched: one pass over the providers asked for."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from hub.models import Dataset, DatasetRequest
from hub.models.enums import RequestStatus
from hub.sharing.workdays import CHINA, china_today, workdays_between

WINDOW_DAYS = 365

Rows = Callable[[Any], Awaitable[list[Any]]]


@dataclass
class ProviderFigures:
    received: int = 0
    decided: int = 0
    decided_in_time: int = 0
    pending: int = 0
    overdue: int = 0
    days: list[int] = field(default_factory=list)

    @property
    def median_working_days(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None


async def provider_figures(rows: Rows, org_ids: Sequence[int]) -> list[ProviderFigures]:
    today = china_today()
    since = datetime.combine(today - timedelta(days=WINDOW_DAYS), time(0), tzinfo=CHINA)
    statement = (
        select(
            col(Dataset.provider_org_id),
            col(DatasetRequest.status),
            col(DatasetRequest.automatic),
            col(DatasetRequest.created_at),
            col(DatasetRequest.decided_at),
            col(DatasetRequest.due_on),
        )
        .join(Dataset, col(Dataset.id) == col(DatasetRequest.dataset_id))
        .where(
            col(Dataset.provider_org_id).in_(list(org_ids)),
            col(DatasetRequest.created_at) >= since.astimezone(UTC),
        )
    )
    figures: dict[int, ProviderFigures] = defaultdict(ProviderFigures)
    for org_id, status, automatic, created, decided, due in await rows(statement):
        f = figures[org_id]
        f.received += 1
        if automatic or status == RequestStatus.WITHDRAWN:
            continue
        if status == RequestStatus.SUBMITTED:
            f.pending += 1
            f.overdue += due is not None and due < today
            continue
        f.decided += 1
        decided_on = _china_day(decided)
        f.decided_in_time += due is None or decided_on <= due
        f.days.append(workdays_between(_china_day(created), decided_on))
    return [figures.get(org_id, ProviderFigures()) for org_id in org_ids]


def _china_day(at: datetime) -> date:
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return aware.astimezone(CHINA).date()
