"""Using served data as GraphQL: verifyDatasetRecord, datasetRecords and the access log.

Record values leave only as the granted fields of ``datasetRecords``, as a JSON object per
record: there is no record type, so no alias, fragment or ``node`` query reaches a field the
grant does not name."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub import models
from hub.errors import BadUserInput, Forbidden, HubError, QuotaExceeded
from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.graphql.enums import AccessMode
from hub.graphql.paging import paginate
from hub.graphql.relay import Connection, referenced
from hub.graphql.sharing.inputs import SharingSide
from hub.ids import decode_id, to_global_id
from hub.models.enums import AccessOutcome
from hub.paging import PageArgs
from hub.sharing.access import Outcome, Use, use_dataset
from hub.sharing.access_log import KeyHasher
from hub.sharing.queries import Side, access_log_statement

if TYPE_CHECKING:
    from hub.graphql.catalogue.datasets import Dataset

DatasetRef = Annotated["Dataset", strawberry.lazy("hub.graphql.catalogue.datasets")]

strawberry.enum(AccessOutcome, description="What became of one call on a served dataset.")

_ERRORS: dict[AccessOutcome, type[HubError]] = {
    AccessOutcome.NO_GRANT: Forbidden,
    AccessOutcome.FIELD_NOT_GRANTED: Forbidden,
    AccessOutcome.MODE_NOT_GRANTED: Forbidden,
    AccessOutcome.QUOTA_EXCEEDED: QuotaExceeded,
    AccessOutcome.NOT_SERVED: BadUserInput,
    AccessOutcome.BAD_INPUT: BadUserInput,
}


@strawberry.type(description="Whether one claimed field matches the record.")
class ClaimMatch:
    field: str = strawberry.field(description="The field claimed.")
    matches: bool = strawberry.field(description="The record holds the claimed value.")


@strawberry.type(description="The answer to a verification: never a value, only yes or no.")
class VerifyResult:
    found: bool = strawberry.field(description="A record with the key exists.")
    claims: list[ClaimMatch] = strawberry.field(description="Each claim, by field name.")


@strawberry.type(description="One key's record: the granted fields only.")
class DatasetRecordResult:
    key: str = strawberry.field(description="The key asked for.")
    found: bool = strawberry.field(description="A record with the key exists.")
    fields: JSON | None = strawberry.field(
        description="The granted fields and their values; null when not found."
    )


@strawberry.type(description="One call on a served dataset (the record key is kept as a hash).")
class DatasetAccessEntry:
    dataset_pk: strawberry.Private[int]
    at: datetime = strawberry.field(description="When.")
    staff_id: strawberry.ID = strawberry.field(description="Global id of the caller.")
    org_id: strawberry.ID | None = strawberry.field(description="Global id of their org.")
    grant_id: strawberry.ID | None = strawberry.field(description="Global id of the grant used.")
    mode: AccessMode = strawberry.field(description="VERIFY or QUERY.")
    field_names: list[str] = strawberry.field(description="Fields claimed or read.")
    keys: int = strawberry.field(description="How many keys were asked for.")
    outcome: AccessOutcome = strawberry.field(description="Answered, or why not.")
    request_id: str = strawberry.field(description="The request's id.")
    key_hash: str = strawberry.field(description="HMAC of each key asked for.")
    hash: str = strawberry.field(description="This entry's link in the hash chain.")

    @classmethod
    def from_model(cls, m: models.DatasetAccess) -> DatasetAccessEntry:
        return cls(
            dataset_pk=m.dataset_id,
            at=m.at,
            staff_id=strawberry.ID(to_global_id("Staff", m.staff_id)),
            org_id=strawberry.ID(to_global_id("Org", m.org_id)) if m.org_id else None,
            grant_id=strawberry.ID(to_global_id("DatasetGrant", m.grant_id))
            if m.grant_id
            else None,
            mode=m.mode,
            field_names=list(m.fields),
            keys=m.keys,
            outcome=m.outcome,
            request_id=m.request_id,
            key_hash=m.key_hash,
            hash=m.hash,
        )

    @strawberry.field(description="The dataset.")
    async def dataset(self, info: Info[Context, None]) -> DatasetRef:
        return await referenced(info.context.loaders.dataset_by_id, self.dataset_pk)


async def _use(ctx: Context, use: Use) -> Outcome:
    """Run and log the call (committed whatever its outcome), then answer or refuse it."""
    outcome = await run_change(
        ctx, use_dataset, use=use, hasher=KeyHasher(ctx.settings.access_log_key)
    )
    if not outcome.answered:
        raise _ERRORS[outcome.outcome](outcome.message, reason=outcome.outcome.name)
    return outcome


@strawberry.type
class AccessQuery:
    @strawberry.field(
        description="Check claims against the record with `key`, under your org's active "
        "grant: whether it exists and whether each claimed field matches. Never returns a "
        "value; only granted fields may be claimed. Every call is logged."
    )
    async def verify_dataset_record(
        self,
        info: Info[Context, None],
        dataset_id: strawberry.ID,
        key: Annotated[str, strawberry.argument(description="The record's key field value.")],
        claims: Annotated[
            JSON, strawberry.argument(description='Field name → claimed value, e.g. {"姓名": …}.')
        ],
    ) -> VerifyResult:
        if not isinstance(claims, dict):
            raise BadUserInput("claims is an object of field name → claimed value.")
        use = Use(decode_id(dataset_id, "Dataset"), models.enums.AccessMode.VERIFY, [key], claims)
        (record,) = (await _use(info.context, use)).records
        return VerifyResult(
            found=record.found,
            claims=[ClaimMatch(field=c.field, matches=c.matches) for c in record.claims],
        )

    @strawberry.field(
        description="The granted fields of the records with these keys (at most 100), under "
        "your org's active QUERY grant; nothing else. Every call is logged."
    )
    async def dataset_records(
        self, info: Info[Context, None], dataset_id: strawberry.ID, keys: list[str]
    ) -> list[DatasetRecordResult]:
        use = Use(decode_id(dataset_id, "Dataset"), models.enums.AccessMode.QUERY, list(keys))
        outcome = await _use(info.context, use)
        return [
            DatasetRecordResult(
                key=r.key, found=r.found, fields=JSON(r.values) if r.found else None
            )
            for r in outcome.records
        ]

    @strawberry.field(
        description="Calls on served datasets, newest first: your orgs' own calls "
        "(REQUESTER), or the calls on the datasets of the orgs you review or administer "
        "(PROVIDER)."
    )
    async def dataset_access_log(
        self,
        info: Info[Context, None],
        role: SharingSide,
        dataset_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DatasetAccessEntry]:
        dataset = decode_id(dataset_id, "Dataset") if dataset_id else None
        statement = access_log_statement(info.context.viewer, Side(role.value), dataset)
        page = PageArgs(first, after, last, before)
        return await paginate(info.context, statement, page, DatasetAccessEntry.from_model)
