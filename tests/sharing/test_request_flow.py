"""The request flow through the real app on the seeded city: demand list → request →
provider review → grant → revocation, with who may do what, and concurrent reviews."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from hub.sharing.workdays import add_workdays, china_today
from tests.conftest import GraphQL
from tests.sharing.helpers import (
    ADD,
    DEMAND,
    FOUR,
    GRANTS,
    POPULATION,
    REQUESTS,
    REVIEW,
    REVOKE,
    code,
    dataset,
    submit,
    token,
)


@pytest.mark.usefixtures("app")
async def test_the_story_from_demand_list_to_revocation(gql: GraphQL) -> None:
    clerk = await token(gql, "tzcj_clerk")
    reviewer = await token(gql, "admin")
    other_reviewer = await token(gql, "tzcj_reviewer")
    population = await dataset(gql, "GW-GAFJ", POPULATION)
    assert population["provider"]["code"] == "GW-GAFJ"
    assert population["shareType"] == "CONDITIONAL"

    # the clerk puts it on the demand list: kept for the org, seen by its staff
    added = await gql(ADD, {"d": population["id"], "f": FOUR}, token=clerk)
    assert added["data"]["addToDemandList"]["fieldNames"] == [
        n for n in ["姓名", "公民身份号码", "性别", "户籍地址"] if n in FOUR
    ]
    listed = await gql(DEMAND, token=other_reviewer)  # same org (投资促进局)
    assert POPULATION in [
        e["node"]["dataset"]["name"] for e in listed["data"]["demandList"]["edges"]
    ]

    # requests four fields in QUERY mode: pending, due in 10 working days
    until = (china_today() + timedelta(days=300)).isoformat()
    submitted = await submit(gql, clerk, population["id"], requestedUntil=until)
    assert "errors" not in submitted, submitted["errors"]
    request = submitted["data"]["submitDatasetRequest"]["request"]
    assert request["status"] == "SUBMITTED" and not request["automatic"]
    assert request["dueOn"] == add_workdays(china_today(), 10).isoformat()
    assert request["requesterOrg"]["code"] == "GW-TZCJ"
    assert submitted["data"]["submitDatasetRequest"]["grant"] is None
    listed = await gql(DEMAND, token=clerk)  # requested: off the demand list
    assert POPULATION not in [
        e["node"]["dataset"]["name"] for e in listed["data"]["demandList"]["edges"]
    ]
    again = await submit(gql, clerk, population["id"])
    assert code(again) == "BAD_USER_INPUT"

    # nobody outside the provider's subtree reviews; anonymous sees nothing
    review = {"requestId": request["id"], "expectedVersion": request["version"]}
    outsider = await gql(REVIEW, {"i": {**review, "decision": "APPROVE"}}, token=other_reviewer,
                         expect_errors=True)  # fmt: skip
    assert code(outsider) == "FORBIDDEN"
    for query in (REQUESTS, GRANTS):
        anonymous = await gql(query, {"r": "REQUESTER"}, expect_errors=True)
        assert code(anonymous) == "UNAUTHENTICATED"
    clerk_as_provider = await gql(REQUESTS, {"r": "PROVIDER"}, token=clerk, expect_errors=True)
    assert code(clerk_as_provider) == "FORBIDDEN"

    # narrowing without a reason is refused, changing nothing
    shorter = (china_today() + timedelta(days=90)).isoformat()
    narrowed = {**review, "decision": "APPROVE", "fieldNames": ["姓名", "公民身份号码"],
                "grantedUntil": shorter}  # fmt: skip
    refused = await gql(REVIEW, {"i": narrowed}, token=reviewer, expect_errors=True)
    assert code(refused) == "BAD_USER_INPUT"
    wider = {**review, "decision": "APPROVE", "fieldNames": ["姓名", "民族"], "reason": "x"}
    refused = await gql(REVIEW, {"i": wider}, token=reviewer, expect_errors=True)
    assert code(refused) == "BAD_USER_INPUT"

    # the provider's reviewer approves two fields for a shorter period
    approved = await gql(
        REVIEW, {"i": {**narrowed, "reason": "最小必要：仅核验身份"}}, token=reviewer
    )
    grant = approved["data"]["reviewDatasetRequest"]["grant"]
    assert grant["fieldNames"] == ["姓名", "公民身份号码"]
    assert grant["endsOn"] == shorter and grant["status"] == "ACTIVE"
    assert approved["data"]["reviewDatasetRequest"]["request"]["status"] == "APPROVED"
    stale = await gql(REVIEW, {"i": {**review, "decision": "REJECT", "reason": "x"}},
                      token=reviewer, expect_errors=True)  # fmt: skip
    assert code(stale) == "CONFLICT"

    # by global id: the org that asked and the provider's reviewers, nobody else
    node = "query($id: ID!) { node(id: $id) { ... on DatasetRequest { status } } }"
    for viewer in (clerk, reviewer):
        seen = await gql(node, {"id": request["id"]}, token=viewer)
        assert seen["data"]["node"] == {"status": "APPROVED"}
    stranger = await token(gql, "kjcx_admin")
    for viewer in (None, stranger):
        hidden = await gql(node, {"id": request["id"]}, token=viewer, expect_errors=True)
        assert code(hidden) == "NOT_FOUND"

    # both sides see the grant
    mine = await gql(GRANTS, {"r": "REQUESTER"}, token=clerk)
    theirs = await gql(GRANTS, {"r": "PROVIDER"}, token=reviewer)
    for side in (mine, theirs):
        assert grant["id"] in [e["node"]["id"] for e in side["data"]["datasetGrants"]["edges"]]

    # revocation: the requester cannot, the provider can, once
    revoke = {"grantId": grant["id"], "expectedVersion": grant["version"], "reason": "用途变更"}
    denied = await gql(REVOKE, {"i": revoke}, token=clerk, expect_errors=True)
    assert code(denied) == "FORBIDDEN"
    revoked = await gql(REVOKE, {"i": revoke}, token=reviewer)
    assert revoked["data"]["revokeDatasetGrant"]["status"] == "REVOKED"
    twice = await gql(REVOKE, {"i": revoke}, token=reviewer, expect_errors=True)
    assert code(twice) == "CONFLICT"


@pytest.mark.usefixtures("app")
async def test_unconditional_is_granted_at_once_and_none_is_refused(gql: GraphQL) -> None:
    clerk = await token(gql, "kjcx_admin")
    body = await gql(
        """{ u: datasets(filter: {shareTypes: [UNCONDITIONAL]}, first: 1) { edges { node { id
             fields { name } } } }
             n: datasets(filter: {shareTypes: [NONE]}, first: 1) { edges { node { id
             fields { name } shareCondition } } } }"""
    )
    free = body["data"]["u"]["edges"][0]["node"]
    closed = body["data"]["n"]["edges"][0]["node"]
    names = [f["name"] for f in free["fields"]][:2]
    granted = await submit(gql, clerk, free["id"], fieldNames=names, accessMode="VERIFY")
    assert "errors" not in granted, granted["errors"]
    payload = granted["data"]["submitDatasetRequest"]
    assert payload["request"]["status"] == "APPROVED" and payload["request"]["automatic"]
    assert payload["grant"] is not None
    refused = await submit(gql, clerk, closed["id"], fieldNames=[closed["fields"][0]["name"]])
    assert code(refused) == "BAD_USER_INPUT"
    assert "不予共享" in refused["errors"][0]["message"]


@pytest.mark.usefixtures("app")
async def test_concurrent_reviews_one_wins_the_other_conflicts(gql: GraphQL) -> None:
    requester = await token(gql, "tzcj_admin")
    reviewer = await token(gql, "admin")
    admin = await token(gql, "admin")
    body = await gql(
        """{ org(code: "GW-GAFJ") { datasets(first: 100) { edges { node { id name shareType
             fields { name } } } } } }"""
    )
    node = next(
        e["node"] for e in body["data"]["org"]["datasets"]["edges"]
        if e["node"]["shareType"] == "CONDITIONAL" and e["node"]["name"] != POPULATION
    )  # fmt: skip
    submitted = await submit(gql, requester, node["id"], fieldNames=[node["fields"][0]["name"]])
    assert "errors" not in submitted, submitted["errors"]
    request = submitted["data"]["submitDatasetRequest"]["request"]
    review = {"requestId": request["id"], "expectedVersion": request["version"]}
    first, second = await asyncio.gather(
        gql(REVIEW, {"i": {**review, "decision": "APPROVE"}}, token=reviewer, expect_errors=True),
        gql(REVIEW, {"i": {**review, "decision": "REJECT", "reason": "不符合最小必要"}},
            token=admin, expect_errors=True),
    )  # fmt: skip
    outcomes = sorted("ok" if "errors" not in b else code(b) for b in (first, second))
    assert outcomes == ["CONFLICT", "ok"]
