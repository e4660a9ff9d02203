"""GraphQL enums over the model vocabularies.

Strawberry registers the model enums themselves, so a value read from the database is already
the GraphQL value; each member's Chinese label is its ``label``.
"""

from __future__ import annotations

import strawberry

from hub.models.enums import (
    AccessMode,
    Audience,
    DatasetCategory,
    EndReason,
    Exemption,
    Gender,
    GrantStatus,
    ItemType,
    MaterialKind,
    Medium,
    Necessity,
    OpenType,
    OrgKind,
    OrgStatus,
    PostType,
    RequestStatus,
    Role,
    ServiceStatus,
    ShareType,
    SourceChannel,
    StaffStatus,
    TimeUnit,
    TransferStatus,
    UpdateCycle,
)

_DESCRIPTIONS = {
    OrgKind: "Kind of org in the tree.",
    OrgStatus: "Whether an org still exists.",
    Audience: "Who a service is for.",
    ItemType: "Legal kind of a service item (事项类型).",
    TimeUnit: "Days counted as working days or calendar days.",
    ServiceStatus: "Life-cycle of a catalogue entry.",
    Necessity: "Whether a material must be brought.",
    Medium: "Paper, electronic or both.",
    SourceChannel: "Where the applicant gets the material.",
    Exemption: "What lets the applicant skip a material (免提交).",
    MaterialKind: "Kind of material.",
    DatasetCategory: "Catalogue category of a dataset.",
    ShareType: "Sharing between departments.",
    OpenType: "Opening to the public.",
    UpdateCycle: "How often a dataset is refreshed.",
    RequestStatus: "State of a dataset request.",
    GrantStatus: "State of a dataset grant.",
    AccessMode: "How a grant lets its holder use a dataset: query fields or verify claims.",
    StaffStatus: "Employment state of a staff member.",
    Gender: "Gender.",
    PostType: "Kind of post a membership is.",
    EndReason: "Why a membership ended.",
    Role: "Role held through a membership.",
    TransferStatus: "State of a transfer application.",
}

for _enum, _description in _DESCRIPTIONS.items():
    strawberry.enum(_enum, description=_description)

__all__ = [
    "AccessMode",
    "Audience",
    "DatasetCategory",
    "EndReason",
    "Exemption",
    "Gender",
    "GrantStatus",
    "ItemType",
    "MaterialKind",
    "Medium",
    "Necessity",
    "OpenType",
    "OrgKind",
    "OrgStatus",
    "PostType",
    "RequestStatus",
    "Role",
    "ServiceStatus",
    "ShareType",
    "SourceChannel",
    "StaffStatus",
    "TimeUnit",
    "TransferStatus",
    "UpdateCycle",
]
