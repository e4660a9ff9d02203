"""The sign-in pages' other steps: a password reset by an admin must be replaced before any
system is entered; a system that is not the city's own asks for consent; prompt=none."""

from __future__ import annotations

from tests.identity.conftest import World
from tests.sso.conftest import (
    ISSUER,
    Browser,
    add_client,
    hidden_fields,
    oauth_client,
    redirect_params,
)

RESET = """
mutation R($input: ResetStaffPasswordInput!) {
  resetStaffPassword(input: $input) { oneTimePassword }
}
"""
VERIFIER = "z" * 50


async def test_a_reset_password_is_replaced_on_the_way_in(
    sso_world: World, browser: Browser
) -> None:
    world = sso_world
    version = (await world.staff_row("tzcj_clerk")).version
    reset = await world.ok(
        RESET,
        {
            "input": {
                "staffId": world.gid("Staff", "tzcj_clerk"),
                "expectedVersion": version,
                "reason": "忘记密码",
            }
        },
        as_="tzcj_admin",
    )
    one_time = reset["resetStaffPassword"]["oneTimePassword"]
    client_id, secret = await add_client(world)
    rp = oauth_client(world, client_id, secret, "http://127.0.0.1:9/callback")
    url, state = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=VERIFIER)
    # signing in with the one-time password leads to the change page, not to the system
    page = await browser.sign_in(url, "tzcj_clerk", one_time)
    assert page.status_code == 200 and "请修改密码" in page.text
    form = hidden_fields(page.text)
    mismatch = await browser.http.post(
        "/sso/password",
        data={
            **form,
            "current_password": one_time,
            "new_password": "a-new-password-1",
            "repeat_password": "a-new-password-2",
        },
    )
    assert mismatch.status_code == 400 and "不一致" in mismatch.text
    wrong = await browser.http.post(
        "/sso/password",
        data={
            **form,
            "current_password": "not-it-at-all",
            "new_password": "a-new-password-1",
            "repeat_password": "a-new-password-1",
        },
    )
    assert wrong.status_code == 401 and "临时密码不正确" in wrong.text
    done = await browser.http.post(
        "/sso/password",
        data={
            **form,
            "current_password": one_time,
            "new_password": "a-new-password-1",
            "repeat_password": "a-new-password-1",
        },
    )
    back = redirect_params(done)
    assert back["state"] == state and "code" in back
    # the new password signs in; the one-time one no longer does
    assert "errors" not in await world.login("tzcj_clerk", "a-new-password-1")
    assert "errors" in await world.login("tzcj_clerk", one_time)
    await rp.aclose()


async def test_a_third_party_system_asks_for_consent(sso_world: World, browser: Browser) -> None:
    world = sso_world
    client_id, secret = await add_client(world, first_party=False, name="第三方预约平台")
    rp = oauth_client(world, client_id, secret, "http://127.0.0.1:9/callback")
    url, _ = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=VERIFIER)
    page = await browser.sign_in(url, "tzcj_clerk")
    assert page.status_code == 200 and "授权确认" in page.text and "任职单位" in page.text
    form = hidden_fields(page.text)
    denied = await browser.http.post("/sso/consent", data={**form, "decision": "deny"})
    assert redirect_params(denied)["error"] == "access_denied"
    allowed = await browser.http.post("/sso/consent", data={**form, "decision": "allow"})
    assert "code" in redirect_params(allowed)
    await rp.aclose()


async def test_prompt_none_without_a_sign_in_answers_login_required(
    sso_world: World, browser: Browser
) -> None:
    client_id, secret = await add_client(sso_world)
    rp = oauth_client(sso_world, client_id, secret, "http://127.0.0.1:9/callback")
    url, _ = rp.create_authorization_url(
        f"{ISSUER}/sso/authorize", code_verifier=VERIFIER, prompt="none"
    )
    assert redirect_params(await browser.open(url))["error"] == "login_required"
    await rp.aclose()


async def test_an_office_over_its_address_limit_is_not_told_its_account_is_locked(
    sso_world: World, browser: Browser
) -> None:
    """Many people behind one office network share its address: when the address's count
    of failed sign-ins is used up, the page says so, not that this login number is locked."""
    for n in range(40):  # unknown login numbers, from the one address every request has
        body = await sso_world.login(f"nobody-{n}", "wrong-password")
        if body["errors"][0]["extensions"]["code"] == "TOO_MANY_REQUESTS":
            break
    else:
        raise AssertionError("the address limit never refused a sign-in")
    client_id, secret = await add_client(sso_world)
    rp = oauth_client(sso_world, client_id, secret, "http://127.0.0.1:9/callback")
    url, _ = rp.create_authorization_url(f"{ISSUER}/sso/authorize", code_verifier=VERIFIER)
    page = await browser.sign_in(url, "tzcj_clerk")  # the right password
    assert page.status_code == 429
    assert "本网络登录尝试过多" in page.text and "该工号已暂时锁定" not in page.text
