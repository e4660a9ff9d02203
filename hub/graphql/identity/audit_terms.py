"""An audit event's before and after in the API's terms.

Events are stored as the domain wrote them (snake_case keys, integer row ids, org paths), so
the trail stays as it was; a client reads them as it reads the rest of the graph: camelCase
keys, global ids (``orgId: "T3JnOjY2"``), an org's code beside its id (``orgCode``), and no
org paths (they are made of row ids). The orgs an event concerns, all of them (a transfer's
org left and org joined), are listed by ``AuditEvent.orgs``.
"""

from __future__ import annotations

import re
from typing import Any

from hub.ids import to_global_id

#: What an integer id under this key identifies.
ID_KEYS = {
    "staff_id": "Staff",
    "applied_by": "Staff",
    "decided_by": "Staff",
    "reviewed_by": "Staff",
    "created_by": "Staff",
    "service_staff_id": "Staff",
    "org_id": "Org",
    "from_org_id": "Org",
    "to_org_id": "Org",
    "owner_org_id": "Org",
    "requester_org_id": "Org",
    "provider_org_id": "Org",
    "grantee_org_id": "Org",
    "org_ids": "Org",
    "membership_id": "Membership",
    "from_membership_id": "Membership",
    "dataset_id": "Dataset",
    "theme_ids": "Theme",
    "life_event_ids": "LifeEvent",
}
#: Internal: an org's place in the tree, written with row ids.
DROPPED = {"org_path", "from_org_path", "org_path_ids"}
#: What the snapshot's own ``id`` is, by the action's first word (a transfer is recorded on
#: the staff member but its snapshots are the memberships left and taken).
SNAPSHOT_TYPES = {
    "membership": "Membership",
    "staff": "Staff",
    "transfer_application": "TransferApplication",
    "dataset_request": "DatasetRequest",
    "dataset_grant": "DatasetGrant",
}
_CAMEL = re.compile(r"_([a-z0-9])")


def camel(key: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


def org_pks(*snapshots: Any) -> list[int]:
    """The org row ids a snapshot names, in order of appearance."""
    found: list[int] = []
    for snapshot in snapshots:
        if not isinstance(snapshot, dict):
            continue
        for key, value in snapshot.items():
            if ID_KEYS.get(key) != "Org":
                continue
            values = value if isinstance(value, list) else [value]
            found.extend(v for v in values if isinstance(v, int) and v not in found)
    return found


def in_api_terms(snapshot: Any, action: str, org_codes: dict[int, str]) -> Any:
    """The snapshot with global ids and camelCase keys; ``org_codes`` maps the org ids it
    names (``org_pks``) to their codes."""
    if not isinstance(snapshot, dict):
        return snapshot
    own_type = SNAPSHOT_TYPES.get(action.split(".", 1)[0])
    out: dict[str, Any] = {}
    for key, value in snapshot.items():
        if key in DROPPED:
            continue
        type_name = own_type if key == "id" else ID_KEYS.get(key)
        if type_name is None:
            out[camel(key)] = value
            continue
        if isinstance(value, list):
            out[camel(key)] = [_global(type_name, v) for v in value]
        else:
            out[camel(key)] = _global(type_name, value)
            if type_name == "Org" and isinstance(value, int) and value in org_codes:
                out[camel(key.removesuffix("_id") + "_code")] = org_codes[value]
    return out


def _global(type_name: str, value: Any) -> Any:
    return to_global_id(type_name, value) if isinstance(value, int) else value
