"""Signing out and signing keys: RP-initiated logout ends every relying party's session of the
browser and sends back-channel logout to the others; a relying party that is down gets its
logout token once it is up again; tokens signed before a key rotation still verify."""

from __future__ import annotations

import asyncio
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlmodel import col, select

from hub.models import AuditEvent, SsoLogout
from hub.sso.keys import rotate
from tests.identity.conftest import World
from tests.sso.conftest import ISSUER, Browser, RelyingParty, add_client, oauth_client

VERIFIER = "pkce-verifier-" + "y" * 40


async def sign_in_to(
    world: World, browser: Browser, client: tuple[str, str | None], redirect_uri: str
) -> tuple[Any, dict[str, Any]]:
    rp = oauth_client(world, client[0], client[1], redirect_uri)
    url, _ = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=VERIFIER)
    answer = await browser.sign_in(url, "tzcj_clerk")
    token = await rp.fetch_token(
        f"{ISSUER}/sso/token",
        authorization_response=answer.headers["location"],
        code_verifier=VERIFIER,
    )
    return rp, token


async def active(rp: Any, token: dict[str, Any]) -> bool:
    answer = await rp.introspect_token(f"{ISSUER}/sso/introspect", token["access_token"])
    return bool(answer.json()["active"])


async def test_rp_initiated_logout_ends_the_browser_and_tells_the_other_rps(
    sso_world: World, browser: Browser, relying_party: RelyingParty
) -> None:
    world = sso_world
    mail = await add_client(world, relying_party, name="协同办公")
    archive = await add_client(world, relying_party, name="档案系统")
    mail_rp, mail_token = await sign_in_to(world, browser, mail, f"{relying_party.base}/callback")
    archive_rp, archive_token = await sign_in_to(
        world, browser, archive, f"{relying_party.base}/callback"
    )
    assert await active(mail_rp, mail_token) and await active(archive_rp, archive_token)
    # when: 协同办公 sends the person to hub's logout with its ID token
    answer = await browser.http.get(
        "/sso/logout",
        params={
            "id_token_hint": mail_token["id_token"],
            "post_logout_redirect_uri": f"{relying_party.base}/signed-out",
            "state": "bye",
        },
    )
    # then: back to the registered address, signed out everywhere
    assert answer.status_code == 302
    assert answer.headers["location"] == f"{relying_party.base}/signed-out?state=bye"
    assert not await active(mail_rp, mail_token)
    assert not await active(archive_rp, archive_token)
    (logout_token,) = await relying_party.wait_for(1)
    claims = jwt.decode(
        logout_token,
        KeySet.import_key_set((await world.http.get("/sso/jwks")).json()),
        algorithms=["RS256"],
    ).claims
    assert claims["aud"] == archive[0]  # the one that asked is not told again
    # the browser must sign in again
    again = await browser.open(mail_rp.create_authorization_url(f"{ISSUER}/sso/authorize")[0])
    assert again.status_code == 200 and 'name="password"' in again.text
    for rp in (mail_rp, archive_rp):
        await rp.aclose()


async def test_logout_without_an_id_token_asks_first(sso_world: World, browser: Browser) -> None:
    answer = await browser.open("/sso/logout")
    assert answer.status_code == 200 and "退出登录" in answer.text
    assert 'name="csrf"' in answer.text
    # a forged POST without the browser's CSRF token changes nothing
    forged = await browser.http.post("/sso/logout", data={"csrf": "x" * 32})
    assert forged.status_code == 200 and 'name="csrf"' in forged.text


async def test_a_logout_owed_to_a_relying_party_that_is_down_waits_for_it(
    sso_world: World, browser: Browser, relying_party: RelyingParty
) -> None:
    world = sso_world
    hub = world.app.state.hub
    client = await add_client(world, relying_party)
    rp, token = await sign_in_to(world, browser, client, f"{relying_party.base}/callback")
    relying_party.down = True
    # when: the person is suspended while the relying party is down
    version = (await world.staff_row("tzcj_clerk")).version
    await world.ok(
        "mutation S($id: ID!, $v: Int!) { suspendStaff(input: {staffId: $id, "
        'expectedVersion: $v, reason: "调查"}) { staff { status } } }',
        {"id": world.gid("Staff", "tzcj_clerk"), "v": version},
        as_="tzcj_admin",
    )
    assert not await active(rp, token)
    # then: the first delivery fails and the logout stays owed
    for _ in range(200):
        if hub.logouts.failed:
            break
        await asyncio.sleep(0.05)
    async with hub.sessions() as session:
        (owed,) = (await session.exec(select(SsoLogout))).all()
    assert owed.delivered_at is None and owed.attempts == 1 and "503" in owed.last_error
    assert owed.reason == "suspended"
    # and once the relying party is back, the retry (2 s later) delivers it
    relying_party.down = False
    (delivered,) = await relying_party.wait_for(1)
    claims = jwt.decode(
        delivered,
        KeySet.import_key_set((await world.http.get("/sso/jwks")).json()),
        algorithms=["RS256"],
    ).claims
    assert claims["aud"] == client[0]
    for _ in range(200):
        async with hub.sessions() as session:
            done = (await session.exec(select(SsoLogout.delivered_at))).one()
        if done is not None:
            break
        await asyncio.sleep(0.05)
    assert done is not None
    async with hub.sessions() as session:
        events = (
            await session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "sso.backchannel_logout")
            )
        ).all()
    assert [e.after["delivered"] for e in events if e.after] == [True]
    await rp.aclose()


async def test_tokens_signed_before_a_rotation_still_verify(
    sso_world: World, browser: Browser
) -> None:
    world = sso_world
    client = await add_client(world)
    rp, before = await sign_in_to(world, browser, client, "http://127.0.0.1:9/callback")
    old_kid = jwt.decode(
        before["id_token"],
        KeySet.import_key_set((await world.http.get("/sso/jwks")).json()),
        algorithms=["RS256"],
    ).header["kid"]
    new_key, dropped = rotate(world.settings)
    assert dropped == []
    world.app.state.hub.sso.keys.reload()  # a worker looks again within a second anyway
    keys = KeySet.import_key_set((await world.http.get("/sso/jwks")).json())
    assert {k.kid for k in keys} == {old_kid, new_key.kid}
    # the old ID token verifies against the published set; new tokens use the new key
    assert jwt.decode(before["id_token"], keys, algorithms=["RS256"]).claims["aud"] == client[0]
    after = await rp.refresh_token(f"{ISSUER}/sso/token", refresh_token=before["refresh_token"])
    assert jwt.decode(after["id_token"], keys, algorithms=["RS256"]).header["kid"] == new_key.kid
    assert await active(rp, after)
    await rp.aclose()
