"""The synonym table in the database, through /graphql: catalogue staff grow it, the next
query uses it without a reindex, every change is audited, and nobody else changes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from hub.models import AuditEvent, Membership, SearchState, SearchSynonym, ServiceItem
from hub.models.enums import Role
from hub.search import analysis
from hub.search.sync_apply import drain
from hub.search.synonyms import SynonymStore
from tests.conftest import service_line
from tests.identity.conftest import World, open_world

PUT = """
mutation Put($phrase: String!, $targets: [String!]!) {
  putSearchSynonym(phrase: $phrase, targets: $targets) { phrase targets version }
}
"""
REMOVE = "mutation R($p: String!) { removeSearchSynonym(phrase: $p) { phrase } }"
SEARCH = """
query S($q: String!) { searchServices(query: $q, first: 5) { totalCount edges { node { code } } } }
"""
PREVIEW = """
query P($phrase: String!, $targets: [String!]!) {
  synonymPreview(phrase: $phrase, targets: $targets) {
    query timesSeen totalNow totalWith services { code }
  }
}
"""


async def _catalogue_staff(city: World, login_no: str = "root_admin") -> None:
    """Give ``login_no`` (a post in the root org) the catalogue role."""
    async with city.db() as session:
        membership = (
            await session.exec(
                select(Membership).where(col(Membership.staff_id) == city.staff[login_no])
            )
        ).first()
        assert membership is not None
        membership.roles = [*membership.roles, Role.CATALOGUE.value]
        membership.version += 1
        session.add(membership)


async def _dog_item(city: World) -> None:
    from hub.catalogue.importer import import_services

    async with city.db() as session:
        report = await import_services(
            session, [service_line("S-DOG", "犬只登记", org="GW", themes=["公共安全"])]
        )
        assert report.errors == []
    hub = city.app.state.hub
    await drain(hub.sessions, hub.search.backend)


@pytest.fixture
async def city(tmp_path: Path) -> AsyncIterator[World]:
    """The identity tests' small city, served by the real app (SQLite)."""
    async with open_world("sqlite", tmp_path) as opened:
        yield opened


@pytest.fixture
async def catalogue(city: World) -> World:
    """The city, with root_admin holding the catalogue role and one dog item indexed."""
    await _catalogue_staff(city)
    await _dog_item(city)
    return city


async def test_catalogue_staff_add_a_synonym_and_the_next_query_uses_it(
    catalogue: World,
) -> None:
    city = catalogue
    before = await city.ok(SEARCH, {"q": "毛孩子上户口"})
    assert before["searchServices"]["totalCount"] == 0

    put = await city.ok(
        PUT, {"phrase": " 毛孩子上戶口 ", "targets": ["犬只登记"]}, as_="root_admin"
    )
    # normalised: spaces gone, traditional → simplified
    assert put["putSearchSynonym"] == {
        "phrase": "毛孩子上户口",
        "targets": ["犬只登记"],
        "version": 1,
    }
    after = await city.ok(SEARCH, {"q": "毛孩子上户口"})
    assert [e["node"]["code"] for e in after["searchServices"]["edges"]] == ["S-DOG"]

    again = await city.ok(
        PUT, {"phrase": "毛孩子上户口", "targets": ["犬只", "养犬"]}, as_="root_admin"
    )
    assert again["putSearchSynonym"]["version"] == 2
    await city.ok(REMOVE, {"p": "毛孩子上户口"}, as_="root_admin")
    gone = await city.ok(SEARCH, {"q": "毛孩子上户口"})
    assert gone["searchServices"]["totalCount"] == 0

    async with city.db() as session:
        events = list(
            await session.exec(
                select(AuditEvent)
                .where(AuditEvent.target_type == "search_synonym")
                .order_by(col(AuditEvent.id))
            )
        )
        revision = (
            await session.exec(select(SearchState.value).where(SearchState.key == "synonyms"))
        ).one()
    assert [e.action for e in events] == ["synonym.put", "synonym.put", "synonym.remove"]
    assert events[0].before is None and events[0].after == {
        "phrase": "毛孩子上户口",
        "targets": ["犬只登记"],
        "version": 1,
    }
    assert events[1].before == events[0].after and events[2].after is None
    assert all(e.actor_id == city.staff["root_admin"] for e in events)
    assert revision >= 4  # seeded at 1, then three changes


@pytest.mark.parametrize(
    ("login_no", "code"),
    [
        (None, "FORBIDDEN"),  # anonymous
        ("tzcj_admin", "FORBIDDEN"),  # an org admin: a subtree is not the city
        ("kjcx_clerk", "FORBIDDEN"),
    ],
)
async def test_only_catalogue_staff_of_the_city_change_synonyms(
    city: World,
    login_no: str | None,
    code: str,
) -> None:
    body = await city.gql(PUT, {"phrase": "狗证件", "targets": ["犬只登记"]}, as_=login_no)
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["extensions"]["requestId"]
    async with city.db() as session:
        assert not list(
            await session.exec(select(SearchSynonym).where(SearchSynonym.phrase == "狗证件"))
        )


@pytest.mark.parametrize(
    ("phrase", "targets", "says"),
    [
        ("", ["犬只登记"], "words"),
        ("狗证!!", ["犬只登记"], "words"),
        ("狗" * 21, ["犬只登记"], "at most 20"),
        ("狗证件", [], "1 to 4"),
        ("狗证件", ["a", "b", "c", "d", "e"], "1 to 4"),
        ("狗证件", ["<script>"], "Official words"),
        ("狗证件", ["狗证件"], "other words"),
    ],
)
async def test_bad_synonyms_are_refused_and_change_nothing(
    catalogue: World, phrase: str, targets: list[str], says: str
) -> None:
    body = await catalogue.gql(PUT, {"phrase": phrase, "targets": targets}, as_="root_admin")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and says in error["message"]
    async with catalogue.db() as session:
        events = await session.exec(
            select(AuditEvent).where(AuditEvent.target_type == "search_synonym")
        )
        assert not list(events)


async def test_the_preview_shows_what_a_synonym_would_change(catalogue: World) -> None:
    city = catalogue
    for _ in range(2):
        await city.ok(SEARCH, {"q": "毛孩子怎么上户口"})
    await city.app.state.hub.search.service.flush()
    body = await city.gql(PREVIEW, {"phrase": "毛孩子", "targets": ["犬只"]})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    preview = (await city.ok(PREVIEW, {"phrase": "毛孩子", "targets": ["犬只"]}, as_="tzcj_clerk"))[
        "synonymPreview"
    ]
    assert preview[0]["query"] == "毛孩子" and preview[0]["totalWith"] >= 1
    logged = next(p for p in preview if p["timesSeen"])
    assert logged["timesSeen"] == 2 and logged["totalNow"] == 0 and logged["totalWith"] >= 1
    assert [s["code"] for s in logged["services"]][:1] == ["S-DOG"]


async def test_another_worker_sees_the_change_at_its_next_check(catalogue: World) -> None:
    city = catalogue
    sessions = city.app.state.hub.sessions
    other = SynonymStore(sessions)  # a second worker's copy of the table
    await other.refresh(force=True)
    seen = other.revision
    await city.ok(PUT, {"phrase": "狗狗上户口", "targets": ["犬只登记"]}, as_="root_admin")
    await other.refresh()  # checked less than a second ago: not yet
    assert other.revision == seen
    await other.refresh(force=True)  # its next check
    assert other.revision == seen + 1  # type: ignore[operator]
    assert analysis.synonym_table().mapping["狗狗上户口"] == ("犬只登记",)
    async with city.db() as session:
        assert (await session.exec(select(ServiceItem.code))).all()
