"""Sign-in under attack: parallel guessing, account enumeration, inactive accounts and
forwarded headers. Everything goes through the real app over GraphQL; what is counted is what
a client sees (answers) and what the database holds."""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from hub.auth.runtime import identity_runtime
from hub.models import AuthSession, Staff
from tests.identity.conftest import BACKENDS, PASSWORD, World, open_world

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
THRESHOLD = 3  # the identity tests' lockout_threshold
ADDRESS_LIMIT = 30  # ten times the threshold
STORES = [
    "memory",
    pytest.param(
        "redis", marks=pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
    ),
]


def answer(body: dict[str, Any]) -> tuple[str, str | None, str]:
    """(code, reason, message) of a refused sign-in; ("OK", None, "") of a successful one."""
    if "errors" not in body:
        assert body["data"]["login"]["accessToken"]
        return "OK", None, ""
    error = body["errors"][0]
    extensions = error.get("extensions", {})
    return str(extensions["code"]), extensions.get("reason"), str(error["message"])


def unique(prefix: str) -> str:
    """A login number (or address part) no other test run uses: the Redis store outlives
    a test."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=BACKENDS)
async def proxied_world(
    request: pytest.FixtureRequest, tmp_path: Path, identity_pg_url: str | None
) -> AsyncIterator[World]:
    """Behind a trusted proxy (the test client's peer, 127.0.0.1): every request can come
    from an address of its own, as a botnet's would."""
    async with open_world(
        str(request.param), tmp_path, identity_pg_url, trusted_proxies="127.0.0.1"
    ) as world:
        yield world


# ------------------------------------------------------------------------------ 1. races


async def test_a_hundred_parallel_guesses_check_at_most_threshold_passwords(
    proxied_world: World,
) -> None:
    """100 sign-ins at once on one account, each from its own address (so the address
    throttle plays no part), 99 wrong and the right password last. Each attempt is counted
    in the staff row before its password is checked, so only the first ``THRESHOLD`` are
    checked: the others answer TOO_MANY_REQUESTS without a check, and the right password,
    arriving once the account is locked, does not sign in."""
    world = proxied_world
    # given
    passwords = [f"wrong-{i}" for i in range(99)] + [PASSWORD]
    run = uuid.uuid4().hex[:4]

    async def attempt(i: int, password: str) -> dict[str, Any]:
        forwarded = {"X-Forwarded-For": f"10.{i // 250}.{i % 250}.{int(run, 16) % 250}"}
        return await world.login("tzcj_clerk", password, headers=forwarded)

    # when
    bodies = await asyncio.gather(*(attempt(i, p) for i, p in enumerate(passwords)))
    # then
    answers = [answer(b) for b in bodies]
    codes = [a[0] for a in answers]
    assert "OK" not in codes  # the right password came after the lock
    bad = [a for a in answers if a[1] == "BAD_CREDENTIALS"]
    locked = [b for b in bodies if answer(b)[0] == "TOO_MANY_REQUESTS"]
    assert len(bad) == THRESHOLD - 1  # checked and wrong
    assert len(locked) == 100 - (THRESHOLD - 1)  # the one that locked, and 97 never checked
    assert all("lockedUntil" in b["errors"][0]["extensions"] for b in locked)
    row = await world.staff_row("tzcj_clerk")
    assert row.failed_logins == THRESHOLD  # only THRESHOLD attempts were ever counted
    assert row.locked_until is not None and row.locked_until > datetime.now(UTC)
    # and the right password, now and from a fresh address, still waits for the lock to end
    later = await world.login("tzcj_clerk", headers={"X-Forwarded-For": "10.200.0.1"})
    assert answer(later)[0] == "TOO_MANY_REQUESTS"
    assert "lockedUntil" in later["errors"][0]["extensions"]


@pytest.mark.parametrize("store", STORES)
async def test_a_hundred_parallel_guesses_from_one_address_are_counted_before_checking(
    store: str, tmp_path: Path
) -> None:
    """100 guesses at once from one address on 100 different login numbers: the address
    limit (30) holds, because each attempt is counted before its password is checked."""
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    settings: dict[str, Any] = {"trusted_proxies": "127.0.0.1"}
    if store == "redis":
        settings["redis_url"] = REDIS_URL
    async with open_world("sqlite", tmp_path, **settings) as world:
        try:
            run = unique("burst")
            bodies = await asyncio.gather(
                *(
                    world.login(f"{run}-{i}", "wrong", headers={"X-Forwarded-For": address})
                    for i in range(100)
                )
            )
            answers = [answer(b) for b in bodies]
            assert [a for a in answers if a[0] == "UNAUTHENTICATED"] == [
                ("UNAUTHENTICATED", "BAD_CREDENTIALS", "Wrong login number or password.")
            ] * ADDRESS_LIMIT
            blocked = [a for a in answers if a[0] == "TOO_MANY_REQUESTS"]
            assert len(blocked) == 100 - ADDRESS_LIMIT
            assert all("from your address" in a[2] for a in blocked)
        finally:
            if store == "redis":
                await _forget_redis_address(address)


async def _forget_redis_address(address: str) -> None:
    import redis.asyncio as redis

    from hub.auth.throttle import RedisThrottle

    client = redis.Redis.from_url(str(REDIS_URL))
    try:
        await client.delete(RedisThrottle.PREFIX + address)
    finally:
        await client.aclose()


# ------------------------------------------------------------------------------ 2. enumeration


def _shape(body: dict[str, Any]) -> tuple[Any, ...]:
    """What a client sees, with the clock taken out (two locks a moment apart may end in
    different minutes); ``lockedUntil`` by its form only."""
    code, reason, message = answer(body)
    message = re.sub(r"\d\d:\d\d", "HH:MM", re.sub(r"in \d+ minute", "in N minute", message))
    extensions = body.get("errors", [{}])[0].get("extensions", {})
    locked_until = extensions.get("lockedUntil")
    form = re.sub(r"\d", "9", locked_until) if locked_until is not None else None
    return code, reason, message, sorted(extensions), form


async def test_an_unknown_login_number_answers_like_an_account_all_the_way_to_the_lock(
    db_world: World,
) -> None:
    """Decision (see hub.auth.sessions.login): lockout is kept per login number, whether or
    not an account has it. So an unknown login number answers exactly as an account with a
    wrong password does, attempt after attempt: BAD_CREDENTIALS, then the same "this login
    number is locked" TOO_MANY_REQUESTS at the same attempt, then the same again without a
    check. And it takes the same time: no attempt of an account is slowed down (the old
    per-account slowdown slept 0.1 s, then 0.2 s, on known accounts only). Each position is
    timed on three accounts and three unknown login numbers, interleaved; the fastest of each
    three is compared, so that one slow moment of a shared machine does not decide."""
    world = db_world
    known = ["tzcj_clerk", "kjcx_clerk", "tzcj_reviewer"]
    unknown = [unique("nobody") for _ in known]
    attempts = THRESHOLD + 2
    seen: dict[str, list[tuple[Any, ...]]] = {name: [] for name in known + unknown}
    took: dict[str, list[float]] = {name: [] for name in known + unknown}
    await world.login("nobody-warm-up", "wrong-password")  # the dummy hash is made once
    # when
    for _ in range(attempts):
        for name in [n for pair in zip(known, unknown, strict=True) for n in pair]:
            started = time.perf_counter()
            body = await world.login(name, "wrong-password")
            took[name].append(time.perf_counter() - started)
            seen[name].append(_shape(body))
    # then: the same time, position by position
    for i in range(attempts):
        fastest_known = min(took[name][i] for name in known)
        fastest_unknown = min(took[name][i] for name in unknown)
        assert abs(fastest_known - fastest_unknown) < 0.075, (i, took)
    # and the same answers, position by position
    for name in known + unknown:
        assert seen[name] == seen[known[0]], name
    codes = [shape[0] for shape in seen[known[0]]]
    assert codes == ["UNAUTHENTICATED"] * (THRESHOLD - 1) + ["TOO_MANY_REQUESTS"] * 3
    assert seen[known[0]][-1][-1] == "9999-99-99T99:99:99+99:99"  # whole seconds, UTC


@pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
async def test_unknown_login_numbers_lock_alike_across_workers_through_redis(
    tmp_path: Path,
) -> None:
    """With Redis, an unknown login number is counted for all workers at once, as an
    account is (in the database they share): failures spread over two workers lock it at
    the same attempt, with the same answer, and the lock holds in both."""
    nobody = unique("nobody")
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    via = {"X-Forwarded-For": address}
    shared: dict[str, Any] = {"redis_url": REDIS_URL, "trusted_proxies": "127.0.0.1"}
    try:
        async with (
            open_world("sqlite", tmp_path / "one", **shared) as first,
            open_world("sqlite", tmp_path / "two", **shared) as second,
        ):
            workers = [first, second] * THRESHOLD
            unknown = [
                await w.login(nobody, "wrong-password", headers=via)
                for w in workers[: THRESHOLD + 1]
            ]
            known = [
                await first.login("tzcj_clerk", "wrong-password", headers=via)
                for _ in range(THRESHOLD + 1)
            ]
            assert [_shape(b) for b in unknown] == [_shape(b) for b in known]
            assert answer(unknown[-1])[0] == "TOO_MANY_REQUESTS"
            ends = {b["errors"][0]["extensions"]["lockedUntil"] for b in unknown[THRESHOLD - 1 :]}
            assert len(ends) == 1  # one lock, whichever worker answers
            again = await second.login(nobody, "wrong-password", headers=via)
            assert answer(again)[0] == "TOO_MANY_REQUESTS"
            for world in (first, second):
                await identity_runtime(world.app).aclose()
    finally:
        await _forget_redis_address(address)


# ------------------------------------------------------------------------------ 3. inactive


async def test_an_inactive_account_answers_like_a_wrong_password_even_to_the_right_one(
    db_world: World,
) -> None:
    world = db_world
    # given: one suspended (停职), one departed (离职)
    async with world.db() as s:
        for login_no, status in (("tzcj_clerk", "suspended"), ("kjcx_clerk", "departed")):
            await s.exec(update(Staff).where(col(Staff.login_no) == login_no).values(status=status))
    wrong = answer(await world.login(unique("nobody"), "wrong-password"))
    assert wrong == ("UNAUTHENTICATED", "BAD_CREDENTIALS", "Wrong login number or password.")
    for login_no in ("tzcj_clerk", "kjcx_clerk"):
        # when / then: the right password and a wrong one answer as for an unknown login
        assert answer(await world.login(login_no, PASSWORD)) == wrong
        assert answer(await world.login(login_no, "wrong-password")) == wrong
        # and the right password counts as a failure like any other: the third locks
        assert answer(await world.login(login_no, PASSWORD))[0] == "TOO_MANY_REQUESTS"
    async with world.db() as s:
        sessions = (await s.exec(select(AuthSession.id))).all()
    assert sessions == []


# ------------------------------------------------------------------------------ 4. forwarded


async def test_by_default_a_forwarded_header_does_not_escape_the_address_throttle(
    world: World,
) -> None:
    """No trusted proxies (the default): X-Forwarded-For is ignored, the address counted is
    the peer's, however many addresses a client claims."""
    # given
    signed_in = await world.login("tzcj_admin", headers={"X-Forwarded-For": "203.0.113.9"})
    run = unique("spray")
    for i in range(ADDRESS_LIMIT):
        claimed = {"X-Forwarded-For": f"203.0.113.{i + 10}"}
        body = await world.login(f"{run}-{i}", "wrong-password", headers=claimed)
        assert answer(body)[1] == "BAD_CREDENTIALS"
    # when
    blocked = await world.login("tzcj_admin", headers={"X-Forwarded-For": "192.0.2.77"})
    # then
    assert answer(blocked)[0] == "TOO_MANY_REQUESTS"
    assert "from your address" in answer(blocked)[2]
    assert answer(signed_in)[0] == "OK"
    async with world.db() as s:
        (session,) = (await s.exec(select(AuthSession))).all()
    assert session.client_ip == "127.0.0.1"  # the peer, not the claimed address


async def test_behind_a_trusted_proxy_the_forwarded_address_is_the_clients(
    tmp_path: Path,
) -> None:
    """With HUB_TRUSTED_PROXIES naming the proxy (here the peer 1.2.3.4), the address in
    X-Forwarded-For is the client: throttled per client, recorded on the session. A peer
    that is not the proxy (the default test client, 127.0.0.1) is not believed."""
    async with open_world("sqlite", tmp_path, trusted_proxies="1.2.3.4") as world:
        transport = httpx.ASGITransport(app=world.app, client=("1.2.3.4", 123))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as proxy:
            via_proxy = World(app=world.app, http=proxy, settings=world.settings)
            guesser = {"X-Forwarded-For": "203.0.113.7"}
            run = unique("spray")
            for i in range(ADDRESS_LIMIT):
                body = await via_proxy.login(f"{run}-{i}", "wrong-password", headers=guesser)
                assert answer(body)[1] == "BAD_CREDENTIALS"
            # the guesser is blocked ...
            blocked = await via_proxy.login("tzcj_admin", headers=guesser)
            assert answer(blocked)[0] == "TOO_MANY_REQUESTS"
            # ... a colleague behind the same proxy is not ...
            colleague = await via_proxy.login(
                "tzcj_admin", headers={"X-Forwarded-For": "203.0.113.8"}
            )
            assert answer(colleague)[0] == "OK"
            # ... nor is the guesser's claim believed from a peer that is not the proxy
            direct = await world.login("tzcj_clerk", headers=guesser)
            assert answer(direct)[0] == "OK"
        async with world.db() as s:
            addresses = sorted(a for a in (await s.exec(select(AuthSession.client_ip))).all() if a)
        assert addresses == ["127.0.0.1", "203.0.113.8"]
