"""Search resolvers: run the engine, then load the hits' services in one batch."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub.catalogue.services import ServiceFilterArgs
from hub.errors import BadUserInput
from hub.graphql.prefetch import prefetch_services
from hub.models.enums import ServiceStatus
from hub.paging import PageArgs, encode_cursor, page_window

if TYPE_CHECKING:
    from hub.graphql.catalogue.inputs import ServiceFilter
    from hub.graphql.context import Context
    from hub.graphql.search.query import SearchFacets, ServiceSearchConnection
    from hub.search.backend import FacetCount, SearchFilter
    from hub.search.service import SearchService

SUGGESTIONS = 10


def _engine(ctx: Context) -> SearchService:
    if ctx.search is None:
        raise RuntimeError("search is not running in this process")
    return ctx.search


def to_search_filter(args: ServiceFilterArgs) -> SearchFilter:
    from hub.search.backend import SearchFilter

    return SearchFilter(
        org_id=args.org_id,
        theme_ids=list(args.theme_ids) or None,
        audience=args.audience,
        item_types=list(args.item_types) or None,
        online_depth_min=args.online_depth_min,
        max_visits=args.max_visits,
        life_event_id=args.life_event_id,
    )


async def search_services(
    ctx: Context,
    query: str,
    filter: ServiceFilter | None,
    first: int | None,
    after: str | None,
    selected: set[str],
    facet_limit: int,
) -> ServiceSearchConnection:
    from hub.graphql.catalogue.services import ServiceItem
    from hub.graphql.relay import PageInfo
    from hub.graphql.search.query import ServiceSearchConnection, ServiceSearchEdge, TextRange

    window = page_window(PageArgs(first=first, after=after), ctx.settings.max_page_size)
    offset = window.offset
    args = filter.to_args() if filter else ServiceFilterArgs()
    result = await _engine(ctx).search(
        query,
        to_search_filter(args),
        offset,
        window.limit,
        address=ctx.client_address,
        claim=ctx.claim_zero_result,
    )
    services = await ctx.loaders.service_by_id.load_many([hit.id for hit in result.hits])
    await prefetch_services(ctx, [s for s in services if s is not None], selected)
    edges: list[ServiceSearchEdge] = []
    for hit, service in zip(result.hits, services, strict=True):
        if service is None or service.status != ServiceStatus.PUBLISHED:
            continue  # the index is a moment behind the database
        edges.append(
            ServiceSearchEdge(
                cursor=encode_cursor(offset + len(edges)),
                node=ServiceItem.from_model(service),
                score=hit.score,
                name_highlighted=hit.name_highlighted,
                highlights=[TextRange(start=s, end=e) for s, e in hit.highlights],
            )
        )
    return ServiceSearchConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(result.hits) < result.total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=result.total,
        facets=await _facets(ctx, result.facets, facet_limit),
        took_ms=result.took_ms,
        query=result.query,
        truncated=result.truncated,
    )


async def _facets(
    ctx: Context, all_facets: dict[str, list[FacetCount]], limit: int
) -> SearchFacets:
    from hub.graphql.catalogue.orgs import Org
    from hub.graphql.catalogue.themes import Theme
    from hub.graphql.search.query import (
        AudienceFacet,
        LevelFacet,
        OrgFacet,
        SearchFacets,
        ThemeFacet,
    )

    # the engines sort each facet by count, most frequent first
    facets = {name: values[:limit] for name, values in all_facets.items()}
    org_counts = facets.get("org", [])
    theme_counts = facets.get("theme", [])
    orgs = await ctx.loaders.org_by_id.load_many([int(f.value) for f in org_counts])
    themes = await ctx.loaders.theme_by_id.load_many([int(f.value) for f in theme_counts])
    return SearchFacets(
        orgs=[
            OrgFacet(org=Org.from_model(o), count=f.count)
            for o, f in zip(orgs, org_counts, strict=True)
            if o is not None
        ],
        themes=[
            ThemeFacet(theme=Theme.from_model(t), count=f.count)
            for t, f in zip(themes, theme_counts, strict=True)
            if t is not None
        ],
        audiences=[
            AudienceFacet(audience=f.value, count=f.count)  # type: ignore[arg-type]
            for f in facets.get("audience", [])
        ],
        online_depths=[
            LevelFacet(value=int(f.value), count=f.count) for f in facets.get("online_depth", [])
        ],
        visits=[LevelFacet(value=int(f.value), count=f.count) for f in facets.get("visits", [])],
    )


async def suggest_services(ctx: Context, prefix: str) -> list[str]:
    if not prefix.strip():
        return []
    return await _engine(ctx).suggest(prefix, SUGGESTIONS)


async def zero_result_queries(ctx: Context, limit: int) -> list[tuple[str, int, datetime]]:
    if limit < 1:
        raise BadUserInput("'first' must be at least 1.")
    return list(await _engine(ctx).top_zero_result_queries(limit))
