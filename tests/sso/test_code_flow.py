"""The authorization code flow with PKCE, end to end, with Authlib's own client as the
relying party; and the refusals RFC 6749 and RFC 7636 ask for."""

from __future__ import annotations

from datetime import timedelta

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import update
from sqlmodel import col

from hub.db import transaction
from hub.ids import to_global_id
from hub.models import SsoCode
from hub.models.base import utcnow
from tests.identity.conftest import World
from tests.sso.conftest import (
    ISSUER,
    Browser,
    add_client,
    hidden_fields,
    oauth_client,
    redirect_params,
)


async def verify_id_token(world: World, id_token: str) -> dict[str, object]:
    """As a relying party does: against the key set published at jwks_uri."""
    config = (await world.http.get("/.well-known/openid-configuration")).json()
    keys = KeySet.import_key_set((await world.http.get(config["jwks_uri"])).json())
    return jwt.decode(id_token, keys, algorithms=["RS256"]).claims


async def test_discovery_names_every_endpoint_and_the_key_set(sso_world: World) -> None:
    config = (await sso_world.http.get("/.well-known/openid-configuration")).json()
    assert config["issuer"] == ISSUER
    for endpoint in ("authorization", "token", "userinfo", "introspection", "revocation"):
        assert config[f"{endpoint}_endpoint"].startswith(f"{ISSUER}/sso/")
    assert config["end_session_endpoint"] == f"{ISSUER}/sso/logout"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["backchannel_logout_supported"] is True
    keys = (await sso_world.http.get("/sso/jwks")).json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"] and "d" not in keys[0]


async def test_the_code_flow_with_pkce_end_to_end(sso_world: World, browser: Browser) -> None:
    world = sso_world
    client_id, secret = await add_client(world)
    redirect_uri = "http://127.0.0.1:9/callback"
    async with oauth_client(world, client_id, secret, redirect_uri) as rp:
        verifier = "v" * 20 + "erifier-of-forty-three-characters-at-least"
        url, state = rp.create_authorization_url(
            f"{ISSUER}/sso/authorize", code_verifier=verifier, nonce="n-0S6_WzA2Mj"
        )
        # the person signs in on hub's page
        answer = await browser.sign_in(url, "tzcj_clerk")
        back = redirect_params(answer)
        assert back["state"] == state and back["iss"] == ISSUER
        # the relying party exchanges the code (Authlib checks the state itself)
        token = await rp.fetch_token(
            f"{ISSUER}/sso/token",
            authorization_response=answer.headers["location"],
            code_verifier=verifier,
        )
        claims = await verify_id_token(world, token["id_token"])
        assert claims["iss"] == ISSUER and claims["aud"] == client_id
        assert claims["nonce"] == "n-0S6_WzA2Mj"
        assert claims["sub"] == to_global_id("Staff", world.staff["tzcj_clerk"])
        assert claims["name"] == "王小雨"
        assert claims["posts"] == [
            {
                "org_code": "GW-TZCJ-01",
                "org_name": "投资促进局综合科",
                "org_path": "/1/2/4/",
                "post_type": "primary",
                "position": "科员",
                "rank": "一级科员",
                "roles": [],
            }
        ]
        assert token["expires_in"] == 300
        # userinfo and introspection answer for the session
        info = (await rp.get(f"{ISSUER}/sso/userinfo")).json()
        assert info["sub"] == claims["sub"] and info["posts"] == claims["posts"]
        seen = (await rp.introspect_token(f"{ISSUER}/sso/introspect", token["access_token"])).json()
        assert seen["active"] is True and seen["client_id"] == client_id
        assert seen["sub"] == claims["sub"] and seen["scope"] == "openid posts profile"
        # a second visit is signed in already: straight back with a code, no page
        again = await browser.open(rp.create_authorization_url(f"{ISSUER}/sso/authorize")[0])
        assert "code" in redirect_params(again)
        # the refresh token rotates; the spent one, presented again, revokes the session
        first_refresh = token["refresh_token"]
        renewed = await rp.refresh_token(f"{ISSUER}/sso/token", refresh_token=first_refresh)
        assert renewed["refresh_token"] != first_refresh
        reused = await rp.post(
            f"{ISSUER}/sso/token",
            data={"grant_type": "refresh_token", "refresh_token": first_refresh},
            auth=(client_id, secret or ""),
        )
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
        dead = await rp.introspect_token(f"{ISSUER}/sso/introspect", renewed["access_token"])
        assert dead.json() == {"active": False}


