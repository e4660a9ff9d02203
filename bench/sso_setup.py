"""Setup for ``bench/sso_bench.py``: the seeded city and the accounts that can sign in,
the two clients registered with ``hub clients add``, and the flows a browser and a relying party
go through (the sign-in page, the code with PKCE, its exchange, refresh, the ``login``
mutation); also what the report states about the run: one argon2 verification alone and a
fingerprint of ``hub/``'s source."""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import re
import secrets
import statistics
import subprocess
import time
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import graphql_bench as gb
import httpx
from graphql_bench import SetupError
from sqlalchemy import text

from hub.auth.passwords import Passwords
from hub.db import create_engine
from hub.settings import Settings

PERSON = "tzcj_clerk"  # whose tokens (a), (b) and (c) present
REDIRECT_URI = "http://127.0.0.1:9/callback"  # nothing listens: the Location header is read
SCOPE = "openid profile posts"
ME = "{ me { staff { id } } }"
LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }"
FORM = "application/x-www-form-urlencoded"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
DEFAULTS = Settings.model_fields


# --------------------------------------------------------------------------- setup


def _settings(args: argparse.Namespace) -> Settings:
    """Only to reach the database from here; the server gets none of the caller's HUB_."""
    return Settings(
        _env_file=None,
        environment="development",
        data_dir=args.data_dir,
        database_url=args.database_url,
        log_level="WARNING",
    )


def env(args: argparse.Namespace) -> dict[str, str]:
    # API tokens that outlive the run; RP access tokens live 5 minutes at most and are
    # refreshed before each case that presents one.
    extra = {"HUB_ACCESS_TOKEN_MINUTES": "120"}
    if args.database_url:
        extra["HUB_DATABASE_URL"] = args.database_url
    return gb._child_env(args.data_dir, **extra)


async def _query(args: argparse.Namespace, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(_settings(args))
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(text(sql), params))
    finally:
        await engine.dispose()


def _signers(args: argparse.Namespace) -> list[str]:
    """Seeded accounts that sign in with the demo password and go straight to a code."""
    sql = (
        "SELECT login_no FROM staff WHERE status = 'active' AND password_hash IS NOT NULL "
        "AND NOT must_change_password AND login_no <> :person ORDER BY id"
    )
    try:
        rows = asyncio.run(_query(args, sql, person=PERSON))
    except Exception as exc:  # no table yet, wrong URL …
        raise SetupError(f"reading staff failed: {type(exc).__name__}: {exc}") from exc
    return [str(r[0]) for r in rows]


def _run_hub(args: argparse.Namespace, *argv: str) -> str:
    done = subprocess.run(
        gb._hub(*argv), env=env(args), cwd=args.data_dir, capture_output=True, text=True
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-3000:]
        if "no column named" in output or "no such column" in output:
            output += "\n(the database predates a change to a migration: rerun with --fresh)"
        raise SetupError(f"hub {' '.join(argv)} failed ({done.returncode}):\n{output}")
    return done.stdout


def prepare(args: argparse.Namespace) -> list[str]:
    """The seeded city (``hub seed`` defaults) and the accounts that can sign in."""
    if args.database_url is None:
        gb._prepare_data(args.data_dir, args.fresh)
        _run_hub(args, "db", "upgrade")  # a reused directory may predate a migration
    else:
        args.data_dir.mkdir(parents=True, exist_ok=True)  # still holds the SSO signing keys
        print("$ hub db upgrade  (HUB_DATABASE_URL from --database-url)", flush=True)
        _run_hub(args, "db", "upgrade")
        if not asyncio.run(_query(args, "SELECT 1 FROM staff LIMIT 1")):
            print("$ hub seed  (once) …", flush=True)
            _run_hub(args, "seed", "--no-progress")
    signers = _signers(args)
    if len(signers) < args.chains + args.concurrency * 4:
        raise SetupError(
            f"only {len(signers)} seeded accounts can sign in (a seed without staff passwords? "
            "rerun with --fresh)"
        )
    return signers


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str

    @property
    def basic(self) -> str:
        """client_secret_basic: both parts form-urlencoded, then base64 (RFC 6749 §2.3.1)."""
        pair = f"{quote(self.client_id, safe='')}:{quote(self.secret, safe='')}"
        return "Basic " + base64.b64encode(pair.encode()).decode()


def add_client(args: argparse.Namespace, name: str, *options: str) -> Client:
    out = _run_hub(args, "clients", "add", name, "--redirect-uri", REDIRECT_URI, *options)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise SetupError(f"hub clients add printed no JSON line:\n{out[-1000:]}")
    made = json.loads(lines[-1])
    if not made.get("client_secret"):
        raise SetupError(f"hub clients add gave no secret: {made}")
    return Client(str(made["client_id"]), str(made["client_secret"]))


