"""Search answers as GraphQL: the engine's :class:`~hub.search.backend.SearchResult` becomes a
page of hits with their services, highlights and facets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.types import Info

from hub import models
from hub.graphql.catalogue.orgs import Org
from hub.graphql.catalogue.services import ServiceItem
from hub.graphql.catalogue.themes import Bundle, LifeEvent, Theme
from hub.graphql.context import Context
from hub.graphql.enums import Audience
from hub.graphql.prefetch import prefetch_services
from hub.graphql.relay import PageInfo
from hub.paging import encode_cursor
from hub.search.backend import FacetCount, SearchResult
from hub.search.cards import Cards
from hub.search.service import SearchService


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

    @strawberry.field(
        description="The theme's name with its audience, e.g. 医疗卫生（个人）: several names "
        "exist for both persons and legal entities, so a filter list shows this."
    )
    def label(self) -> str:
        return f"{self.theme.name}（{AUDIENCE_WORDS.get(self.theme.audience, '')}）"


AUDIENCE_WORDS = {
    Audience.PERSON: "个人",
    Audience.LEGAL_ENTITY: "法人",
    Audience.BOTH: "个人和法人",
}


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

    @classmethod
    async def from_counts(
        cls, ctx: Context, counts: dict[str, list[FacetCount]], limit: int
    ) -> SearchFacets:
        """The ``limit`` most frequent values of each facet (the engines sort each by count),
        orgs and themes loaded in one batch each."""
        facets = {name: values[:limit] for name, values in counts.items()}
        org_counts = facets.get("org", [])
        theme_counts = facets.get("theme", [])
        orgs = await ctx.loaders.org_by_id.load_many([int(f.value) for f in org_counts])
        themes = await ctx.loaders.theme_by_id.load_many([int(f.value) for f in theme_counts])
        return cls(
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
                LevelFacet(value=int(f.value), count=f.count)
                for f in facets.get("online_depth", [])
            ],
            visits=[
                LevelFacet(value=int(f.value), count=f.count) for f in facets.get("visits", [])
            ],
        )


@strawberry.type(description="A page of search hits with facets.")
class ServiceSearchConnection:
    raw_query: strawberry.Private[str]
    audience: strawberry.Private[str | None]
    engine: strawberry.Private[SearchService | None]
    matched_cards: strawberry.Private[list[Cards]]
    edges: list[ServiceSearchEdge] = strawberry.field(description="Hits of this page, best first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="All hits.")
    facets: SearchFacets = strawberry.field(
        description="Counts over all hits, the most frequent values of each facet."
    )
    took_ms: float = strawberry.field(description="Time the search engine took, ms.")
    query: str = strawberry.field(description="The query as understood (normalised).")
    truncated: bool = strawberry.field(description="The query was too long and was cut.")

    @strawberry.field(
        description="The 一件事 bundles the query is about (by their names, life events, "
        "descriptions or items' names), best first, at most 3; each with its items. Their "
        "items rank high among the hits. The same on every page."
    )
    async def bundles(self, info: Info[Context, None]) -> list[Bundle]:
        cards = await self._cards()
        rows = await info.context.loaders.bundle_by_id.load_many(cards.bundle_ids)
        return [
            Bundle.from_model(r)
            for r in rows
            if r is not None and r.status == models.enums.ServiceStatus.PUBLISHED
        ]

    @strawberry.field(
        description="The life events the query is about (出生, 结婚, 退休 …), best first, at "
        "most 3; only those of the filter's audience when it has one."
    )
    async def life_events(self, info: Info[Context, None]) -> list[LifeEvent]:
        cards = await self._cards()
        rows = await info.context.loaders.life_event_by_id.load_many(cards.life_event_ids)
        return [LifeEvent.from_model(r) for r in rows if r is not None]

    async def _cards(self) -> Cards:
        if not self.matched_cards:
            if self.engine is None:
                return Cards([], [])
            self.matched_cards.append(await self.engine.cards_for(self.raw_query, self.audience))
        return self.matched_cards[0]

    @classmethod
    async def from_result(
        cls,
        ctx: Context,
        result: SearchResult,
        offset: int,
        selected: set[str],
        facet_limit: int,
        *,
        raw_query: str = "",
        audience: str | None = None,
    ) -> ServiceSearchConnection:
        """The page of ``result`` that starts at ``offset``, its services loaded in one batch
        with what the query selects of them (``selected``)."""
        services = await ctx.loaders.service_by_id.load_many([hit.id for hit in result.hits])
        await prefetch_services(ctx, [s for s in services if s is not None], selected)
        edges: list[ServiceSearchEdge] = []
        for hit, service in zip(result.hits, services, strict=True):
            if service is None or service.status != models.enums.ServiceStatus.PUBLISHED:
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
        return cls(
            raw_query=raw_query,
            audience=audience,
            engine=ctx.search,
            matched_cards=[],
            edges=edges,
            page_info=PageInfo(
                has_next_page=offset + len(result.hits) < result.total,
                has_previous_page=offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=result.total,
            facets=await SearchFacets.from_counts(ctx, result.facets, facet_limit),
            took_ms=result.took_ms,
            query=result.query,
            truncated=result.truncated,
        )


@strawberry.type(description="A query people search often.")
class HotSearch:
    query: str = strawberry.field(description="The query (normalised).")
    searches: int = strawberry.field(description="How often it was searched this week.")


@strawberry.type(description="A query that found nothing, and how often it was asked.")
class ZeroResultQuery:
    query: str = strawberry.field(description="The normalised query.")
    count: int = strawberry.field(description="How many times it found nothing.")
    last_asked_at: str = strawberry.field(description="When it was last asked (ISO 8601).")

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, int, datetime]]) -> list[ZeroResultQuery]:
        return [cls(query=q, count=c, last_asked_at=at.isoformat()) for q, c, at in rows]