async def test_refusals_carry_the_rfc_error_codes(sso_world: World, browser: Browser) -> None:
    world = sso_world
    client_id, secret = await add_client(world)
    redirect_uri = "http://127.0.0.1:9/callback"
    async with oauth_client(world, client_id, secret, redirect_uri) as rp:
        # a redirect URI that is not registered exactly: shown on hub's page, never redirected
        wrong = oauth_client(world, client_id, secret, "http://127.0.0.1:9/callback/x")
        page = await browser.open(wrong.create_authorization_url(f"{ISSUER}/sso/authorize")[0])
        assert page.status_code == 400 and "回调地址" in page.text
        await wrong.aclose()

        async def code(verifier: str) -> str:
            url, _ = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=verifier)
            return redirect_params(await browser.sign_in(url, "tzcj_clerk"))["code"]

        def exchange(code: str, verifier: str) -> dict[str, str]:
            return {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }

        auth = (client_id, secret or "")
        good = "a" * 43
        # a bad PKCE verifier
        issued = await code(good)
        bad = await rp.post(f"{ISSUER}/sso/token", data=exchange(issued, "b" * 43), auth=auth)
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
        # a reused code: refused, and the tokens it gave are revoked
        issued = await code(good)
        first = await rp.post(f"{ISSUER}/sso/token", data=exchange(issued, good), auth=auth)
        assert first.status_code == 200
        second = await rp.post(f"{ISSUER}/sso/token", data=exchange(issued, good), auth=auth)
        assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
        gone = await rp.introspect_token(f"{ISSUER}/sso/introspect", first.json()["access_token"])
        assert gone.json() == {"active": False}
        # an expired code
        issued = await code(good)
        async with transaction(world.app.state.hub.sessions) as session:
            await session.exec(
                update(SsoCode)
                .where(col(SsoCode.used_at).is_(None))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        late = await rp.post(f"{ISSUER}/sso/token", data=exchange(issued, good), auth=auth)
        assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
        # a wrong client secret
        wrong_secret = await rp.post(
            f"{ISSUER}/sso/token", data=exchange("x", good), auth=(client_id, "nope")
        )
        assert wrong_secret.status_code == 401
        assert wrong_secret.json()["error"] == "invalid_client"
        assert "request_id" in wrong_secret.json()
        # an unknown grant type
        odd = await rp.post(f"{ISSUER}/sso/token", data={"grant_type": "password"}, auth=auth)
        assert odd.json()["error"] == "unsupported_grant_type"


async def test_a_public_client_must_use_pkce(sso_world: World, browser: Browser) -> None:
    client_id, secret = await add_client(sso_world, public=True)
    assert secret is None
    plain = await browser.open(
        f"/sso/authorize?response_type=code&client_id={client_id}&scope=openid"
        "&redirect_uri=http://127.0.0.1:9/callback&state=s1"
    )
    refused = redirect_params(plain)
    assert refused["error"] == "invalid_request" and refused["state"] == "s1"


async def test_revoking_a_token_ends_its_session_and_scopes_decide_the_claims(
    sso_world: World, browser: Browser
) -> None:
    world = sso_world
    # a client allowed profile only: asking for posts and email gets neither
    client_id, secret = await add_client(world, scopes=["openid", "profile"])
    redirect_uri = "http://127.0.0.1:9/callback"
    async with oauth_client(
        world, client_id, secret, redirect_uri, scope="openid profile posts email"
    ) as rp:
        verifier = "r" * 50
        url, _ = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=verifier)
        answer = await browser.sign_in(url, "tzcj_clerk")
        token = await rp.fetch_token(
            f"{ISSUER}/sso/token",
            authorization_response=answer.headers["location"],
            code_verifier=verifier,
        )
        assert token["scope"] == "openid profile"
        info = (await rp.get(f"{ISSUER}/sso/userinfo")).json()
        assert info["name"] == "王小雨" and "posts" not in info and "email" not in info
        # RFC 7009: revoking the refresh token ends the session; the access token dies with it
        revoked = await rp.revoke_token(
            f"{ISSUER}/sso/revoke", token["refresh_token"], token_type_hint="refresh_token"
        )
        assert revoked.status_code == 200
        gone = await rp.introspect_token(f"{ISSUER}/sso/introspect", token["access_token"])
        assert gone.json() == {"active": False}
        # an unknown token is answered 200 all the same, and changes nothing
        again = await rp.revoke_token(f"{ISSUER}/sso/revoke", "no-such-token")
        assert again.status_code == 200


async def test_hostile_forms_are_refused_before_any_work(sso_world: World) -> None:
    """No client authentication, no database read, for a form that is too big, repeats a
    parameter or is not urlencoded; garbage bearer tokens at userinfo are refused alike."""
    http = sso_world.http
    big = await http.post(
        "/sso/token",
        content=b"grant_type=client_credentials&pad=" + b"x" * 20_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert big.status_code == 400 and big.json()["error"] == "invalid_request"
    twice = await http.post("/sso/token", content=b"code=a&code=b", headers={
        "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert twice.json()["error"] == "invalid_request" and "more than once" in twice.text
    as_json = await http.post("/sso/introspect", json={"token": "x"})
    assert as_json.json()["error"] == "invalid_request"
    for garbage in ("x" * 5000, "a.b.c", "eyJ0eXAiOiJhdCtqd3QifQ.e30.sig"):
        answer = await http.get("/sso/userinfo", headers={"Authorization": f"Bearer {garbage}"})
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"


async def test_a_non_ascii_csrf_token_is_refused_not_an_error(
    sso_world: World, browser: Browser
) -> None:
    client_id, secret = await add_client(sso_world)
    async with oauth_client(sso_world, client_id, secret, "http://127.0.0.1:9/callback") as rp:
        url, _ = rp.create_authorization_url(
            f"{ISSUER}/sso/authorize", code_verifier="v" * 43, nonce="n"
        )
        page = await browser.open(url)
        form = {**hidden_fields(page.text), "username": "tzcj_clerk", "password": "x"}
        form["csrf"] = "\u8868\u5355" * 12
        answer = await browser.http.post("/sso/authorize", data=form)
        assert answer.status_code == 400 and "页面已过期" in answer.text
