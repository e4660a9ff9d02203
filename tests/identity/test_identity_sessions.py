"""Sign-in: login, refresh rotation and reuse detection, logout, throttling, bad tokens."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from sqlalchemy import update
from sqlmodel import col

from hub.auth.runtime import identity_runtime
from hub.auth.throttle import RedisThrottle
from hub.models import AuthSession, Staff
from tests.identity.conftest import PASSWORD, World, open_world

ME = "query { me { staff { loginNo } } }"
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) { accessToken refreshToken }
}
"""
LOGOUT = "mutation { logout { sessionsEnded } }"
LOGOUT_EVERYWHERE = "mutation { logoutEverywhere { sessionsEnded } }"


def code_of(body: dict) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_login_returns_tokens_that_sign_requests_in(world: World) -> None:
    # given
    body = await world.login("tzcj_clerk")
    tokens = body["data"]["login"]
    # when
    me = await world.ok(ME, token=tokens["accessToken"])
    # then
    assert tokens["tokenType"] == "Bearer"
    assert me["me"]["staff"]["loginNo"] == "tzcj_clerk"
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    assert set(claims) == {"sid", "sub", "iat", "exp"}  # no org claims in the token
    async with world.db() as s:
        stored = (await s.exec(AuthSession.__table__.select())).all()  # type: ignore[attr-defined, call-overload]
    assert len(stored) == 1
    assert tokens["refreshToken"] not in str(stored[0])  # only its hash is stored


async def test_unknown_login_and_wrong_password_answer_alike(world: World) -> None:
    unknown = await world.login("nobody", PASSWORD)
    wrong = await world.login("tzcj_clerk", "not-the-password")
    assert code_of(unknown) == code_of(wrong) == "UNAUTHENTICATED"
    assert unknown["errors"][0]["message"] == wrong["errors"][0]["message"]
    assert unknown["data"] is None and wrong["data"] is None