@dataclass
class Chain:
    """One relying-party session: the person, their browser's hub_sso cookie, the tokens."""

    login: str
    browser: str
    access: str
    refresh: str
    subject: str


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_params(client: Client, challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def _location_params(response: httpx.Response) -> dict[str, str]:
    if response.status_code != 302:
        raise SetupError(
            f"/sso/authorize answered {response.status_code}, not a redirect: "
            f"{response.text[:500]!r}"
        )
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {k: v[0] for k, v in query.items()}


def _exchange(base: str, client: Client, code: str, verifier: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{base}/sso/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers={"Authorization": client.basic},
        timeout=30,
    )
    if answer.status_code != 200:
        raise SetupError(f"the code exchange answered {answer.status_code}: {answer.text[:500]}")
    tokens: dict[str, Any] = answer.json()
    return tokens


def _subject(base: str, access: str) -> str:
    answer = httpx.get(
        f"{base}/sso/userinfo", headers={"Authorization": f"Bearer {access}"}, timeout=30
    )
    if answer.status_code != 200:
        raise SetupError(f"userinfo answered {answer.status_code}: {answer.text[:500]}")
    return str(answer.json()["sub"])


def sign_in_flow(base: str, client: Client, login: str, password: str) -> Chain:
    """As a person's browser and a relying party do it: the page, the form, the code, the
    exchange with the PKCE verifier."""
    verifier, challenge = pkce()
    params = authorize_params(client, challenge)
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as browser:
        page = browser.get("/sso/authorize", params=params)
        if page.status_code != 200:
            raise SetupError(f"the sign-in page answered {page.status_code}: {page.text[:500]}")
        form = {unescape(k): unescape(v) for k, v in _HIDDEN.findall(page.text)}
        if "csrf" not in form:
            raise SetupError("the sign-in page has no hidden csrf field")
        form.update({"username": login, "password": password})
        back = _location_params(browser.post("/sso/authorize", data=form))
        cookie = browser.cookies.get("hub_sso", path="/sso") or ""
    if back.get("state") != params["state"] or "code" not in back:
        raise SetupError(f"sign-in as {login} came back without a code: {back}")
    tokens = _exchange(base, client, back["code"], verifier)
    access = str(tokens["access_token"])
    return Chain(login, cookie, access, str(tokens["refresh_token"]), _subject(base, access))


def refresh_sync(base: str, client: Client, chain: Chain) -> None:
    answer = httpx.post(
        f"{base}/sso/token",
        data={"grant_type": "refresh_token", "refresh_token": chain.refresh},
        headers={"Authorization": client.basic},
        timeout=30,
    )
    if answer.status_code != 200:
        raise SetupError(f"refreshing {chain.login}'s session answered {answer.status_code}")
    tokens = answer.json()
    chain.access, chain.refresh = str(tokens["access_token"]), str(tokens["refresh_token"])


def graphql(base: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )
    body = (
        answer.json()
        if answer.headers.get("content-type", "").startswith("application/json")
        else None
    )
    if answer.status_code != 200 or not isinstance(body, dict) or body.get("errors"):
        raise SetupError(
            f"{query.split('(')[0][:40]!r} answered {answer.status_code}: {answer.text[:500]}"
        )
    return body["data"]


def sign_in_form(base: str, client: Client) -> tuple[dict[str, str], str]:
    """The sign-in page's hidden fields and its CSRF cookie, fetched once: every sign-in of
    (e) posts them, as a browser does after showing the page (the GET is not measured)."""
    _, challenge = pkce()
    with httpx.Client(base_url=base, timeout=30) as browser:
        page = browser.get("/sso/authorize", params=authorize_params(client, challenge))
        csrf = browser.cookies.get("hub_sso_csrf", path="/sso") or ""
    form = {unescape(k): unescape(v) for k, v in _HIDDEN.findall(page.text)}
    if page.status_code != 200 or not csrf or form.get("csrf") != csrf:
        raise SetupError(f"no sign-in form with its CSRF cookie ({page.status_code})")
    return form, csrf


# --------------------------------------------------------------------------- about the run


def argon2_alone(password: str, n: int = 20) -> float:
    """One verification at the default cost, alone, in this process: the p50 in ms."""
    passwords = Passwords(
        time_cost=DEFAULTS["argon2_time_cost"].default,
        memory_kib=DEFAULTS["argon2_memory_kib"].default,
    )
    stored = passwords.hash(password)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        passwords._hasher.verify(stored, password)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def hub_source() -> str:
    """A fingerprint of hub/'s source as the server starts: the working tree is what runs,
    and it may differ from every commit (others edit it); runs compare only when it matches."""
    digest = hashlib.sha256()
    for path in sorted((gb.ROOT / "hub").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".css", ".ini"):
            digest.update(str(path.relative_to(gb.ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]
