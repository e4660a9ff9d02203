"""Search over services: forgiving Chinese search with highlights, facets and suggestions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.errors import BadUserInput, Forbidden, Unauthenticated
from hub.graphql.catalogue.inputs import ServiceFilter
from hub.graphql.catalogue.orgs import Org
from hub.graphql.catalogue.services import ServiceItem
from hub.graphql.catalogue.themes import Theme
from hub.graphql.context import Context
from hub.graphql.enums import Audience
from hub.graphql.prefetch import selected_paths
from hub.graphql.relay import PageInfo
from hub.graphql.search.resolvers import search_services, suggest_services, zero_result_queries

MAX_SUGGEST_PREFIX = 50
MAX_FACET_VALUES = 100


@strawberry.type(description="A character range [start, end) of a name that matched.")
class TextRange:
    start: int = strawberry.field(description="First matched character, from 0.")
    end: int = strawberry.field(description="One past the last matched character.")


@strawberry.type(description="One search hit.")
class ServiceSearchEdge:
    cursor: str = strawberry.field(description="Pass as `after` to page from here.")
    node: ServiceItem = strawberry.field(description="The service.")
    score: float = strawberry.field(description="Relevance; higher is better.")
    name_highlighted: str = strawberry.field(
        description="The name as HTML with the matched parts in <em>; everything else escaped."
    )
    highlights: list[TextRange] = strawberry.field(description="Matched parts of the name.")


@strawberry.type(description="How many hits fall under one org.")
class OrgFacet:
    org: Org = strawberry.field(description="The implementing org.")
    count: int = strawberry.field(description="Hits implemented by it.")


@strawberry.type(description="How many hits fall under one theme.")
class ThemeFacet:
    theme: Theme = strawberry.field(description="The theme.")
    count: int = strawberry.field(description="Hits under it.")


@strawberry.type(description="How many hits are for one audience.")
class AudienceFacet:
    audience: Audience = strawberry.field(description="The audience.")
    count: int = strawberry.field(description="Hits for it.")


@strawberry.type(description="How many hits have one value of a number.")
class LevelFacet:
    value: int = strawberry.field(description="The value.")
    count: int = strawberry.field(description="Hits with it.")


@strawberry.type(description="Counts over all hits, to narrow a search.")
class SearchFacets:
    orgs: list[OrgFacet] = strawberry.field(description="By implementing org.")
    themes: list[ThemeFacet] = strawberry.field(description="By theme.")
    audiences: list[AudienceFacet] = strawberry.field(description="By audience.")
    online_depths: list[LevelFacet] = strawberry.field(description="By 网上办理深度.")
    visits: list[LevelFacet] = strawberry.field(description="By visits needed.")


@strawberry.type(description="A page of search hits with facets.")
class ServiceSearchConnection:
    edges: list[ServiceSearchEdge] = strawberry.field(description="Hits of this page, best first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="All hits.")
    facets: SearchFacets = strawberry.field(
        description="Counts over all hits, the most frequent values of each facet."
    )
    took_ms: float = strawberry.field(description="Time the search engine took, ms.")
    query: str = strawberry.field(description="The query as understood (normalised).")
    truncated: bool = strawberry.field(description="The query was too long and was cut.")


@strawberry.type(description="A query that found nothing, and how often it was asked.")
class ZeroResultQuery:
    query: str = strawberry.field(description="The normalised query.")
    count: int = strawberry.field(description="How many times it found nothing.")
    last_asked_at: str = strawberry.field(description="When it was last asked (ISO 8601).")


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
        facet_limit: Annotated[
            int,
            strawberry.argument(description="Values kept per facet, most frequent first (1–100)."),
        ] = 20,
    ) -> ServiceSearchConnection:
        if not 1 <= facet_limit <= MAX_FACET_VALUES:
            raise BadUserInput(f"'facetLimit' must be between 1 and {MAX_FACET_VALUES}.")
        selected = selected_paths(info, ("edges", "node"))
        return await search_services(
            info.context, query, filter, first, after, selected, facet_limit
        )

    @strawberry.field(description="Up to 10 service names completing what the user typed.")
    async def suggest_services(self, info: Info[Context, None], prefix: str) -> list[str]:
        if len(prefix) > MAX_SUGGEST_PREFIX:
            raise BadUserInput(f"A prefix has at most {MAX_SUGGEST_PREFIX} characters.")
        return await suggest_services(info.context, prefix)

    @strawberry.field(
        description="The most frequent searches that found nothing (staff only): where the "
        "synonym table should grow."
    )
    async def zero_result_queries(
        self, info: Info[Context, None], first: int = 20
    ) -> list[ZeroResultQuery]:
        viewer = info.context.viewer
        if viewer.is_anonymous:
            raise Unauthenticated("Sign in as staff to see search statistics.")
        if not viewer.is_staff:
            raise Forbidden("Only staff see search statistics.")
        if not 1 <= first <= 100:
            raise BadUserInput("'first' must be between 1 and 100.")
        rows = await zero_result_queries(info.context, first)
        return [
            ZeroResultQuery(query=q, count=c, last_asked_at=at.isoformat()) for q, c, at in rows
        ]
