"""All tables; importing this module registers them on ``SQLModel.metadata``."""

from sqlmodel import SQLModel

from hub.models import enums
from hub.models.audit import AuditEvent
from hub.models.cache import PublicVersion
from hub.models.datasets import Dataset, DatasetField
from hub.models.materials import Material, MaterialRequirement, StoredFile
from hub.models.orgs import Org
from hub.models.search import (
    SearchEmbedding,
    SearchOutbox,
    SearchQueryStat,
    SearchSemanticDoc,
    SearchState,
    SearchSynonym,
    ZeroResultQuery,
)
from hub.models.services import (
    Bundle,
    BundleItem,
    LifeEvent,
    ServiceItem,
    ServiceLifeEvent,
    ServiceRelation,
    ServiceTheme,
    Theme,
)
from hub.models.sharing import (
    DatasetAccess,
    DatasetGrant,
    DatasetRecord,
    DatasetRequest,
    DemandListEntry,
)
from hub.models.sso import SsoClient, SsoCode, SsoLogout
from hub.models.staff import AuthSession, Membership, Staff, TransferApplication

metadata = SQLModel.metadata

__all__ = [
    "AuditEvent",
    "AuthSession",
    "Bundle",
    "BundleItem",
    "Dataset",
    "DatasetAccess",
    "DatasetField",
    "DatasetGrant",
    "DatasetRecord",
    "DatasetRequest",
    "DemandListEntry",
    "LifeEvent",
    "Material",
    "MaterialRequirement",
    "Membership",
    "Org",
    "PublicVersion",
    "SearchEmbedding",
    "SearchOutbox",
    "SearchQueryStat",
    "SearchSemanticDoc",
    "SearchState",
    "SearchSynonym",
    "ServiceItem",
    "ServiceLifeEvent",
    "ServiceRelation",
    "ServiceTheme",
    "SsoClient",
    "SsoCode",
    "SsoLogout",
    "Staff",
    "StoredFile",
    "Theme",
    "TransferApplication",
    "ZeroResultQuery",
    "enums",
    "metadata",
]
