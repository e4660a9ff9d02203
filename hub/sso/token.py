"""The token endpoint (RFC 6749 §3.2, §4.1.3, §6, §4.4; PKCE RFC 7636 §4.6; OIDC Core §3.1.3):
client authentication, then one of three grants.

- ``authorization_code``: the code is spent in one compare-and-set; a code that comes back
  revokes what it was exchanged for (RFC 6749 §4.1.2). Client, redirect URI, expiry and the
  PKCE verifier are checked after it is spent, so a wrong guess cannot be retried.
- ``refresh_token``: rotation with reuse detection (``hub.auth.sessions.rotate``), then the
  same per-request check as userinfo: a departed or moved-out person gets ``invalid_grant``.
- ``client_credentials``: a confidential client with the ``api`` scope calls hub's API on
  behalf of its owner org.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.revocation import revoke
from hub.auth.runtime import IdentityRuntime
from hub.auth.sessions import rotate
from hub.auth.sign_in_audit import record_sign_in
from hub.auth.tokens import hash_refresh_token, new_refresh_token, new_session_id
from hub.db import transaction
from hub.errors import HubError
from hub.models import AuthSession, SsoClient, SsoCode, Staff
from hub.models.base import utcnow
from hub.models.enums import SessionKind, StaffStatus
from hub.sso.check import LiveSession, live_session
from hub.sso.clients import secret_matches
from hub.sso.runtime import SsoRuntime
from hub.sso.tokens import sign_access_token, sign_id_token

_VERIFIER_CHARS = (43, 128)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated client at the token, introspection or revocation endpoint."""

    pk: int
    client_id: str
    is_public: bool
    scopes: tuple[str, ...]
    owner_org_id: int | None
    service_staff_id: int | None = None


async def authenticate_client(
    session: AsyncSession, client_id: str, secret: str | None, *, via_header: bool
) -> Caller:
    """client_secret_basic, client_secret_post, or ``none`` for a public client."""
    client = None
    if client_id and len(client_id) <= 48:
        client = (
            await session.exec(select(SsoClient).where(col(SsoClient.client_id) == client_id))
        ).first()
    refused = InvalidClientError(
        description="Client authentication failed.", status_code=401 if via_header else 400
    )
    if client is None or client.revoked_at is not None:
        raise refused
    if client.is_public:
        if secret:
            raise refused
    elif secret is None or not secret_matches(client, secret):
        raise refused
    return Caller(
        client.id or 0,
        client.client_id,
        client.is_public,
        tuple(client.scopes),
        client.owner_org_id,
        client.service_staff_id,
    )


def _expires_in(runtime: SsoRuntime) -> int:
    return runtime.settings.sso_access_token_minutes * 60


def access_token_for(
    runtime: SsoRuntime, issuer: str, caller: Caller, live: LiveSession | None
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": issuer,
        "client_id": caller.client_id,
        "iat": now,
        "exp": now + _expires_in(runtime),
        "jti": secrets.token_urlsafe(12),
    }
    if live is None:
        claims["sub"] = caller.client_id
        claims["scope"] = "api"
    else:
        claims["sub"] = live.subject
        claims["scope"] = " ".join(sorted(live.scope))
        claims["sid"] = live.sid
        claims["rsid"] = live.session_id
    return sign_access_token(runtime.keys, claims)


async def id_token_for(
    runtime: SsoRuntime,
    engine: AsyncEngine,
    issuer: str,
    live: LiveSession,
    nonce: str | None,
) -> str:
    now = int(time.time())
    claims = await runtime.people.claims(engine, live.staff_id, live.staff_version, live.scope)
    claims.update(
        {
            "iss": issuer,
            "aud": live.client_id,
            "azp": live.client_id,
            "iat": now,
            "exp": now + _expires_in(runtime),
            "sid": live.sid,
        }
    )
    if live.auth_time is not None:
        claims["auth_time"] = int(live.auth_time.timestamp())
    if nonce is not None:
        claims["nonce"] = nonce
    return sign_id_token(runtime.keys, claims)


async def exchange_code(
    *,
    factory: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    runtime: SsoRuntime,
    identity: IdentityRuntime,
    caller: Caller,
    issuer: str,
    code: str,
    redirect_uri: str | None,
    verifier: str | None,
    request_id: str,
) -> dict[str, Any]:
    if not code or len(code) > 200:
        raise InvalidRequestError(description="Give the authorization code.")
    now = utcnow()
    refusal: InvalidGrantError | None = None
    session_id = new_session_id()
    refresh_token = new_refresh_token()
    nonce = None
    async with transaction(factory) as session:
        spent = (
            await session.exec(
                update(SsoCode)
                .where(
                    col(SsoCode.code_hash) == hash_refresh_token(code),
                    col(SsoCode.used_at).is_(None),
                )
                .values(used_at=now, session_id=session_id)
                .returning(col(SsoCode.code_hash))
            )
        ).first()
        if spent is None:
            refusal = await _refuse_spent_code(session, code)
        else:
            grant = await session.get_one(SsoCode, spent[0])
            refusal = _check_code(grant, caller, redirect_uri, verifier, now)
            if refusal is None:
                refusal = await _open_rp_session(
                    session, runtime, grant, session_id, refresh_token, now
                )
            if refusal is None:
                nonce = grant.nonce
                await record_sign_in(
                    session,
                    staff_id=grant.staff_id,
                    action="sso.token",
                    details={"client_id": caller.client_id, "grant": "authorization_code"},
                    request_id=request_id,
                )
    if refusal is not None:
        raise refusal
    live = await live_session(engine, identity.grants, runtime.client_paths, session_id)
    if live is None:
        raise InvalidGrantError(description="The person may not sign in to this client now.")
    return {
        "access_token": access_token_for(runtime, issuer, caller, live),
        "token_type": "Bearer",
        "expires_in": _expires_in(runtime),
        "refresh_token": refresh_token,
        "id_token": await id_token_for(runtime, engine, issuer, live, nonce),
        "scope": " ".join(sorted(live.scope)),
    }


