"""The 一件事 bundles and life events a query is about: the cards shown above the hits.

A citizen who asks 要结婚了需要办什么 wants 结婚生育一件事 with its items more than any single
item. The published bundles and the life events are few (tens, at any catalogue size), so they
are matched here, in memory, with the query's own analysis (synonym readings, question words
dropped): a card matches when the query's words found in it carry at least
:data:`COVERAGE` of the query (one-character words count half), and ranks by where they were
found: its name or its life event's name, its description, its items' names.

The cards are read from the database at first use and again after :data:`RELOAD_SECONDS`:
bundles and life events change with the catalogue's releases, not by the minute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.models import Bundle, BundleItem, LifeEvent, ServiceItem
from hub.models.enums import ServiceStatus
from hub.search.analysis import normalize
from hub.search.query import AnalyzedQuery, Term

RELOAD_SECONDS = 60.0
COVERAGE = 0.6
MAX_CARDS = 3
NAME, EVENT, DESCRIPTION, ITEMS = 10.0, 8.0, 3.0, 2.0


@dataclass(frozen=True, slots=True)
class Card:
    """One bundle or life event as matched: its texts, normalised."""

    id: int
    audience: str | None  # a life event's audience; None for a bundle
    fields: tuple[tuple[str, float], ...]  # (text, what a word found in it is worth)


@dataclass(frozen=True, slots=True)
class Cards:
    bundle_ids: list[int]
    life_event_ids: list[int]


class CardIndex:
    """Bundles and life events, loaded now and then, matched against analysed queries."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._bundles: list[Card] = []
        self._events: list[Card] = []
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def match(
        self, query: AnalyzedQuery, audience: str | None = None, limit: int = MAX_CARDS
    ) -> Cards:
        """The bundles and life events ``query`` is about, best first, ``limit`` of each;
        life events of another audience than ``audience`` (when given) are left out."""
        if query.blank or query.empty:
            return Cards([], [])
        await self._fresh()
        events = [e for e in self._events if audience is None or e.audience in (audience, "both")]
        return Cards(_best(query, self._bundles, limit), _best(query, events, limit))

    def expire(self) -> None:
        """Read the cards again at their next use (a public write committed)."""
        self._loaded_at = None

    async def _fresh(self) -> None:
        now = time.monotonic()
        if self._loaded_at is not None and now - self._loaded_at < RELOAD_SECONDS:
            return
        async with self._lock:
            if self._loaded_at is not None and now - self._loaded_at < RELOAD_SECONDS:
                return
            async with self._factory() as session:
                self._bundles, self._events = await _load(session)
            self._loaded_at = time.monotonic()


async def _load(session: AsyncSession) -> tuple[list[Card], list[Card]]:
    events = {
        e.id or 0: e
        for e in await session.exec(select(LifeEvent).order_by(col(LifeEvent.sort_order)))
    }
    bundles = list(
        await session.exec(
            select(Bundle)
            .where(col(Bundle.status) == ServiceStatus.PUBLISHED)
            .order_by(col(Bundle.id))
        )
    )
    members: dict[int, list[str]] = {}
    rows = await session.exec(
        select(col(BundleItem.bundle_id), col(ServiceItem.name))
        .join(ServiceItem, col(ServiceItem.id) == col(BundleItem.service_id))
        .where(col(ServiceItem.status) == ServiceStatus.PUBLISHED)
        .order_by(col(BundleItem.bundle_id), col(BundleItem.position))
    )
    for bundle_id, name in rows.all():
        members.setdefault(bundle_id, []).append(name)
    bundle_cards = []
    bundle_names: dict[int, list[str]] = {}
    for b in bundles:
        event = events.get(b.life_event_id or 0)
        bundle_cards.append(
            Card(
                id=b.id or 0,
                audience=None,
                fields=_fields(
                    (b.name, NAME),
                    (event.name if event else "", EVENT),
                    (b.description, DESCRIPTION),
                    (" ".join(members.get(b.id or 0, [])), ITEMS),
                ),
            )
        )
        if event is not None:
            bundle_names.setdefault(event.id or 0, []).append(b.name)
    event_cards = [
        Card(
            id=event_id,
            audience=str(e.audience),
            fields=_fields(
                (e.name, NAME),
                (" ".join(bundle_names.get(event_id, [])), EVENT),
                (e.description, DESCRIPTION),
            ),
        )
        for event_id, e in events.items()
    ]
    return bundle_cards, event_cards


def _fields(*pairs: tuple[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple((normalize(text), worth) for text, worth in pairs if text.strip())


def _best(query: AnalyzedQuery, cards: Sequence[Card], limit: int) -> list[int]:
    scored = [(score, card.id) for card in cards if (score := _score(query, card)) > 0]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [card_id for _, card_id in scored[:limit]]


def _score(query: AnalyzedQuery, card: Card) -> float:
    """The card's best reading of the query: 0 when no reading covers enough of it."""
    best = 0.0
    for variant in query.variants:
        weights = [_weight(t) for t in variant.terms]
        total = sum(weights)
        if not total:
            continue
        found = [_found(t, card) for t in variant.terms]
        covered = sum(w for w, f in zip(weights, found, strict=True) if f)
        if covered < COVERAGE * total:
            continue
        score = sum(w * f for w, f in zip(weights, found, strict=True)) / total
        best = max(best, score * (0.65 if variant.synonym else 1.0))
    return best


def _weight(term: Term) -> float:
    if not term.cjk and not term.number:
        return 0.0  # pinyin and initials name services, not life situations
    return 0.5 if term.cjk and len(term.text) == 1 else 1.0


def _found(term: Term, card: Card) -> float:
    """What the term is worth in the card: the best field that contains it."""
    return max((worth for text, worth in card.fields if term.text in text), default=0.0)
