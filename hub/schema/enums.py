"""GraphQL enums over the model vocabularies; each value is described by its Chinese label."""

from __future__ import annotations

import strawberry

from hub.models import enums as m

OrgKind = strawberry.enum(m.OrgKind, description="Kind of org in the tree.")
OrgStatus = strawberry.enum(m.OrgStatus, description="Whether an org still exists.")
Audience = strawberry.enum(m.Audience, description="Who a service is for.")
ItemType = strawberry.enum(m.ItemType, description="Legal kind of a service item (事项类型).")
TimeUnit = strawberry.enum(m.TimeUnit, description="Days counted as working days or calendar days.")
ServiceStatus = strawberry.enum(m.ServiceStatus, description="Life-cycle of a catalogue entry.")
Necessity = strawberry.enum(m.Necessity, description="Whether a material must be brought.")
Medium = strawberry.enum(m.Medium, description="Paper, electronic or both.")
SourceChannel = strawberry.enum(
    m.SourceChannel, description="Where the applicant gets the material."
)
Exemption = strawberry.enum(
    m.Exemption, description="What lets the applicant skip a material (免提交)."
)
MaterialKind = strawberry.enum(m.MaterialKind, description="Kind of material.")
DatasetCategory = strawberry.enum(m.DatasetCategory, description="Catalogue category of a dataset.")
ShareType = strawberry.enum(m.ShareType, description="Sharing between departments.")
OpenType = strawberry.enum(m.OpenType, description="Opening to the public.")
UpdateCycle = strawberry.enum(m.UpdateCycle, description="How often a dataset is refreshed.")
RequestStatus = strawberry.enum(m.RequestStatus, description="State of a dataset request.")
GrantStatus = strawberry.enum(m.GrantStatus, description="State of a dataset grant.")
StaffStatus = strawberry.enum(m.StaffStatus, description="Employment state of a staff member.")
Gender = strawberry.enum(m.Gender, description="Gender.")
PostType = strawberry.enum(m.PostType, description="Kind of post a membership is.")
MembershipStatus = strawberry.enum(
    m.MembershipStatus, description="Whether a membership is in force."
)
EndReason = strawberry.enum(m.EndReason, description="Why a membership ended.")
Role = strawberry.enum(m.Role, description="Role held through a membership.")
