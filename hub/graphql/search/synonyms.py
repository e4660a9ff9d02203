"""The synonym table through the API: read by staff, changed by the city's catalogue staff
(:mod:`hub.search.synonyms`), with a preview of what a synonym would change."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlmodel import col, select
from strawberry.types import Info

from hub import models
from hub.auth.permissions import require_staff
from hub.errors import BadUserInput
from hub.graphql.catalogue.services import ServiceItem
from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.search import synonyms

MAX_LIST = 500


@strawberry.type(description="One-way synonym: what citizens type → words of official names.")
class SearchSynonym:
    phrase: str = strawberry.field(description="What citizens type, normalised (生孩子).")
    targets: list[str] = strawberry.field(description="Official words it stands for (生育).")
    version: int = strawberry.field(description="Goes up with every change of the targets.")
    updated_at: datetime = strawberry.field(description="Last change.")

    @classmethod
    def from_model(cls, m: models.SearchSynonym) -> SearchSynonym:
        return cls(
            phrase=m.phrase,
            targets=[str(t) for t in m.targets],
            version=m.version,
            updated_at=m.updated_at,
        )


@strawberry.type(description="One query as a synonym would change it.")
class SynonymEffect:
    query: str = strawberry.field(description="The query (normalised).")
    times_seen: int = strawberry.field(
        description="How often it found nothing (the zero-result log); 0 if never logged."
    )
    total_now: int = strawberry.field(description="Hits today.")
    total_with: int = strawberry.field(description="Hits with the synonym.")
    services: list[ServiceItem] = strawberry.field(description="The first hits with it.")


async def _refreshed(ctx: Context) -> None:
    """This worker applies the change to its next query (the others within a second)."""
    if ctx.search is not None:
        await ctx.search.synonyms.refresh(force=True)


@strawberry.type
class SynonymQuery:
    @strawberry.field(
        description="The search synonym table (staff only), by phrase; `contains` keeps the "
        "phrases or official words that contain it."
    )
    async def search_synonyms(
        self, info: Info[Context, None], contains: str | None = None, first: int = 100
    ) -> list[SearchSynonym]:
        ctx = info.context
        require_staff(ctx.viewer)
        if not 1 <= first <= MAX_LIST:
            raise BadUserInput(f"'first' must be between 1 and {MAX_LIST}.")
        statement = select(models.SearchSynonym).order_by(col(models.SearchSynonym.phrase))
        rows = list(await ctx.rows(statement))
        if contains:
            needle = contains.strip()[:50]
            rows = [r for r in rows if needle in r.phrase or any(needle in t for t in r.targets)]
        return [SearchSynonym.from_model(r) for r in rows[:first]]

    @strawberry.field(
        description="What adding phrase → targets would change (staff only): the phrase "
        "itself and up to 10 of the most frequent zero-result queries containing it, each with "
        "its hits now and with the synonym. One per request."
    )
    async def synonym_preview(
        self, info: Info[Context, None], phrase: str, targets: list[str]
    ) -> list[SynonymEffect]:
        ctx = info.context
        if ctx.search is None:
            raise RuntimeError("search is not running in this process")
        effects = await ctx.search.synonym_preview(ctx.viewer, phrase, targets)
        ids = {i for e in effects for i in e.service_ids}
        loaded = await ctx.loaders.service_by_id.load_many(sorted(ids))
        services = {s.id: s for s in loaded if s is not None}
        return [
            SynonymEffect(
                query=e.query,
                times_seen=e.times_seen,
                total_now=e.total_now,
                total_with=e.total_with,
                services=[
                    ServiceItem.from_model(services[i]) for i in e.service_ids if i in services
                ],
            )
            for e in effects
        ]


@strawberry.type
class SynonymMutation:
    @strawberry.mutation(
        description="Add a search synonym, or replace the official words of an existing one "
        "(catalogue staff of the city: role catalogue over the root org, or a system admin). "
        "Audited; applies to the next query, without a reindex."
    )
    async def put_search_synonym(
        self, info: Info[Context, None], phrase: str, targets: list[str]
    ) -> SearchSynonym:
        ctx = info.context
        row = await run_change(ctx, synonyms.put_synonym, phrase=phrase, targets=targets)
        await _refreshed(ctx)
        return SearchSynonym.from_model(row)

    @strawberry.mutation(
        description="Remove a search synonym (the same people as putSearchSynonym); returns it."
    )
    async def remove_search_synonym(self, info: Info[Context, None], phrase: str) -> SearchSynonym:
        ctx = info.context
        row = await run_change(ctx, synonyms.remove_synonym, phrase=phrase)
        await _refreshed(ctx)
        return SearchSynonym.from_model(row)
