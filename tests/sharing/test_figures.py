"""A provider's figures on the data portal follow its requests: received, pending, decided in
time and the median working days to decide, readable by anyone."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQL
from tests.sharing.helpers import REVIEW, submit, token

FIGURES = """{ org(code: "GW-GAFJ") { sharingFigures { received decided decidedInTime pending
  overdue medianWorkingDays } } }"""
DATASETS = """{ org(code: "GW-GAFJ") { datasets(first: 100) { edges { node { id name shareType
  fields { name } } } } } }"""


@pytest.mark.usefixtures("app")
async def test_figures_count_a_request_and_its_decision(gql: GraphQL) -> None:
    before = (await gql(FIGURES))["data"]["org"]["sharingFigures"]
    requester = await token(gql, "kjcx_admin")
    admin = await token(gql, "admin")
    body = await gql(DATASETS)
    node = next(
        e["node"] for e in body["data"]["org"]["datasets"]["edges"]
        if e["node"]["shareType"] == "CONDITIONAL" and e["node"]["name"].startswith("居住证")
    )  # fmt: skip
    submitted = await submit(gql, requester, node["id"], fieldNames=[node["fields"][0]["name"]])
    assert "errors" not in submitted, submitted["errors"]
    pending = (await gql(FIGURES))["data"]["org"]["sharingFigures"]
    assert pending["received"] == before["received"] + 1
    assert pending["pending"] == before["pending"] + 1

    request = submitted["data"]["submitDatasetRequest"]["request"]
    review = {"requestId": request["id"], "expectedVersion": request["version"],
              "decision": "REJECT", "reason": "用途与申请依据不符"}  # fmt: skip
    await gql(REVIEW, {"i": review}, token=admin)
    after = (await gql(FIGURES))["data"]["org"]["sharingFigures"]
    assert after["pending"] == before["pending"]
    assert after["decided"] == before["decided"] + 1
    assert after["decidedInTime"] == before["decidedInTime"] + 1
    assert after["medianWorkingDays"] is not None and after["medianWorkingDays"] >= 0
