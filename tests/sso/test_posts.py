"""Tokens die with the post: a relying party's introspection and userinfo follow a transfer
or a departure on the very next call, and a departure sends a back-channel logout token."""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

from hub.ids import to_global_id
from hub.sso.tokens import BACKCHANNEL_EVENT
from tests.identity.conftest import World
from tests.sso.conftest import (
    ISSUER,
    Browser,
    RelyingParty,
    add_client,
    oauth_client,
    redirect_params,
)

TRANSFER = """
mutation Transfer($input: TransferStaffInput!) {
  transferStaff(input: $input) { membership { org { name } } }
}
"""
END = """
mutation End($input: EndMembershipInput!) {
  endMembership(input: $input) { staff { status } sessionsEnded }
}
"""
VERIFIER = "pkce-verifier-" + "x" * 40


async def signed_in(
    world: World,
    browser: Browser,
    client_id: str,
    secret: str | None,
    redirect_uri: str,
    login: str,
) -> tuple[Any, dict[str, Any]]:
    rp = oauth_client(world, client_id, secret, redirect_uri)
    url, _ = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=VERIFIER)
    answer = await browser.sign_in(url, login)
    token = await rp.fetch_token(
        f"{ISSUER}/sso/token",
        authorization_response=answer.headers["location"],
        code_verifier=VERIFIER,
    )
    return rp, token


async def introspect(rp: Any, token: dict[str, Any]) -> dict[str, Any]:
    answer = await rp.introspect_token(f"{ISSUER}/sso/introspect", token["access_token"])
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


async def test_after_a_transfer_introspection_shows_the_new_posts(
    sso_world: World, browser: Browser
) -> None:
    world = sso_world
    client_id, secret = await add_client(world)
    rp, token = await signed_in(
        world, browser, client_id, secret, "http://127.0.0.1:9/callback", "tzcj_admin"
    )
    before = await introspect(rp, token)
    assert [p["org_name"] for p in before["posts"]] == ["投资促进局"]
    assert before["posts"][0]["roles"] == ["admin"]
    version = (await world.staff_row("tzcj_admin")).version
    # when: the 管委会 admin moves them to 科教创新区
    await world.ok(
        TRANSFER,
        {
            "input": {
                "staffId": world.gid("Staff", "tzcj_admin"),
                "expectedVersion": version,
                "toOrgId": world.gid("Org", "kjcx"),
                "position": "副主任",
                "reason": "干部交流",
            }
        },
        as_="root_admin",
    )
    # then: the very same access token, on the next call
    after = await introspect(rp, token)
    assert after["active"] is True
    assert after["posts"] == [
        {
            "org_code": "GW-KJCX",
            "org_name": "科教创新区",
            "org_path": "/1/3/",
            "post_type": "primary",
            "position": "副主任",
            "rank": "一级科员",  # not given in the transfer: the post left's
            "roles": [],
        }
    ]
    info = (await rp.get(f"{ISSUER}/sso/userinfo")).json()
    assert info["posts"] == after["posts"]
    await rp.aclose()


async def test_a_departure_sends_a_logout_token_and_ends_every_token(
    sso_world: World, browser: Browser, relying_party: RelyingParty
) -> None:
    world = sso_world
    client_id, secret = await add_client(world, relying_party)
    rp, token = await signed_in(
        world, browser, client_id, secret, f"{relying_party.base}/callback", "tzcj_clerk"
    )
    assert (await introspect(rp, token))["active"] is True
    (membership,) = await world.active_memberships("tzcj_clerk")
    # when: their only post ends
    data = await world.ok(
        END,
        {
            "input": {
                "membershipId": to_global_id("Membership", membership.id or 0),
                "expectedVersion": membership.version,
                "endReason": "RESIGN",
                "reason": "个人原因辞职",
            }
        },
        as_="tzcj_admin",
    )
    assert data["endMembership"]["staff"]["status"] == "DEPARTED"
    # then: introspection says inactive at once, and userinfo refuses
    assert await introspect(rp, token) == {"active": False}
    refused = await rp.get(f"{ISSUER}/sso/userinfo")
    assert refused.status_code == 401 and "invalid_token" in refused.headers["www-authenticate"]
    # and the relying party receives a logout token it can verify
    (logout_token,) = await relying_party.wait_for(1)
    keys = KeySet.import_key_set((await world.http.get("/sso/jwks")).json())
    decoded = jwt.decode(logout_token, keys, algorithms=["RS256"])
    claims = decoded.claims
    assert decoded.header["typ"] == "logout+jwt"
    assert claims["iss"] == ISSUER and claims["aud"] == client_id
    assert claims["sub"] == to_global_id("Staff", world.staff["tzcj_clerk"])
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}
    assert "sid" in claims and "nonce" not in claims
    id_claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["sid"] == id_claims["sid"]
    # the refresh token is dead too
    renewed = await rp.post(
        f"{ISSUER}/sso/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(client_id, secret or ""),
    )
    assert renewed.json()["error"] == "invalid_grant"
    await rp.aclose()


