"""The transfer story end to end on the seeded city, with the documented demo accounts."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from hub import migrate
from hub.app import create_app
from hub.auth.passwords import demo_password_hash
from hub.db import create_engine
from hub.seed.load import load_seed
from hub.settings import Settings
from tests.identity.conftest import change_events, make_settings

DEMO_PASSWORD = "hub-demo-2026"

LOGIN = """
mutation L($login: String!, $password: String!) {
  login(input: {loginNo: $login, password: $password}) { accessToken refreshToken }
}
"""
ORG = "query O($code: String!) { org(code: $code) { id name } }"
MEMBERS = """
query M($org: ID!, $search: String) {
  orgMembers(orgId: $org, filter: {search: $search, includeSubtree: true}) {
    totalCount edges { node { id version staff { id loginNo version } } }
  }
}
"""
STAFF = "query S($id: ID!) { staff(id: $id) { loginNo version } }"
NODE = "query N($id: ID!) { node(id: $id) { id } }"
ME = """
query { me { staff { id loginNo version } effectiveRoles { org { id name } roles } } }
"""
SUSPEND = """
mutation S($id: ID!, $v: Int!) {
  suspendStaff(input: {staffId: $id, expectedVersion: $v, reason: "越权尝试"}) { staff { id } }
}
"""
TRANSFER = """
mutation T($id: ID!, $v: Int!, $to: ID!) {
  transferStaff(input: {staffId: $id, expectedVersion: $v, toOrgId: $to, position: "科员",
                        reason: "干部交流"}) { membership { org { name } roles } }
}
"""
END = """
mutation E($id: ID!, $v: Int!) {
  endMembership(input: {membershipId: $id, expectedVersion: $v, endReason: RESIGN,
                        reason: "辞职"}) { staff { status } sessionsEnded }
}
"""
REFRESH = "mutation R($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken } }"
AUDIT = "query { auditEvents { totalCount edges { node { action reason } } } }"


@pytest.fixture(scope="session")
async def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded SQLite file, made once; each test gets a copy."""
    data_dir = tmp_path_factory.mktemp("identity-seed")
    settings = make_settings(data_dir)
    engine = create_engine(settings)
    try:
        await migrate.upgrade(engine, settings)
        await load_seed(
            engine, settings, scale=1, password_hash=demo_password_hash(settings), progress=False
        )
    finally:
        await engine.dispose()
    return data_dir / "hub.sqlite3"


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = await self(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def login(self, login_no: str) -> dict[str, str]:
        data = await self.ok(LOGIN, {"login": login_no, "password": DEMO_PASSWORD})
        return dict(data["login"])


@pytest.fixture
async def seeded(seeded_template: Path, tmp_path: Path) -> AsyncIterator[Client]:
    shutil.copy(seeded_template, tmp_path / "hub.sqlite3")
    settings: Settings = make_settings(tmp_path)
    assert settings.demo_password_value == DEMO_PASSWORD
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Client(http)


def refused(body: dict[str, Any], code: str) -> None:
    assert body["errors"][0]["extensions"]["code"] == code, body
    data = body.get("data")
    assert data is None or all(v is None for v in data.values()), body


async def test_the_transfer_story_on_the_seed(seeded: Client) -> None:
    gql = seeded
    tzcj = (await gql.ok(ORG, {"code": "GW-TZCJ"}))["org"]
    kjcx = (await gql.ok(ORG, {"code": "GW-KJCX"}))["org"]
    assert tzcj["name"].endswith("投资促进局") and kjcx["name"].endswith("科教创新区")

    # given: the admin of 投资促进局 signs in with the demo password and sees its members
    tzcj_admin = (await gql.login("tzcj_admin"))["accessToken"]
    members = await gql.ok(MEMBERS, {"org": tzcj["id"]}, token=tzcj_admin)
    assert members["orgMembers"]["totalCount"] > 10
    found = await gql.ok(MEMBERS, {"org": tzcj["id"], "search": "tzcj_clerk"}, token=tzcj_admin)
    clerk = found["orgMembers"]["edges"][0]["node"]
    clerk_id = clerk["staff"]["id"]
    assert (await gql.ok(STAFF, {"id": clerk_id}, token=tzcj_admin))["staff"]["loginNo"] == (
        "tzcj_clerk"
    )

    # and the admin of 科教创新区 cannot read or change them, by list, node or mutation
    kjcx_admin = (await gql.login("kjcx_admin"))["accessToken"]
    refused(await gql(MEMBERS, {"org": tzcj["id"]}, token=kjcx_admin), "FORBIDDEN")
    refused(await gql(STAFF, {"id": clerk_id}, token=kjcx_admin), "NOT_FOUND")
    refused(await gql(NODE, {"id": clerk_id}, token=kjcx_admin), "NOT_FOUND")
    refused(await gql(NODE, {"id": clerk["id"]}, token=kjcx_admin), "NOT_FOUND")
    refused(
        await gql(SUSPEND, {"id": clerk_id, "v": clerk["staff"]["version"]}, token=kjcx_admin),
        "NOT_FOUND",
    )

    # when: the system admin transfers the 投资促进局 admin to 科教创新区, without roles
    me = (await gql.ok(ME, token=tzcj_admin))["me"]
    assert any("ADMIN" in r["roles"] for r in me["effectiveRoles"])
    system_admin = (await gql.login("admin"))["accessToken"]
    moved = await gql.ok(
        TRANSFER,
        {"id": me["staff"]["id"], "v": me["staff"]["version"], "to": kjcx["id"]},
        token=system_admin,
    )
    assert moved["transferStaff"]["membership"] == {"org": {"name": kjcx["name"]}, "roles": []}

    # then: the same access token lost the old department on its very next request
    refused(await gql(MEMBERS, {"org": tzcj["id"]}, token=tzcj_admin), "FORBIDDEN")
    refused(await gql(STAFF, {"id": clerk_id}, token=tzcj_admin), "NOT_FOUND")
    # and gained nothing it should not have in the new one
    refused(await gql(MEMBERS, {"org": kjcx["id"]}, token=tzcj_admin), "FORBIDDEN")
    roles = (await gql.ok(ME, token=tzcj_admin))["me"]["effectiveRoles"]
    assert not any("ADMIN" in r["roles"] for r in roles)
    assert tzcj["id"] not in [r["org"]["id"] for r in roles]

    # when: the clerk, signed in, resigns from their only post
    clerk_tokens = await gql.login("tzcj_clerk")
    clerk_me = (await gql.ok(ME, token=clerk_tokens["accessToken"]))["me"]
    assert len(clerk_me["effectiveRoles"]) == 1
    memberships = await gql.ok(
        MEMBERS, {"org": tzcj["id"], "search": "tzcj_clerk"}, token=system_admin
    )
    membership = memberships["orgMembers"]["edges"][0]["node"]
    ended = await gql.ok(
        END, {"id": membership["id"], "v": membership["version"]}, token=system_admin
    )
    assert ended["endMembership"] == {"staff": {"status": "DEPARTED"}, "sessionsEnded": 1}

    # then: both their tokens stop working at once
    refused(await gql(ME, token=clerk_tokens["accessToken"]), "UNAUTHENTICATED")
    refused(await gql(REFRESH, {"t": clerk_tokens["refreshToken"]}), "UNAUTHENTICATED")

    # and each change left exactly one audit event
    audit = await gql.ok(AUDIT, token=system_admin)
    assert [e["action"] for e in change_events(audit)] == [
        "membership.end",
        "membership.transfer",
    ]
