"""The cases of ``bench/sso_bench.py`` and their load: each case's label, the static requests
``wrk`` repeats with ``bench/wrk/expect.lua`` (introspect, userinfo, the ``me`` baseline,
client_credentials) and a check that each answers as it should, and the Python asyncio + httpx
load generators for what wrk cannot repeat: refresh-token rotation over independent chains
(every answer holds the next token) and sign-ins, each with another account."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.cookiejar
import json
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import graphql_bench as gb
import httpx
from graphql_bench import SetupError
from sso_setup import (
    FORM,
    ME,
    REDIRECT_URI,
    Chain,
    Client,
    authorize_params,
    graphql,
    pkce,
)

LUA = gb.BENCH / "wrk" / "expect.lua"
LABELS = {
    "me": "(c) POST /graphql me, API token",
    "introspect": "(a) POST /sso/introspect",
    "userinfo": "(b) GET /sso/userinfo",
    "refresh": "(d) /sso/token refresh_token",
    "credentials": "(d) /sso/token client_credentials",
    "sign_in": "(e) POST /sso/authorize sign-in",
}


# --------------------------------------------------------------------------- load: wrk


@dataclass(frozen=True)
class Static:
    """One request wrk repeats, and the string every good answer contains."""

    method: str
    path: str
    marker: str
    headers: tuple[str, ...]
    body: bytes | None = None


def _wrk(args: argparse.Namespace, base: str, request: Static, seconds: int) -> dict[str, Any]:
    body = "-"
    if request.body is not None:
        path = args.tmp / f"{hashlib.sha1(request.body).hexdigest()}.body"
        path.write_bytes(request.body)
        body = str(path)
    argv = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    argv += ["--timeout", "10s", "-s", str(LUA), base + request.path, "--"]
    argv += [request.method, body, request.marker, *request.headers]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    out: dict[str, Any] | None = None
    unexpected, sample = 0, ""
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            out = dict(json.loads(line.removeprefix("RESULT ")))
        elif line.startswith("CHECKED "):
            unexpected = int(line.split()[1])
        elif line.startswith("SAMPLE "):
            sample = line.removeprefix("SAMPLE ")
    if out is None:
        raise SetupError(f"wrk printed no RESULT ({done.returncode}):\n{done.stdout}{done.stderr}")
    out.update(generator="wrk", unexpected=unexpected, sample=sample)
    return out


# --------------------------------------------------------------------------- load: Python


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The load generator sends its cookies by hand and keeps none it is given."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def _client(args: argparse.Namespace, base: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=64)
    return httpx.AsyncClient(
        base_url=base,
        timeout=60,
        limits=limits,
        follow_redirects=False,
        cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
    )


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    unexpected: int = 0
    socket_errors: int = 0
    samples: list[str] = field(default_factory=list)

    def bad(self, what: str) -> None:
        self.unexpected += 1
        if len(self.samples) < 3:
            self.samples.append(what[:300])

    def result(self, seconds: float) -> dict[str, Any]:
        us = sorted(s * 1e6 for s in self.latencies) or [0.0]

        def pct(p: float) -> int:
            return int(us[min(len(us) - 1, int(len(us) * p))])

        return {
            "requests": len(self.latencies) + self.unexpected,
            "duration_us": int(seconds * 1e6),
            "errors": {
                "connect": 0,
                "read": self.socket_errors,
                "write": 0,
                "status": 0,
                "timeout": 0,
            },
            "latency_us": {
                "mean": statistics.fmean(us),
                "p50": int(statistics.median(us)),
                "p90": pct(0.90),
                "p99": pct(0.99),
                "max": int(us[-1]),
            },
            "generator": "python asyncio + httpx",
            "unexpected": self.unexpected,
            "sample": " | ".join(self.samples),
        }


async def _drive(
    workers: int, seconds: float, one: Callable[[Tally, int], Awaitable[bool]]
) -> dict[str, Any]:
    """``workers`` loops, loop ``i`` calling ``one(tally, i)`` until ``seconds`` have passed
    (a closed loop, like wrk's connections); a loop whose ``one`` answers False stops."""
    tally = Tally()
    started = time.perf_counter()
    deadline = started + seconds

    async def loop(i: int) -> None:
        while time.perf_counter() < deadline:
            try:
                if not await one(tally, i):
                    return
            except httpx.HTTPError as exc:
                tally.socket_errors += 1
                tally.bad(f"{type(exc).__name__}: {exc}")

    await asyncio.gather(*(loop(i) for i in range(workers)))
    return tally.result(time.perf_counter() - started)


@dataclass
class Chains:
    """The 16 refresh chains; a chain whose refresh fails is reopened through its browser's
    hub_sso cookie (a new code, no password) and the failure counted."""

    base: str
    client: Client
    chains: list[Chain]
    reopened: int = 0
    dead: int = 0

    async def run(self, args: argparse.Namespace, seconds: float) -> dict[str, Any]:
        async with _client(args, self.base) as http:

            async def one(tally: Tally, i: int) -> bool:
                chain = self.chains[i]
                if await self._refresh(http, chain, tally) or await self._reopen(http, chain):
                    return True
                self.dead += 1
                return False

            return await _drive(len(self.chains), seconds, one)

    async def _refresh(self, http: httpx.AsyncClient, chain: Chain, tally: Tally) -> bool:
        data = {"grant_type": "refresh_token", "refresh_token": chain.refresh}
        started = time.perf_counter()
        answer = await http.post(
            "/sso/token", data=data, headers={"Authorization": self.client.basic}
        )
        elapsed = time.perf_counter() - started
        if answer.status_code == 200 and '"refresh_token"' in answer.text:
            tokens = answer.json()
            chain.access, chain.refresh = tokens["access_token"], tokens["refresh_token"]
            tally.latencies.append(elapsed)
            return True
        tally.bad(f"{answer.status_code} {answer.text}")
        return False

    async def _reopen(self, http: httpx.AsyncClient, chain: Chain) -> bool:
        verifier, challenge = pkce()
        answer = await http.get(
            "/sso/authorize",
            params=authorize_params(self.client, challenge),
            headers={"Cookie": f"hub_sso={chain.browser}"},
        )
        code = parse_qs(urlsplit(answer.headers.get("location", "")).query).get("code")
        if answer.status_code != 302 or not code:
            return False
        data = {
            "grant_type": "authorization_code",
            "code": code[0],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }
        tokens = await http.post(
            "/sso/token", data=data, headers={"Authorization": self.client.basic}
        )
        if tokens.status_code != 200:
            return False
        chain.access, chain.refresh = tokens.json()["access_token"], tokens.json()["refresh_token"]
        self.reopened += 1
        return True


@dataclass
class SignIns:
    """(e): the sign-in form posted with a username and the password, each time another
    account, from one CSRF cookie (as after the page was shown); a good answer is the 302
    to the client with a code."""

    base: str
    form: dict[str, str]
    csrf: str
    password: str
    accounts: Iterator[str]
    used: int = 0

    async def run(self, args: argparse.Namespace, seconds: float) -> dict[str, Any]:
        headers = {"Cookie": f"hub_sso_csrf={self.csrf}", "Content-Type": FORM}
        async with _client(args, self.base) as http:

            async def one(tally: Tally, _: int) -> bool:
                login = next(self.accounts)
                self.used += 1
                body = urlencode({**self.form, "username": login, "password": self.password})
                started = time.perf_counter()
                answer = await http.post("/sso/authorize", content=body, headers=headers)
                elapsed = time.perf_counter() - started
                if answer.status_code == 302 and "code=" in answer.headers.get("location", ""):
                    tally.latencies.append(elapsed)
                else:
                    tally.bad(f"{login}: {answer.status_code} {answer.text[:200]}")
                return True

            return await _drive(args.concurrency, seconds, one)


def cycle(accounts: list[str]) -> Iterator[str]:
    while True:
        yield from accounts


# --------------------------------------------------------------------------- the plan


@dataclass
class Plan:
    base: str
    rp: Client
    service: Client
    person: Chain
    api_token: str
    chains: Chains
    sign_ins: SignIns


def _static(plan: Plan, key: str) -> Static:
    form = f"Content-Type: {FORM}"
    if key == "me":
        body = json.dumps({"query": ME}).encode()
        return Static(
            "POST",
            "/graphql",
            '"staff":{"id":',
            ("Content-Type: application/json", f"Authorization: Bearer {plan.api_token}"),
            body,
        )
    if key == "introspect":
        body = urlencode({"token": plan.person.access}).encode()
        return Static(
            "POST",
            "/sso/introspect",
            '"active":true',
            (form, f"Authorization: {plan.rp.basic}"),
            body,
        )
    if key == "userinfo":
        return Static(
            "GET", "/sso/userinfo", '"sub":"', (f"Authorization: Bearer {plan.person.access}",)
        )
    assert key == "credentials"
    body = urlencode({"grant_type": "client_credentials", "scope": "api"}).encode()
    return Static(
        "POST",
        "/sso/token",
        '"access_token":"',
        (form, f"Authorization: {plan.service.basic}"),
        body,
    )


def check(args: argparse.Namespace, plan: Plan) -> None:
    """Every static request answers what it should, once, and (a), (b), (c) are one person."""
    me = graphql(plan.base, ME, {}, plan.api_token)["me"]["staff"]["id"]
    if me != plan.person.subject:
        raise SetupError(f"the API token is of {me}, the RP token of {plan.person.subject}")
    for key in ("me", "introspect", "userinfo", "credentials"):
        request = _static(plan, key)
        headers = dict(h.split(": ", 1) for h in request.headers)
        answer = httpx.request(
            request.method, plan.base + request.path, content=request.body, headers=headers
        )
        if answer.status_code != 200 or request.marker not in answer.text:
            raise SetupError(
                f"{LABELS[key]} answered {answer.status_code} without {request.marker!r}: "
                f"{answer.text[:500]}"
            )
        if key in ("introspect", "userinfo") and answer.json()["sub"] != me:
            raise SetupError(f"{LABELS[key]} names {answer.json()['sub']}, not {me}")


def loads(args: argparse.Namespace, plan: Plan) -> dict[str, Callable[[int], dict[str, Any]]]:
    """Each case's load: a function of the seconds to run it."""

    def static(key: str) -> Callable[[int], dict[str, Any]]:
        # built when called: (a) and (b) present the access token refreshed just before
        return lambda seconds: _wrk(args, plan.base, _static(plan, key), seconds)

    return {
        "me": static("me"),
        "introspect": static("introspect"),
        "userinfo": static("userinfo"),
        "refresh": lambda seconds: asyncio.run(plan.chains.run(args, seconds)),
        "credentials": static("credentials"),
        "sign_in": lambda seconds: asyncio.run(plan.sign_ins.run(args, seconds)),
    }
