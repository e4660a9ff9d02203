"""What a staff member's active memberships grant, cached per process.

The cache key includes ``staff.version``, which every change to a staff member's status or
memberships bumps in the same transaction. The per-request check reads that version anyway
(one indexed query joining the session and the staff row), so a change made by any worker is
seen by every worker on the very next request, without Redis and without a TTL. Today's date
is part of the key too: a membership that starts or ends on a date changes what it grants
at midnight (China Standard Time) without anything being written.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from hub.auth.viewer import OrgGrant
from hub.models import Membership, Org
from hub.models.enums import MembershipStatus

CHINA = timezone(timedelta(hours=8), "CST")


def today() -> date:
    """Membership dates are calendar dates in China; the day turns at midnight CST."""
    return datetime.now(UTC).astimezone(CHINA).date()


def active_membership_clause(on: date) -> list[ColumnElement[bool]]:
    """Conditions for a membership that is in force on ``on``."""
    return [
        col(Membership.status) == MembershipStatus.ACTIVE,
        col(Membership.starts_on) <= on,
        or_(col(Membership.ends_on).is_(None), col(Membership.ends_on) >= on),
    ]


async def load_grants(conn: AsyncConnection, staff_id: int, on: date) -> tuple[OrgGrant, ...]:
    statement = (
        select(
            col(Membership.id),
            col(Membership.org_id),
            col(Org.path),
            col(Membership.post_type),
            col(Membership.roles),
        )
        .join(Org, col(Org.id) == col(Membership.org_id))
        .where(col(Membership.staff_id) == staff_id, *active_membership_clause(on))
        .order_by(col(Membership.id))
    )
    rows = (await conn.execute(statement)).all()
    return tuple(
        OrgGrant(
            membership_id=membership_id or 0,
            org_id=org_id,
            org_path=path,
            post_type=str(post_type),
            roles=frozenset(roles or ()),
        )
        for membership_id, org_id, path, post_type, roles in rows
    )


class GrantCache:
    """LRU of grants by staff id; an entry is valid only for the version and day it was
    read at. Sized for every staff member of the city with room to spare."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[int, date, tuple[OrgGrant, ...]]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, staff_id: int, version: int, on: date) -> tuple[OrgGrant, ...] | None:
        entry = self._entries.get(staff_id)
        if entry is None or entry[0] != version or entry[1] != on:
            self.misses += 1
            return None
        self._entries.move_to_end(staff_id)
        self.hits += 1
        return entry[2]

    async def grants_for(
        self, conn: AsyncConnection, staff_id: int, version: int
    ) -> tuple[OrgGrant, ...]:
        """Today's grants of ``staff_id`` at ``version``: from the cache, or read and kept."""
        on = today()
        grants = self.get(staff_id, version, on)
        if grants is None:
            grants = await load_grants(conn, staff_id, on)
            self.put(staff_id, version, on, grants)
        return grants

    def put(self, staff_id: int, version: int, on: date, grants: tuple[OrgGrant, ...]) -> None:
        current = self._entries.get(staff_id)
        if current is not None and current[0] > version:
            return  # a slower request read an older version; keep the newer entry
        self._entries[staff_id] = (version, on, grants)
        self._entries.move_to_end(staff_id)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
