"""What relying parties ask about a token: userinfo (OIDC Core §5.3), introspection (RFC 7662)
and revocation (RFC 7009). Each answers from the session's check of this moment
(``hub.sso.check.live_session``), never from the token's claims alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.revocation import revoke
from hub.auth.runtime import IdentityRuntime
from hub.auth.tokens import hash_refresh_token
from hub.db import transaction
from hub.models import AuthSession
from hub.models.enums import SessionKind
from hub.sso.check import LiveSession, live_session
from hub.sso.runtime import SsoRuntime
from hub.sso.token import Caller
from hub.sso.tokens import AccessToken, read_access_token

INACTIVE: dict[str, Any] = {"active": False}


async def userinfo(
    *,
    engine: AsyncEngine,
    runtime: SsoRuntime,
    identity: IdentityRuntime,
    issuer: str,
    token: str,
) -> dict[str, Any] | None:
    """The person's claims by the session's scopes; None: the token is not (or no longer) good."""
    access = read_access_token(runtime.keys, issuer, token)
    if access is None or access.session_id is None:
        return None
    live = await live_session(engine, identity.grants, runtime.client_paths, access.session_id)
    if live is None or live.client_id != access.client_id:
        return None
    return await runtime.people.claims(engine, live.staff_id, live.staff_version, live.scope)


async def introspect(
    *,
    engine: AsyncEngine,
    runtime: SsoRuntime,
    identity: IdentityRuntime,
    issuer: str,
    caller: Caller,
    token: str,
) -> dict[str, Any]:
    """A client learns about its own tokens only: another client's are ``active: false``."""
    access = read_access_token(runtime.keys, issuer, token)
    if access is not None:
        return await _introspect_access(engine, runtime, identity, caller, access)
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                select(col(AuthSession.id)).where(
                    col(AuthSession.refresh_hash) == hash_refresh_token(token),
                    col(AuthSession.kind) == SessionKind.RELYING_PARTY,
                    col(AuthSession.client_pk) == caller.pk,
                )
            )
        ).first()
    if found is None:
        return INACTIVE
    live = await live_session(engine, identity.grants, runtime.client_paths, found[0])
    if live is None:
        return INACTIVE
    answer = await _about(engine, runtime, live)
    answer["token_type"] = "refresh_token"
    return answer


async def _introspect_access(
    engine: AsyncEngine,
    runtime: SsoRuntime,
    identity: IdentityRuntime,
    caller: Caller,
    access: AccessToken,
) -> dict[str, Any]:
    if access.client_id != caller.client_id:
        return INACTIVE
    base = {
        "active": True,
        "token_type": "Bearer",
        "client_id": access.client_id,
        "iss": access.claims.get("iss"),
        "aud": access.claims.get("aud"),
        "iat": access.claims.get("iat"),
        "exp": access.expires_at,
    }
    if access.session_id is None:  # client_credentials: the client itself, checked just now
        return {**base, "sub": access.client_id, "scope": "api"}
    live = await live_session(engine, identity.grants, runtime.client_paths, access.session_id)
    if live is None or live.client_id != caller.client_id:
        return INACTIVE
    return {**(await _about(engine, runtime, live)), **base}


async def _about(engine: AsyncEngine, runtime: SsoRuntime, live: LiveSession) -> dict[str, Any]:
    claims = await runtime.people.claims(engine, live.staff_id, live.staff_version, live.scope)
    return {
        **claims,
        "active": True,
        "client_id": live.client_id,
        "scope": " ".join(sorted(live.scope)),
        "sid": live.sid,
        "username": claims.get("preferred_username"),
    }


async def revoke_token(
    *,
    factory: async_sessionmaker[AsyncSession],
    runtime: SsoRuntime,
    issuer: str,
    caller: Caller,
    token: str,
) -> None:
    """Revoking either token of a session ends the session (both die together). Unknown
    tokens and other clients' tokens are ignored, as RFC 7009 §2.2 asks."""
    access = read_access_token(runtime.keys, issuer, token)
    if access is not None:
        if access.client_id != caller.client_id or access.session_id is None:
            return
        where = col(AuthSession.id) == access.session_id
    else:
        where = col(AuthSession.refresh_hash) == hash_refresh_token(token)
    async with transaction(factory) as session:
        await revoke(
            session,
            where
            & (col(AuthSession.kind) == SessionKind.RELYING_PARTY)
            & (col(AuthSession.client_pk) == caller.pk),
            "revoked_by_client",
            quiet_client=caller.pk,
        )
