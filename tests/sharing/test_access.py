"""Usable, not visible, through the real app on the seeded city: a grant of two fields gives
exactly those two, a claim on a third is refused, every call is logged without the key, and
revocation or a transfer out of the org stops the very next call."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from starlette.applications import Starlette

from hub.db import transaction
from hub.ids import decode_id
from hub.models import DatasetRecord
from hub.sharing.workdays import china_today
from tests.conftest import GraphQL
from tests.sharing.helpers import (
    POPULATION,
    REVIEW,
    REVOKE,
    code,
    dataset,
    submit,
    token,
)

RECORDS = """query($d: ID!, $k: [String!]!) { datasetRecords(datasetId: $d, keys: $k) {
  key found fields } }"""
ALIASED = """query($d: ID!, $k: [String!]!) {
  a: datasetRecords(datasetId: $d, keys: $k) { ...R }
  b: datasetRecords(datasetId: $d, keys: $k) { fields } }
  fragment R on DatasetRecordResult { key fields }"""
VERIFY = """query($d: ID!, $k: String!, $c: JSON!) { verifyDatasetRecord(datasetId: $d, key: $k,
  claims: $c) { found claims { field matches } } }"""
LOG = """query($r: SharingSide!, $d: ID) { datasetAccessLog(role: $r, datasetId: $d, first: 50) {
  totalCount edges { node { outcome mode fieldNames keys keyHash requestId } } } }"""
MEMBERS = """query($o: ID!) { orgMembers(orgId: $o, first: 20) { edges { node {
  postType staff { id loginNo version status } } } } }"""
TRANSFER = (
    """mutation($i: TransferStaffInput!) { transferStaff(input: $i) { staff { version } } }"""
)
ORG = """query($c: String!) { org(code: $c) { id } }"""


async def _records(app: Starlette, dataset_id: str, n: int) -> list[dict[str, Any]]:
    pk = decode_id(dataset_id, "Dataset")
    async with transaction(app.state.hub.sessions) as session:
        rows = await session.exec(
            select(DatasetRecord).where(col(DatasetRecord.dataset_id) == pk).limit(n)
        )
        return [dict(r.data) for r in rows.all()]


async def _grant(gql: GraphQL, requester: str, reviewer: str, dataset_id: str) -> dict[str, Any]:
    """Request four fields in QUERY mode, and have two of them granted for 90 days."""
    until = (china_today() + timedelta(days=300)).isoformat()
    submitted = await submit(gql, requester, dataset_id, requestedUntil=until)
    assert "errors" not in submitted, submitted["errors"]
    request = submitted["data"]["submitDatasetRequest"]["request"]
    approve = {
        "requestId": request["id"],
        "expectedVersion": request["version"],
        "decision": "APPROVE",
        "fieldNames": ["姓名", "公民身份号码"],
        "grantedUntil": (china_today() + timedelta(days=90)).isoformat(),
        "reason": "最小必要",
    }
    approved = await gql(REVIEW, {"i": approve}, token=reviewer)
    return dict(approved["data"]["reviewDatasetRequest"]["grant"])


async def test_usable_not_visible(app: Starlette, gql: GraphQL) -> None:
    clerk = await token(gql, "tzcj_clerk")
    reviewer = await token(gql, "gafj_reviewer")
    population = await dataset(gql, "GW-GAFJ", POPULATION)
    assert population["servedByHub"] and population["keyField"] == "公民身份号码"
    person, other = await _records(app, population["id"], 2)
    key = person["公民身份号码"]
    variables = {"d": population["id"], "k": [key]}

    # without a grant: refused, and logged
    before = await gql(RECORDS, variables, token=clerk, expect_errors=True)
    assert code(before) == "FORBIDDEN"
    grant = await _grant(gql, clerk, reviewer, population["id"])

    # exactly the two granted fields, however the query is written
    body = await gql(RECORDS, {"d": population["id"], "k": [key, "000000000000000000"]},
                     token=clerk)  # fmt: skip
    found, missing = body["data"]["datasetRecords"]
    assert found["found"] and found["fields"] == {"姓名": person["姓名"], "公民身份号码": key}
    assert missing == {"key": "000000000000000000", "found": False, "fields": None}
    aliased = await gql(ALIASED, variables, token=clerk)
    for alias in ("a", "b"):
        assert set(aliased["data"][alias][0]["fields"]) == {"姓名", "公民身份号码"}

    # verification answers yes or no, never a value; a third field is refused
    claims = {"姓名": person["姓名"]}
    yes = await gql(VERIFY, {"d": population["id"], "k": key, "c": claims}, token=clerk)
    assert yes["data"]["verifyDatasetRecord"] == {
        "found": True,
        "claims": [{"field": "姓名", "matches": True}],
    }
    wrong = {"姓名": other["姓名"] if other["姓名"] != person["姓名"] else "不存在的人"}
    no = await gql(VERIFY, {"d": population["id"], "k": key, "c": wrong}, token=clerk)
    assert no["data"]["verifyDatasetRecord"]["claims"] == [{"field": "姓名", "matches": False}]
    third = await gql(VERIFY, {"d": population["id"], "k": key, "c": {"性别": person["性别"]}},
                      token=clerk, expect_errors=True)  # fmt: skip
    assert code(third) == "FORBIDDEN"
    assert person["性别"] not in json.dumps(third, ensure_ascii=False)
    too_many = await gql(RECORDS, {"d": population["id"], "k": [key] * 101}, token=clerk,
                         expect_errors=True)  # fmt: skip
    assert code(too_many) == "BAD_USER_INPUT"
    anonymous = await gql(RECORDS, variables, expect_errors=True)
    assert code(anonymous) == "UNAUTHENTICATED"

    # every signed-in call is logged, denied ones too, the key only as a keyed hash
    mine = await gql(LOG, {"r": "REQUESTER", "d": population["id"]}, token=clerk)
    theirs = await gql(LOG, {"r": "PROVIDER", "d": population["id"]}, token=reviewer)
    outcomes = [e["node"]["outcome"] for e in mine["data"]["datasetAccessLog"]["edges"]]
    for wanted in ("NO_GRANT", "ANSWERED", "FIELD_NOT_GRANTED", "BAD_INPUT"):
        assert wanted in outcomes
    assert theirs["data"]["datasetAccessLog"]["totalCount"] >= len(outcomes)
    for log in (mine, theirs):
        text = json.dumps(log, ensure_ascii=False)
        assert key not in text and person["姓名"] not in text

    # revoked: the very next call is refused
    revoke = {"grantId": grant["id"], "expectedVersion": grant["version"], "reason": "停止使用"}
    await gql(REVOKE, {"i": revoke}, token=reviewer)
    after = await gql(RECORDS, variables, token=clerk, expect_errors=True)
    assert code(after) == "FORBIDDEN"


async def test_a_transfer_out_of_the_org_stops_the_next_call(app: Starlette, gql: GraphQL) -> None:
    admin = await token(gql, "admin")
    reviewer = await token(gql, "gafj_reviewer")
    tzcj = (await gql(ORG, {"c": "GW-TZCJ"}))["data"]["org"]["id"]
    elsewhere = (await gql(ORG, {"c": "GW-KJCX"}))["data"]["org"]["id"]
    members = await gql(MEMBERS, {"o": tzcj}, token=admin)
    mover = next(
        e["node"]["staff"] for e in members["data"]["orgMembers"]["edges"]
        if e["node"]["postType"] == "PRIMARY" and e["node"]["staff"]["status"] == "ACTIVE"
        and not e["node"]["staff"]["loginNo"].startswith("tzcj_")
    )  # fmt: skip
    mover_token = await token(gql, mover["loginNo"])
    population = await dataset(gql, "GW-GAFJ", POPULATION)
    await _grant(gql, mover_token, reviewer, population["id"])
    (person,) = await _records(app, population["id"], 1)
    variables = {"d": population["id"], "k": [person["公民身份号码"]]}
    assert (await gql(RECORDS, variables, token=mover_token))["data"]["datasetRecords"][0]["found"]

    moved = {
        "staffId": mover["id"],
        "expectedVersion": mover["version"],
        "toOrgId": elsewhere,
        "reason": "工作调动",
    }
    await gql(TRANSFER, {"i": moved}, token=admin)
    after = await gql(RECORDS, variables, token=mover_token, expect_errors=True)
    assert code(after) == "FORBIDDEN"


async def test_a_daily_quota_answers_quota_exceeded(app: Starlette, gql: GraphQL) -> None:
    requester = await token(gql, "kjcx_admin")
    reviewer = await token(gql, "gafj_reviewer")
    population = await dataset(gql, "GW-GAFJ", POPULATION)
    submitted = await submit(gql, requester, population["id"], fieldNames=["姓名"],
                             accessMode="VERIFY")  # fmt: skip
    assert "errors" not in submitted, submitted["errors"]
    request = submitted["data"]["submitDatasetRequest"]["request"]
    approve = {"requestId": request["id"], "expectedVersion": request["version"],
               "decision": "APPROVE", "dailyQuota": 2}  # fmt: skip
    await gql(REVIEW, {"i": approve}, token=reviewer)
    (person,) = await _records(app, population["id"], 1)
    variables = {"d": population["id"], "k": person["公民身份号码"], "c": {"姓名": person["姓名"]}}
    for _ in range(2):
        answered = await gql(VERIFY, variables, token=requester)
        assert answered["data"]["verifyDatasetRecord"]["found"]
    third = await gql(VERIFY, variables, token=requester, expect_errors=True)
    assert code(third) == "QUOTA_EXCEEDED"
    log = await gql(LOG, {"r": "REQUESTER", "d": population["id"]}, token=requester)
    outcomes = [e["node"]["outcome"] for e in log["data"]["datasetAccessLog"]["edges"]]
    assert outcomes[:3] == ["QUOTA_EXCEEDED", "ANSWERED", "ANSWERED"]
