"""免提交 holds only when the implementing org may look the data up: a material the catalogue
marks exempt is shown as exempt once the service's org holds an active grant on the dataset
behind it, and the graph names the missing grant until then."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQL
from tests.sharing.helpers import REVIEW, code, submit, token

SERVICES = """{ services(first: 100) { edges { node { code org { id code }
  materials { exemption exempt exemptionBackedBy { id } exemptionMissing { id name shareType
    provider { code } fields { name } } } } } } }"""
SERVICE = """query($c: String!) { service(code: $c) { materials { exemption exempt
  exemptionBackedBy { id } exemptionMissing { id } } } }"""
MEMBERS = """query($o: ID!) { orgMembers(orgId: $o, first: 50) { edges { node {
  postType staff { loginNo status } } } } }"""
REVOKE = """mutation($i: RevokeDatasetGrantInput!) { revokeDatasetGrant(input: $i) { status } }"""


def _claimed_but_missing(
    services: list[dict[str, Any]],
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    found = [
        (service, material["exemptionMissing"])
        for service in services
        for material in service["materials"]
        if material["exemptionMissing"]
        and material["exemptionMissing"]["shareType"] != "NONE"
        and material["exemptionMissing"]["provider"]["code"] != service["org"]["code"]
    ]
    assert found, "the seed has no 免提交 material without its grant"
    return found


@pytest.mark.usefixtures("app")
async def test_exempt_once_the_implementing_org_holds_a_grant(gql: GraphQL) -> None:
    admin = await token(gql, "admin")
    body = await gql(SERVICES)
    services = [e["node"] for e in body["data"]["services"]["edges"]]
    claimed = [m for s in services for m in s["materials"] if m["exemption"] != "NONE"]
    assert claimed, "the seed marks materials 免提交"
    assert any(m["exempt"] for m in claimed), "the seed backs some of them with grants"
    for material in claimed:  # exempt exactly when backed; never exempt and missing
        assert material["exempt"] == (material["exemptionBackedBy"] is not None)
        assert not (material["exempt"] and material["exemptionMissing"])
    for service, dataset in _claimed_but_missing(services):
        members = await gql(MEMBERS, {"o": service["org"]["id"]}, token=admin)
        login = next(
            e["node"]["staff"]["loginNo"] for e in members["data"]["orgMembers"]["edges"]
            if e["node"]["postType"] == "PRIMARY" and e["node"]["staff"]["status"] == "ACTIVE"
        )  # fmt: skip
        clerk = await token(gql, login)
        field = dataset["fields"][0]["name"]
        submitted = await submit(gql, clerk, dataset["id"], fieldNames=[field],
                                 accessMode="VERIFY")  # fmt: skip
        if "errors" not in submitted:
            break
        assert "pending request" in submitted["errors"][0]["message"], submitted["errors"]
    payload = submitted["data"]["submitDatasetRequest"]
    grant = payload["grant"]
    if grant is None:  # 有条件共享: the provider decides
        request = payload["request"]
        review = {"requestId": request["id"], "expectedVersion": request["version"],
                  "decision": "APPROVE"}  # fmt: skip
        approved = await gql(REVIEW, {"i": review}, token=admin)
        grant = approved["data"]["reviewDatasetRequest"]["grant"]

    after = await gql(SERVICE, {"c": service["code"]})
    backed = [
        m for m in after["data"]["service"]["materials"]
        if (m["exemptionBackedBy"] or {}).get("id") == dataset["id"]
    ]  # fmt: skip
    assert backed and all(m["exempt"] and m["exemptionMissing"] is None for m in backed)

    # revoked: the material must be handed in again
    revoke = {"grantId": grant["id"], "expectedVersion": grant["version"], "reason": "到期不再使用"}
    revoked = await gql(REVOKE, {"i": revoke}, token=admin, expect_errors=True)
    assert "errors" not in revoked, code(revoked)
    again = await gql(SERVICE, {"c": service["code"]})
    missing = [
        m for m in again["data"]["service"]["materials"]
        if (m["exemptionMissing"] or {}).get("id") == dataset["id"]
    ]  # fmt: skip
    assert missing and not any(m["exempt"] for m in missing)
