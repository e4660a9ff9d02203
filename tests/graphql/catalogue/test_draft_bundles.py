"""一件事 bundles that are not published (drafts, and retired ones) stay hidden from the public
on every path: ``node``, ``nodes``, ``ServiceItem.bundles`` and the ``bundles`` list; the
published ones still show."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import delete
from sqlmodel import col, select
from starlette.applications import Starlette

from hub.ids import to_global_id
from hub.models import Bundle, BundleItem, ServiceItem
from hub.models.enums import ServiceStatus
from tests.conftest import GraphQL

# A published item of the seeded 新生儿出生一件事 (B-XSECS), a published bundle.
SERVICE_NAME = "出生医学证明办理"
PUBLISHED_BUNDLE = "B-XSECS"
HIDDEN_BUNDLE = "B-TEST-HIDDEN"

SERVICE_BUNDLES = """
query ServiceBundles($code: String!) {
  service(code: $code) { code bundles { id code name } }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Bundle { code } } }"
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id ... on Bundle { code } } }"
BUNDLES = "{ bundles { id code } }"


@dataclass(frozen=True)
class HiddenBundle:
    id: str
    published_id: str
    service_code: str


@pytest.fixture(params=[ServiceStatus.DRAFT, ServiceStatus.RETIRED], ids=lambda s: s.value)
async def hidden_bundle(
    request: pytest.FixtureRequest, app: Starlette
) -> AsyncIterator[HiddenBundle]:
    """A bundle that is not published, holding a published item of a published bundle, in the
    shared seeded database for the length of one test, and gone again after it."""
    sessions = app.state.hub.sessions
    async with sessions() as session:
        service = (
            await session.exec(
                select(ServiceItem).where(
                    col(ServiceItem.name) == SERVICE_NAME,
                    col(ServiceItem.status) == ServiceStatus.PUBLISHED,
                )
            )
        ).one()
        published = (
            await session.exec(select(Bundle).where(col(Bundle.code) == PUBLISHED_BUNDLE))
        ).one()
        assert published.status == ServiceStatus.PUBLISHED
        hidden = Bundle(
            code=HIDDEN_BUNDLE,
            name="测试用未发布一件事",
            description="Only for tests: must never be visible.",
            lead_org_id=published.lead_org_id,
            life_event_id=published.life_event_id,
            status=request.param,
        )
        session.add(hidden)
        await session.flush()
        assert hidden.id is not None and service.id is not None and published.id is not None
        session.add(BundleItem(bundle_id=hidden.id, service_id=service.id, position=1))
        await session.commit()
        hidden_id, published_id, service_code = hidden.id, published.id, service.code
    try:
        yield HiddenBundle(
            id=to_global_id("Bundle", hidden_id),
            published_id=to_global_id("Bundle", published_id),
            service_code=service_code,
        )
    finally:
        async with sessions() as session:
            await session.exec(delete(BundleItem).where(col(BundleItem.bundle_id) == hidden_id))
            await session.exec(delete(Bundle).where(col(Bundle.id) == hidden_id))
            await session.commit()


async def test_node_answers_not_found_for_a_hidden_bundle(
    gql: GraphQL, hidden_bundle: HiddenBundle
) -> None:
    # when the hidden bundle is asked for by its id
    body = await gql(NODE, {"id": hidden_bundle.id}, expect_errors=True)
    # then it is not found, exactly as an id that names nothing
    assert body["data"] == {"node": None}
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("NOT_FOUND", ["node"])
    ]
    # and a published bundle still is
    shown = await gql(NODE, {"id": hidden_bundle.published_id})
    assert shown["data"]["node"] == {"id": hidden_bundle.published_id, "code": PUBLISHED_BUNDLE}


async def test_nodes_answers_null_for_a_hidden_bundle(
    gql: GraphQL, hidden_bundle: HiddenBundle
) -> None:
    body = await gql(NODES, {"ids": [hidden_bundle.id, hidden_bundle.published_id]})
    assert body["data"]["nodes"] == [
        None,
        {"id": hidden_bundle.published_id, "code": PUBLISHED_BUNDLE},
    ]


async def test_service_item_bundles_lists_only_published_bundles(
    gql: GraphQL, hidden_bundle: HiddenBundle
) -> None:
    # when the public asks which bundles include the item that the hidden bundle holds
    body = await gql(SERVICE_BUNDLES, {"code": hidden_bundle.service_code})
    bundles = body["data"]["service"]["bundles"]
    # then the published bundle is listed and the hidden one is not
    codes = [b["code"] for b in bundles]
    assert PUBLISHED_BUNDLE in codes
    assert HIDDEN_BUNDLE not in codes
    assert hidden_bundle.id not in [b["id"] for b in bundles]


async def test_bundles_list_leaves_the_hidden_bundle_out(
    gql: GraphQL, hidden_bundle: HiddenBundle
) -> None:
    codes = [b["code"] for b in (await gql(BUNDLES))["data"]["bundles"]]
    assert PUBLISHED_BUNDLE in codes
    assert HIDDEN_BUNDLE not in codes
    assert len(codes) == len(set(codes)) >= 10