async def test_a_client_for_one_subtree_refuses_staff_of_another(
    sso_world: World, browser: Browser
) -> None:
    world = sso_world
    client_id, secret = await add_client(world, org_codes=["GW-KJCX"])
    redirect_uri = "http://127.0.0.1:9/callback"
    rp = oauth_client(world, client_id, secret, redirect_uri)
    url, state = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=VERIFIER)
    refused = redirect_params(await browser.sign_in(url, "tzcj_clerk"))
    assert refused["error"] == "access_denied" and refused["state"] == state
    assert "code" not in refused
    # staff of 科教创新区 (its office included) sign in
    other = Browser(world)
    allowed = redirect_params(await other.sign_in(url, "kjcx_clerk"))
    assert "code" in allowed
    await other.aclose()
    await rp.aclose()


APPLY = """
mutation A($input: ApplyForTransferInput!) {
  applyForTransfer(input: $input) { application { id version } }
}
"""
DECIDE = """
mutation D($input: DecideTransferApplicationInput!) {
  decideTransferApplication(input: $input) { application { status } }
}
"""


async def test_an_approved_transfer_logs_out_of_a_system_of_the_old_org_at_once(
    sso_world: World, browser: Browser, relying_party: RelyingParty
) -> None:
    """The online transfer application (在线提出申请): approval moves the person, and the
    relying party open only to the old org's subtree gets a logout token at once, while one
    open to every staff member answers with the new post."""
    world = sso_world
    tzcj_only = await add_client(world, relying_party, name="招商项目库", org_codes=["GW-TZCJ"])
    everyone = await add_client(world, name="协同办公")
    rp_old, token_old = await signed_in(
        world, browser, *tzcj_only, f"{relying_party.base}/callback", "tzcj_clerk"
    )
    rp_all, token_all = await signed_in(
        world, browser, *everyone, "http://127.0.0.1:9/callback", "tzcj_clerk"
    )
    # when: the clerk applies to move to 科教创新区, and its admin approves
    applied = await world.ok(
        APPLY,
        {
            "input": {
                "staffId": world.gid("Staff", "tzcj_clerk"),
                "toOrgId": world.gid("Org", "kjcx"),
                "reason": "本人申请",
            }
        },
        as_="tzcj_clerk",
    )
    application = applied["applyForTransfer"]["application"]
    decided = await world.ok(
        DECIDE,
        {
            "input": {
                "applicationId": application["id"],
                "expectedVersion": application["version"],
                "approve": True,
            }
        },
        as_="kjcx_admin",
    )
    assert decided["decideTransferApplication"]["application"]["status"] == "APPROVED"
    # then: out of 招商项目库 at once, with a logout token; 协同办公 sees the new post
    assert await introspect(rp_old, token_old) == {"active": False}
    (logout_token,) = await relying_party.wait_for(1)
    keys = KeySet.import_key_set((await world.http.get("/sso/jwks")).json())
    assert jwt.decode(logout_token, keys, algorithms=["RS256"]).claims["aud"] == tzcj_only[0]
    moved = await introspect(rp_all, token_all)
    assert moved["active"] is True
    assert [p["org_name"] for p in moved["posts"]] == ["科教创新区"]
    for rp in (rp_old, rp_all):
        await rp.aclose()