async def _refuse_spent_code(session: AsyncSession, code: str) -> InvalidGrantError:
    """A code presented twice: whoever holds it now is not to be trusted with what it gave."""
    used = (
        await session.exec(
            select(SsoCode.session_id).where(col(SsoCode.code_hash) == hash_refresh_token(code))
        )
    ).first()
    if used:
        await revoke(session, col(AuthSession.id) == used, "code_reuse")
        return InvalidGrantError(
            description="The authorization code was already used; what it gave is revoked."
        )
    return InvalidGrantError(description="The authorization code is not valid.")


def _check_code(
    grant: SsoCode, caller: Caller, redirect_uri: str | None, verifier: str | None, now: Any
) -> InvalidGrantError | None:
    if grant.client_pk != caller.pk:
        return InvalidGrantError(description="The code was issued to another client.")
    if grant.expires_at <= now:
        return InvalidGrantError(description="The authorization code has expired.")
    if redirect_uri != grant.redirect_uri:
        return InvalidGrantError(description="redirect_uri does not match the authorization.")
    if grant.code_challenge is not None:
        if not verifier or not _VERIFIER_CHARS[0] <= len(verifier) <= _VERIFIER_CHARS[1]:
            return InvalidGrantError(description="A valid code_verifier is required.")
        if not compare_s256_code_challenge(verifier, grant.code_challenge):
            return InvalidGrantError(description="The code_verifier does not match.")
    elif verifier:
        return InvalidGrantError(description="No code_challenge was sent for this code.")
    return None


async def _open_rp_session(
    session: AsyncSession,
    runtime: SsoRuntime,
    grant: SsoCode,
    session_id: str,
    refresh_token: str,
    now: Any,
) -> InvalidGrantError | None:
    """The relying party's session, if the browser sign-in and the person still hold."""
    browser = await session.get(AuthSession, grant.browser_session_id)
    staff = await session.get(Staff, grant.staff_id)
    if (
        browser is None
        or browser.revoked_at is not None
        or staff is None
        or staff.status != StaffStatus.ACTIVE
    ):
        return InvalidGrantError(description="The sign-in behind this code has ended.")
    session.add(
        AuthSession(
            id=session_id,
            staff_id=grant.staff_id,
            refresh_hash=hash_refresh_token(refresh_token),
            created_at=now,
            refreshed_at=now,
            expires_at=now + timedelta(days=runtime.settings.refresh_token_days),
            kind=SessionKind.RELYING_PARTY,
            client_pk=grant.client_pk,
            browser_session_id=grant.browser_session_id,
            scope=grant.scope,
            auth_time=grant.auth_time,
        )
    )
    await session.flush()
    return None


async def refresh_grant(
    *,
    factory: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    runtime: SsoRuntime,
    identity: IdentityRuntime,
    caller: Caller,
    issuer: str,
    refresh_token: str,
) -> dict[str, Any]:
    if not refresh_token or len(refresh_token) > 200:
        raise InvalidRequestError(description="Give the refresh token.")
    try:
        auth, new_token, _ = await rotate(
            factory,
            runtime.settings,
            refresh_token,
            kind=SessionKind.RELYING_PARTY,
            client_pk=caller.pk,
        )
    except HubError as refused:
        raise InvalidGrantError(description=printable(str(refused))) from None
    live = await live_session(engine, identity.grants, runtime.client_paths, auth.id)
    if live is None:
        raise InvalidGrantError(description="The person may not sign in to this client now.")
    return {
        "access_token": access_token_for(runtime, issuer, caller, live),
        "token_type": "Bearer",
        "expires_in": _expires_in(runtime),
        "refresh_token": new_token,
        "id_token": await id_token_for(runtime, engine, issuer, live, None),
        "scope": " ".join(sorted(live.scope)),
    }


async def client_credentials(
    *,
    factory: async_sessionmaker[AsyncSession],
    runtime: SsoRuntime,
    caller: Caller,
    issuer: str,
    scope: str | None,
    request_id: str,
) -> dict[str, Any]:
    if caller.is_public:
        raise UnauthorizedClientError(description="A public client has no credentials.")
    if "api" not in caller.scopes or caller.service_staff_id is None:
        raise UnauthorizedClientError(
            description="Only a client with the api scope and an owner org may use this grant."
        )
    if scope is not None and set(scope.split()) - {"api"}:
        raise InvalidScopeError(description="client_credentials grants only the api scope.")
    async with transaction(factory) as session:
        await record_sign_in(
            session,
            staff_id=caller.service_staff_id,
            action="sso.token",
            details={"client_id": caller.client_id, "grant": "client_credentials"},
            request_id=request_id,
        )
    return {
        "access_token": access_token_for(runtime, issuer, caller, None),
        "token_type": "Bearer",
        "expires_in": _expires_in(runtime),
        "scope": "api",
    }


def printable(text: str) -> str:
    """error_description and the like: printable ASCII only (RFC 6749 §5.2), no quotes."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')[:200]
