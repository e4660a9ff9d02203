"""Search over services: forgiving Chinese search with highlights, facets and suggestions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub import models
from hub.catalogue.services import ServiceFilterArgs
from hub.errors import BadUserInput
from hub.graphql.catalogue.inputs import ServiceFilter
from hub.graphql.catalogue.services import ServiceItem
from hub.graphql.context import Context
from hub.graphql.prefetch import selected_paths
from hub.graphql.search.types import HotSearch, ServiceSearchConnection, ZeroResultQuery
from hub.paging import PageArgs, page_window, resolve_window
from hub.search.service import SearchService, search_filter

MAX_SUGGEST_PREFIX = 50
MAX_HOT = 50
MAX_FACET_VALUES = 100
SUGGESTIONS = 10


def _engine(ctx: Context) -> SearchService:
    if ctx.search is None:
        raise RuntimeError("search is not running in this process")
    return ctx.search


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Search published services by words, pieces of names, pinyin, initials, "
        "colloquial phrases or questions. An empty query browses everything with facets."
    )
    async def search_services(
        self,
        info: Info[Context, None],
        query: str,
        filter: ServiceFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        facet_limit: Annotated[
            int,
            strawberry.argument(description="Values kept per facet, most frequent first (1–100)."),
        ] = 20,
    ) -> ServiceSearchConnection:
        if not 1 <= facet_limit <= MAX_FACET_VALUES:
            raise BadUserInput(f"'facetLimit' must be between 1 and {MAX_FACET_VALUES}.")
        ctx = info.context
        window = page_window(PageArgs(first, after, last, before), ctx.settings.max_page_size)
        args = filter.to_args() if filter else ServiceFilterArgs()
        flt = search_filter(args)
        offset, limit = window.offset, window.limit
        if window.from_end:
            # the last page before a cursor (or of all hits): where it starts needs the total
            # when no cursor bounds it
            total = window.before
            if total is None:
                total = (await _engine(ctx).search(query, flt, 0, 0, log=False)).total
            offset, limit = resolve_window(window, total)
        result = await _engine(ctx).search(
            query,
            flt,
            offset,
            limit,
            address=ctx.client_address,
            claim=ctx.claim_zero_result,
        )
        selected = selected_paths(info, ("edges", "node"))
        return await ServiceSearchConnection.from_result(
            ctx,
            result,
            offset,
            selected,
            facet_limit,
            raw_query=query,
            audience=args.audience,
        )

    @strawberry.field(
        description="Up to 10 services whose names complete what the user typed (characters, "
        "pinyin or initials), one per name: names that start with it first, then the ones "
        "people search most."
    )
    async def suggest_services(self, info: Info[Context, None], prefix: str) -> list[ServiceItem]:
        if len(prefix) > MAX_SUGGEST_PREFIX:
            raise BadUserInput(f"A prefix has at most {MAX_SUGGEST_PREFIX} characters.")
        ctx = info.context
        found = await _engine(ctx).suggest(prefix, SUGGESTIONS)
        rows = await ctx.loaders.service_by_id.load_many([s.id for s in found])
        published = models.enums.ServiceStatus.PUBLISHED
        return [ServiceItem.from_model(r) for r in rows if r is not None and r.status == published]

    @strawberry.field(
        description="What people search most this week (queries that found something, from "
        "several people), most searched first."
    )
    async def hot_searches(self, info: Info[Context, None], first: int = 10) -> list[HotSearch]:
        if not 1 <= first <= MAX_HOT:
            raise BadUserInput(f"'first' must be between 1 and {MAX_HOT}.")
        rows = await _engine(info.context).hot_searches(first)
        return [HotSearch(query=q, searches=n) for q, n in rows]

    @strawberry.field(
        description="The most frequent searches that found nothing (staff only): where the "
        "synonym table should grow."
    )
    async def zero_result_queries(
        self, info: Info[Context, None], first: int = 20
    ) -> list[ZeroResultQuery]:
        if not 1 <= first <= 100:
            raise BadUserInput("'first' must be between 1 and 100.")
        rows = await _engine(info.context).zero_result_queries_for(info.context.viewer, first)
        return ZeroResultQuery.from_rows(rows)
