"""client_credentials: a business system calls hub's API on behalf of its owner org, as its
service account (系统账号), by the same per-request check as a person; revoking the client
stops it on the next call."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import select

from hub.models import AuditEvent
from tests.identity.conftest import World
from tests.sso.conftest import ISSUER, Browser, add_client, oauth_client

ME = "{ me { staff { name loginNo } effectiveRoles { org { name } roles } } }"
LOG = "{ datasetAccessLog(role: REQUESTER, first: 5) { totalCount } }"


async def gql(world: World, query: str, token: str) -> dict[str, Any]:
    answer = await world.http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = answer.json()
    return body


async def all_events(world: World) -> list[AuditEvent]:
    async with world.db() as session:
        return list((await session.exec(select(AuditEvent))).all())


async def token_for(world: World, client_id: str, secret: str | None) -> httpx.Response:
    return await world.http.post(
        "/sso/token",
        data={"grant_type": "client_credentials", "scope": "api"},
        auth=(client_id, secret or ""),
    )


async def test_a_system_calls_hub_for_its_org_until_it_is_revoked(sso_world: World) -> None:
    world = sso_world
    client_id, secret = await add_client(
        world, name="投资促进局项目库", redirect_uris=[], scopes=["api"], owner_org_code="GW-TZCJ"
    )
    issued = (await token_for(world, client_id, secret)).json()
    assert issued["token_type"] == "Bearer" and issued["scope"] == "api"
    assert "refresh_token" not in issued and "id_token" not in issued
    me = (await gql(world, ME, issued["access_token"]))["data"]["me"]
    assert me["staff"]["name"] == "投资促进局项目库（系统账号）"
    assert me["effectiveRoles"] == [{"org": {"name": "投资促进局"}, "roles": []}]
    assert "errors" not in await gql(world, LOG, issued["access_token"])
    issues = [e for e in await all_events(world) if e.action == "sso.token"]
    assert [e.after for e in issues] == [{"client_id": client_id, "grant": "client_credentials"}]
    # introspection tells the system what the token is
    seen = await world.http.post(
        "/sso/introspect", data={"token": issued["access_token"]}, auth=(client_id, secret or "")
    )
    assert seen.json()["active"] is True and seen.json()["sub"] == client_id
    # when: the client is revoked, the very same token stops at once
    revoke = "mutation V($id: String!) { revokeSsoClient(clientId: $id) { revokedAt } }"
    await world.ok(revoke, {"id": client_id}, as_="admin")
    refused = await gql(world, ME, issued["access_token"])
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await token_for(world, client_id, secret)).json()["error"] == "invalid_client"


async def test_only_a_confidential_client_with_the_api_scope_gets_such_a_token(
    sso_world: World, browser: Browser
) -> None:
    world = sso_world
    client_id, secret = await add_client(world)  # openid profile posts: people sign in
    refused = await token_for(world, client_id, secret)
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    # and a person's token from a relying party is not a key to hub's API
    rp = oauth_client(world, client_id, secret, "http://127.0.0.1:9/callback")
    verifier = "q" * 50
    url, _ = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=verifier)
    answer = await browser.sign_in(url, "tzcj_clerk")
    token = await rp.fetch_token(
        f"{ISSUER}/sso/token",
        authorization_response=answer.headers["location"],
        code_verifier=verifier,
    )
    at_api = await gql(world, ME, token["access_token"])
    assert at_api["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await rp.aclose()