async def test_repeated_failures_lock_the_account_with_a_clear_error(world: World) -> None:
    # given: the threshold is 3 in the identity tests
    for _ in range(2):
        assert code_of(await world.login("tzcj_clerk", "wrong-password")) == "UNAUTHENTICATED"
    # when
    third = await world.login("tzcj_clerk", "wrong-password")
    right_now = await world.login("tzcj_clerk", PASSWORD)
    # then
    assert code_of(third) == "TOO_MANY_REQUESTS"
    assert code_of(right_now) == "TOO_MANY_REQUESTS"  # even the right password, while locked
    assert "locked until" in right_now["errors"][0]["message"]
    assert 0 < right_now["errors"][0]["extensions"]["retryAfterSeconds"] <= 15 * 60
    # other accounts from the same address are not locked
    assert "errors" not in await world.login("tzcj_admin")
    # and when the lock has passed, the right password works again
    async with world.db() as s:
        await s.exec(
            update(Staff)
            .where(col(Staff.login_no) == "tzcj_clerk")
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert "errors" not in await world.login("tzcj_clerk")
    assert (await world.staff_row("tzcj_clerk")).failed_logins == 0


async def test_one_address_failing_across_accounts_is_throttled(world: World) -> None:
    # given: the address limit is ten times the account threshold (30 here)
    headers = {"X-Request-ID": "throttle-test"}
    for i in range(30):
        body = await world.login(f"guess{i}", "wrong-password", headers=headers)
        assert code_of(body) == "UNAUTHENTICATED"
    # when
    blocked = await world.login("tzcj_admin", PASSWORD)
    # then
    assert code_of(blocked) == "TOO_MANY_REQUESTS"
    assert blocked["errors"][0]["extensions"]["retryAfterSeconds"] > 0


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(
    world: World,
) -> None:
    # given
    first = (await world.login("tzcj_clerk"))["data"]["login"]
    # when
    second = (await world.ok(REFRESH, {"token": first["refreshToken"]}))["refreshToken"]
    # then: the new pair works, the old refresh token is spent
    assert second["refreshToken"] != first["refreshToken"]
    assert (await world.ok(ME, token=second["accessToken"]))["me"]["staff"]
    # when the spent token comes back (someone copied it)
    reused = await world.gql(REFRESH, {"token": first["refreshToken"]})
    # then the whole session ends: the thief's and the owner's tokens alike
    assert code_of(reused) == "UNAUTHENTICATED"
    assert reused["errors"][0]["extensions"]["reason"] == "REFRESH_REUSED"
    assert code_of(await world.gql(ME, token=second["accessToken"])) == "UNAUTHENTICATED"
    assert code_of(await world.gql(REFRESH, {"token": second["refreshToken"]})) == (
        "UNAUTHENTICATED"
    )


async def test_logout_ends_this_session_only(world: World) -> None:
    laptop = (await world.login("tzcj_clerk"))["data"]["login"]
    phone = (await world.login("tzcj_clerk"))["data"]["login"]
    ended = await world.ok(LOGOUT, token=laptop["accessToken"])
    assert ended["logout"]["sessionsEnded"] == 1
    assert code_of(await world.gql(ME, token=laptop["accessToken"])) == "UNAUTHENTICATED"
    assert code_of(await world.gql(REFRESH, {"token": laptop["refreshToken"]})) == (
        "UNAUTHENTICATED"
    )
    assert (await world.ok(ME, token=phone["accessToken"]))["me"]["staff"]


async def test_logout_everywhere_ends_every_session(world: World) -> None:
    laptop = (await world.login("tzcj_clerk"))["data"]["login"]
    phone = (await world.login("tzcj_clerk"))["data"]["login"]
    ended = await world.ok(LOGOUT_EVERYWHERE, token=phone["accessToken"])
    assert ended["logoutEverywhere"]["sessionsEnded"] == 2
    for tokens in (laptop, phone):
        assert code_of(await world.gql(ME, token=tokens["accessToken"])) == "UNAUTHENTICATED"


async def test_a_bad_or_expired_token_is_unauthenticated_never_anonymous(world: World) -> None:
    # given
    tokens = (await world.login("tzcj_clerk"))["data"]["login"]
    claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "sub": str(world.staff["admin"])}, "guessed-secret" * 3)
    signature = tokens["accessToken"].rsplit(".", 1)[1]
    tampered = tokens["accessToken"][: -len(signature)] + signature[::-1]
    public = "{ rootOrg { name } }"
    # then: even a public read is refused rather than served anonymously
    for bad in (forged, tampered, "not-a-jwt"):
        body = await world.gql(public, token=bad)
        assert code_of(body) == "UNAUTHENTICATED"
        assert body.get("data") is None
    response = await world.http.post(
        "/graphql", json={"query": public}, headers={"Authorization": "Basic abc"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_expired_access_token_says_so(tmp_path: Path) -> None:
    async with open_world("sqlite", tmp_path, access_token_minutes=-1) as world:
        tokens = (await world.login("tzcj_clerk"))["data"]["login"]
        body = await world.gql(ME, token=tokens["accessToken"])
        assert code_of(body) == "UNAUTHENTICATED"
        assert body["errors"][0]["extensions"]["reason"] == "TOKEN_EXPIRED"
        # the refresh token still works, sent without the stale header
        assert (await world.ok(REFRESH, {"token": tokens["refreshToken"]}))["refreshToken"]


async def test_suspended_and_departed_staff_cannot_sign_in(world: World) -> None:
    async with world.db() as s:
        await s.exec(
            update(Staff).where(col(Staff.login_no) == "tzcj_clerk").values(status="suspended")
        )
    body = await world.login("tzcj_clerk")
    assert code_of(body) == "UNAUTHENTICATED"
    # answered like a wrong password: the right one is not confirmed to anyone
    assert body["errors"][0]["extensions"]["reason"] == "BAD_CREDENTIALS"


REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
async def test_the_address_throttle_is_shared_through_redis(tmp_path: Path) -> None:
    """Two apps (two workers) on one Redis see each other's failures from an address."""
    import redis.asyncio as redis

    key = RedisThrottle.PREFIX + "127.0.0.1"
    client = redis.Redis.from_url(str(REDIS_URL))
    await client.delete(key)
    try:
        async with (
            open_world("sqlite", tmp_path / "one", redis_url=REDIS_URL) as first,
            open_world("sqlite", tmp_path / "two", redis_url=REDIS_URL) as second,
        ):
            run = uuid.uuid4().hex[:8]  # unknown login numbers are counted in Redis too
            for i in range(30):
                worker = first if i % 2 else second
                body = await worker.login(f"guess-{run}-{i}", "wrong-password")
                assert code_of(body) == "UNAUTHENTICATED"
            for worker in (first, second):
                assert code_of(await worker.login("tzcj_admin")) == "TOO_MANY_REQUESTS"
                await identity_runtime(worker.app).aclose()
    finally:
        await client.delete(key)
        await client.aclose()
