"""What anonymous answers depend on, as one counter the database bumps itself.

``public_version`` holds one row: ``n`` goes up by one in the transaction of every write to a
table in :data:`PUBLIC_TABLES` (a trigger per table, migration 0011, so imports, the seed, the
GraphQL mutations and a hand-written ``UPDATE`` all count), and ``epoch`` is drawn anew when
the row is made, so a database made again never repeats an old ``(epoch, n)``. The response
cache (:mod:`hub.http.response_cache`) keys every answer by it: a committed write makes every
older answer unreachable at once, in every process.

A table is public when an anonymous answer shows what it holds; the others are either never
shown to anonymous callers (staff, sessions, requests, access logs, served records) or
followed by the search part of the key (the outbox, the vectors, the query log). Every table
is in exactly one of the two sets (``tests/http/test_response_cache.py`` checks it), so a new
table has to be placed.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

PUBLIC_TABLES = frozenset(
    {
        "org",
        "theme",
        "life_event",
        "bundle",
        "bundle_item",
        "service_item",
        "service_theme",
        "service_life_event",
        "service_relation",
        "material",
        "material_requirement",
        "stored_file",
        "dataset",
        "dataset_field",
        "dataset_grant",  # a guide's 免提交 holds while the implementing org has a grant
        "search_synonym",
    }
)

PRIVATE_TABLES = frozenset(
    {
        "public_version",
        "staff",
        "membership",
        "auth_session",
        "transfer_application",
        "audit_event",
        "sso_client",
        "sso_code",
        "sso_logout",
        "dataset_record",
        "dataset_request",
        "demand_list_entry",
        "dataset_access",
        "search_outbox",
        "search_state",
        "search_embedding",
        "search_semantic_doc",
        "search_query_stat",
        "zero_result_query",
    }
)


class PublicVersion(SQLModel, table=True):
    """The one row of the public version (see the module)."""

    __tablename__ = "public_version"

    id: int = Field(default=1, primary_key=True)
    epoch: str = Field(sa_column=Column(String(32), nullable=False))
    n: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
