"""Signing out: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) ends the browser's
sign-in and every relying party's session that came from it; and the worker that delivers
back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0) owed in ``sso_logout``.

Delivery: each due row is claimed with a compare-and-set (so two workers never send the same
row at once), POSTed as ``logout_token=…`` within ``sso_logout_timeout_seconds``, and marked
delivered on a 2xx answer. Otherwise it is tried again after 2, 4, 8 … seconds, at most ten
minutes apart, for as long as it takes: a logout owed is never dropped. A revoked client or one
without a logout URI any more is settled with a note instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.revocation import revoke
from hub.auth.sign_in_audit import record_sign_in
from hub.db import transaction
from hub.models import AuthSession, SsoClient, SsoLogout
from hub.models.base import utcnow
from hub.models.enums import SessionKind
from hub.sso.check import subject_of
from hub.sso.runtime import SsoRuntime
from hub.sso.tokens import sign_logout_token

log = logging.getLogger("hub.sso.logout")
BATCH = 20
LEASE_SECONDS = 60
MAX_BACKOFF_SECONDS = 600


async def end_browser_session(
    session: AsyncSession,
    *,
    browser_session_id: str,
    initiator: int | None,
    request_id: str,
) -> int:
    """End a browser's sign-in and its relying parties' sessions; every relying party but
    ``initiator`` (the one that asked) is owed a back-channel logout."""
    browser = await session.get(AuthSession, browser_session_id)
    if browser is None or browser.kind != SessionKind.BROWSER:
        return 0
    staff_id = browser.staff_id
    ended = await revoke(
        session,
        (col(AuthSession.id) == browser_session_id)
        | (col(AuthSession.browser_session_id) == browser_session_id),
        "logout",
        quiet_client=initiator,
    )
    await record_sign_in(
        session,
        staff_id=staff_id,
        action="sso.logout",
        details={"sessions_ended": ended},
        request_id=request_id,
    )
    return ended


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_SECONDS))


class LogoutWorker:
    """One per process; started by the app's lifespan."""

    POLL_SECONDS = 1.0

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        runtime: SsoRuntime,
        issuer: str | None,
    ) -> None:
        self._factory = factory
        self._runtime = runtime
        self._issuer = issuer
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(
            timeout=runtime.settings.sso_logout_timeout_seconds, follow_redirects=False
        )
        self.delivered = 0
        self.failed = 0

    def set_issuer(self, issuer: str) -> None:
        """Outside production without ``HUB_PUBLIC_URL`` the issuer is learnt from the first
        request; until then nothing is sent (a logout token must name its issuer)."""
        if self._issuer is None:
            self._issuer = issuer

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hub-sso-logout")

    def wake(self) -> None:
        self._wake.set()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away a moment: keep the worker alive
                log.exception("back-channel logout round failed")
                sent = 0
            if sent < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.POLL_SECONDS)
                self._wake.clear()

    async def run_once(self) -> int:
        """Deliver what is due now; the number of rows tried."""
        if self._issuer is None:
            return 0
        now = utcnow()
        async with self._factory() as session:
            due = (
                await session.exec(
                    select(SsoLogout, SsoClient)
                    .join(SsoClient, col(SsoClient.id) == col(SsoLogout.client_pk))
                    .where(
                        col(SsoLogout.delivered_at).is_(None),
                        col(SsoLogout.next_attempt_at) <= now,
                    )
                    .order_by(col(SsoLogout.next_attempt_at))
                    .limit(BATCH)
                )
            ).all()
        tried = 0
        for owed, client in due:
            if await self._claim(owed, now):
                tried += 1
                await self._deliver(owed, client)
        return tried

    async def _claim(self, owed: SsoLogout, now: object) -> bool:
        async with transaction(self._factory) as session:
            result = await session.exec(
                update(SsoLogout)
                .where(
                    col(SsoLogout.id) == owed.id,
                    col(SsoLogout.next_attempt_at) == owed.next_attempt_at,
                    col(SsoLogout.delivered_at).is_(None),
                )
                .values(
                    next_attempt_at=utcnow() + timedelta(seconds=LEASE_SECONDS),
                    attempts=col(SsoLogout.attempts) + 1,
                )
            )
        return bool(result.rowcount == 1)

    async def _deliver(self, owed: SsoLogout, client: SsoClient) -> None:
        assert self._issuer is not None
        uri = client.backchannel_logout_uri
        if client.revoked_at is not None or not uri:
            await self._settle(owed, client, "client revoked or without a logout URI")
            return
        token = sign_logout_token(
            self._runtime.keys,
            issuer=self._issuer,
            client_id=client.client_id,
            subject=subject_of(owed.staff_id),
            sid=owed.sid,
        )
        try:
            answer = await self._client.post(
                uri,
                data={"logout_token": token},
                headers={"Cache-Control": "no-store"},
            )
            error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        if error is None:
            await self._settle(owed, client, None)
            return
        async with transaction(self._factory) as session:
            await session.exec(
                update(SsoLogout)
                .where(col(SsoLogout.id) == owed.id)
                .values(
                    next_attempt_at=utcnow() + backoff(owed.attempts + 1),
                    last_error=error,
                )
            )
        self.failed += 1
        log.warning("back-channel logout to %s failed: %s", client.client_id, error)

    async def _settle(self, owed: SsoLogout, client: SsoClient, note: str | None) -> None:
        async with transaction(self._factory) as session:
            await session.exec(
                update(SsoLogout)
                .where(col(SsoLogout.id) == owed.id)
                .values(delivered_at=utcnow(), last_error=note or "")
            )
            await record_sign_in(
                session,
                staff_id=owed.staff_id,
                action="sso.backchannel_logout",
                details={
                    "client_id": client.client_id,
                    "sid": owed.sid,
                    "reason": owed.reason,
                    "attempts": owed.attempts + 1,
                    "delivered": note is None,
                    "note": note,
                },
            )
        if note is None:
            self.delivered += 1
