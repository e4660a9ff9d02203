"""Listing services: filters, order and pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.catalogue.services import ServiceFilterArgs, ServiceOrderBy, service_statement
from hub.graphql.catalogue.services import ServiceItem
from hub.graphql.paging import paginate
from hub.graphql.prefetch import prefetch_services
from hub.graphql.relay import Connection
from hub.paging import PageArgs

if TYPE_CHECKING:
    from hub.graphql.context import Context


async def list_services(
    ctx: Context,
    filters: ServiceFilterArgs,
    page: PageArgs,
    order: ServiceOrderBy = ServiceOrderBy.DEFAULT,
    selected: set[str] | None = None,
) -> Connection[ServiceItem]:
    """A page of services; ``selected`` (the paths a query asks of each) is loaded up front."""

    async def prefetch(rows: list[Any]) -> None:
        await prefetch_services(ctx, rows, selected or set())

    statement = service_statement(filters, order)
    return await paginate(ctx, statement, page, ServiceItem.from_model, prefetch)
