"""The authorization endpoint's steps: check the request (RFC 6749 §4.1.1, PKCE RFC 7636,
OIDC Core §3.1.2), know the browser by its sign-in cookie, and issue a one-time code.

Errors that concern the client or its redirect URI are shown to the person (never sent to an
address that is not registered: RFC 6749 §4.1.2.1); every other error goes back to the
client's redirect URI with ``error``, ``state`` and ``iss`` (RFC 9207).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.grants import load_grants, today
from hub.auth.tokens import hash_refresh_token
from hub.db import transaction
from hub.models import AuthSession, SsoClient, SsoCode, Staff
from hub.models.base import utcnow
from hub.models.enums import SessionKind, StaffStatus
from hub.sso.check import ClientOrgPaths, admits
from hub.sso.clients import WORKBENCH_CALLBACK, WORKBENCH_CLIENT_ID, find_client

MAX_PARAM_CHARS = 500
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43,128}")
PROMPTS = {"none", "login", "consent", "select_account"}


class ShowError(Exception):
    """An error shown on hub's own page: the client or redirect URI cannot be trusted."""


class RedirectError(Exception):
    """An error sent back to the client's (registered) redirect URI."""

    def __init__(self, error: str, description: str, request: AuthorizationRequest) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.request = request


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client_pk: int
    client_id: str
    client_name: str
    first_party: bool
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    prompt: frozenset[str]

    def as_params(self) -> dict[str, str]:
        """The request again, for the sign-in form to carry to its POST."""
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scope),
        }
        if self.state is not None:
            params["state"] = self.state
        if self.nonce is not None:
            params["nonce"] = self.nonce
        if self.code_challenge is not None:
            params["code_challenge"] = self.code_challenge
            params["code_challenge_method"] = "S256"
        return params


async def parse_request(
    session: AsyncSession, params: Mapping[str, str], *, issuer: str = ""
) -> AuthorizationRequest:
    """``issuer`` is where hub is reached: the workbench's redirect URI is under it."""
    for name, value in params.items():
        if len(value) > MAX_PARAM_CHARS:
            raise ShowError(f"参数 {name[:40]} 过长。")
    client = await find_client(session, params.get("client_id", ""))
    if client is None or client.revoked_at is not None:
        raise ShowError("未找到该业务系统，或它已停用。请从业务系统重新进入。")
    allowed = list(client.redirect_uris)
    if client.client_id == WORKBENCH_CLIENT_ID and issuer:
        allowed = [issuer.rstrip("/") + WORKBENCH_CALLBACK]
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None and len(allowed) == 1:
        redirect_uri = allowed[0]
    if redirect_uri is None or redirect_uri not in allowed:
        raise ShowError("回调地址与该业务系统登记的地址不一致，已停止登录。")
    state = params.get("state")
    request = AuthorizationRequest(
        client_pk=client.id or 0,
        client_id=client.client_id,
        client_name=client.name,
        first_party=client.first_party,
        redirect_uri=redirect_uri,
        scope=(),
        state=state,
        nonce=params.get("nonce"),
        code_challenge=params.get("code_challenge"),
        prompt=frozenset(params.get("prompt", "").split()),
    )
    if params.get("response_type") != "code":
        raise RedirectError(
            "unsupported_response_type", "Only response_type=code is supported.", request
        )
    asked = params.get("scope", "").split()
    if "openid" not in asked:
        raise RedirectError("invalid_scope", "The openid scope is required.", request)
    scope = tuple(s for s in client.scopes if s in asked and s != "api")
    method = params.get("code_challenge_method")
    challenge = request.code_challenge
    if challenge is not None:
        if method != "S256":
            raise RedirectError("invalid_request", "code_challenge_method must be S256.", request)
        if not _CHALLENGE.fullmatch(challenge):
            raise RedirectError("invalid_request", "code_challenge is malformed.", request)
    elif client.is_public:
        raise RedirectError(
            "invalid_request", "A public client must send a PKCE code_challenge (S256).", request
        )
    if not request.prompt <= PROMPTS or ("none" in request.prompt and len(request.prompt) > 1):
        raise RedirectError("invalid_request", "prompt is not valid.", request)
    return replace(request, scope=scope)


@dataclass(frozen=True, slots=True)
class Browser:
    """A browser signed in at hub's sign-in page."""

    session_id: str
    staff_id: int
    auth_time: datetime
    must_change_password: bool
    is_system_admin: bool
    staff_version: int


async def browser_session(engine: AsyncEngine, cookie: str | None) -> Browser | None:
    if not cookie or len(cookie) > 100:
        return None
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa_select(
                    col(AuthSession.id),
                    col(AuthSession.staff_id),
                    col(AuthSession.created_at),
                    col(AuthSession.expires_at),
                    col(AuthSession.revoked_at),
                    col(Staff.status),
                    col(Staff.must_change_password),
                    col(Staff.is_system_admin),
                    col(Staff.version),
                )
                .join(Staff, col(Staff.id) == col(AuthSession.staff_id))
                .where(
                    col(AuthSession.refresh_hash) == hash_refresh_token(cookie),
                    col(AuthSession.kind) == SessionKind.BROWSER,
                )
            )
        ).first()
    if row is None:
        return None
    session_id, staff_id, created, expires, revoked, status, must_change, admin, version = row
    if revoked is not None or expires <= datetime.now(UTC) or status != StaffStatus.ACTIVE:
        return None
    return Browser(session_id, staff_id, created, bool(must_change), bool(admin), version)


async def admitted(
    engine: AsyncEngine, paths_cache: ClientOrgPaths, request: AuthorizationRequest, who: Browser
) -> bool:
    """Whether ``who`` may sign in to the request's client: its org restriction, today."""
    async with engine.connect() as conn:
        client = (
            await conn.execute(
                sa_select(col(SsoClient.version), col(SsoClient.org_ids)).where(
                    col(SsoClient.id) == request.client_pk
                )
            )
        ).one()
        paths = await paths_cache.get(conn, request.client_pk, client[0], list(client[1] or ()))
        grants = await load_grants(conn, who.staff_id, today())
    return admits(bool(client[1]), paths, grants, who.is_system_admin)


async def issue_code(
    factory: async_sessionmaker[AsyncSession],
    request: AuthorizationRequest,
    who: Browser,
    *,
    lifetime_seconds: int,
) -> str:
    code = secrets.token_urlsafe(32)
    now = utcnow()
    async with transaction(factory) as session:
        session.add(
            SsoCode(
                code_hash=hash_refresh_token(code),
                client_pk=request.client_pk,
                staff_id=who.staff_id,
                browser_session_id=who.session_id,
                redirect_uri=request.redirect_uri,
                scope=" ".join(request.scope),
                nonce=request.nonce,
                code_challenge=request.code_challenge,
                auth_time=who.auth_time,
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime_seconds),
            )
        )
    return code
