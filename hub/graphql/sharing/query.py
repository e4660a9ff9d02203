"""Root fields of data sharing: the demand list, requests and grants."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.graphql.context import Context
from hub.graphql.enums import GrantStatus, RequestStatus
from hub.graphql.paging import paginate
from hub.graphql.relay import Connection
from hub.graphql.sharing.inputs import SharingSide
from hub.graphql.sharing.types import DatasetGrant, DatasetRequest, DemandListEntry
from hub.paging import PageArgs
from hub.sharing.queries import Side, demand_list_statement, grants_statement, requests_statement
from hub.sharing.workdays import china_today

FIRST = Annotated[int | None, strawberry.argument(description="Page size from the start.")]
AFTER = Annotated[str | None, strawberry.argument(description="Cursor to start after.")]
LAST = Annotated[int | None, strawberry.argument(description="Page size from the end.")]
BEFORE = Annotated[str | None, strawberry.argument(description="Cursor to end before.")]
SIDE = Annotated[
    SharingSide,
    strawberry.argument(
        description="REQUESTER: your orgs' requests; PROVIDER: those on datasets of the orgs "
        "you review or administer."
    ),
]


@strawberry.type
class SharingQuery:
    @strawberry.field(
        description="Your org's demand list (需求清单): the datasets it means to request."
    )
    async def demand_list(
        self,
        info: Info[Context, None],
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Connection[DemandListEntry]:
        statement = demand_list_statement(info.context.viewer)
        page = PageArgs(first, after, last, before)
        return await paginate(info.context, statement, page, DemandListEntry.from_model)

    @strawberry.field(description="Dataset requests, newest first, seen from one side.")
    async def dataset_requests(
        self,
        info: Info[Context, None],
        role: SIDE,
        status: RequestStatus | None = None,
        overdue: Annotated[
            bool | None,
            strawberry.argument(description="Only (true) or never (false) overdue ones."),
        ] = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Connection[DatasetRequest]:
        statement = requests_statement(
            info.context.viewer, Side(role.value), china_today(), status, overdue
        )
        page = PageArgs(first, after, last, before)
        return await paginate(info.context, statement, page, DatasetRequest.from_model)

    @strawberry.field(description="Dataset grants, newest first, seen from one side.")
    async def dataset_grants(
        self,
        info: Info[Context, None],
        role: SIDE,
        status: Annotated[
            GrantStatus | None, strawberry.argument(description="Their state today.")
        ] = None,
        first: FIRST = None,
        after: AFTER = None,
        last: LAST = None,
        before: BEFORE = None,
    ) -> Connection[DatasetGrant]:
        statement = grants_statement(info.context.viewer, Side(role.value), china_today(), status)
        page = PageArgs(first, after, last, before)
        return await paginate(info.context, statement, page, DatasetGrant.from_model)
