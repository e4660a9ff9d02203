"""Sign-in mutations: login, refreshToken, logout, logoutEverywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.auth import sessions
from hub.auth.permissions import require_signed_in
from hub.auth.runtime import identity_runtime
from hub.db import transaction
from hub.errors import Unauthenticated
from hub.graphql.context import Context
from hub.ids import to_global_id


@strawberry.input(description="Credentials of a staff member.")
class LoginInput:
    login_no: str = strawberry.field(description="工号.")
    password: str = strawberry.field(description="Password.")


@strawberry.input(description="A refresh token to exchange for a new pair of tokens.")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(description="The latest refresh token you were given.")


@strawberry.input(description="Which session to end.")
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None,
        description="End the session of this refresh token; without it, the session of the "
        "access token the request is signed with.",
    )


@strawberry.type(
    description="Tokens of a session. Send the access token as `Authorization: Bearer …`; "
    "when it expires, exchange the refresh token (once: it rotates) with refreshToken."
)
class AuthPayload:
    access_token: str = strawberry.field(description="Short-lived bearer token.")
    access_token_expires_at: datetime = strawberry.field(description="When it stops working.")
    refresh_token: str = strawberry.field(
        description="Single-use token for refreshToken; using one twice ends the session."
    )
    refresh_token_expires_at: datetime = strawberry.field(
        description="When the session ends unless refreshed."
    )
    token_type: str = strawberry.field(description="Always 'Bearer'.")
    staff_id: strawberry.ID = strawberry.field(description="Global id of the staff member.")

    @classmethod
    def from_tokens(cls, t: sessions.IssuedTokens) -> AuthPayload:
        return cls(
            access_token=t.access_token,
            access_token_expires_at=t.access_expires_at,
            refresh_token=t.refresh_token,
            refresh_token_expires_at=t.refresh_expires_at,
            token_type="Bearer",
            staff_id=strawberry.ID(to_global_id("Staff", t.staff_id)),
        )


@strawberry.type(description="Result of ending sessions.")
class LogoutPayload:
    sessions_ended: int = strawberry.field(description="How many sessions were ended.")


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Sign in. Wrong credentials answer UNAUTHENTICATED, alike for an unknown "
        "login number, a wrong password and an account that may not sign in; repeated failures "
        "lock the login number (and the client address) for a while, answered "
        "TOO_MANY_REQUESTS with `retryAfterSeconds`."
    )
    async def login(
        self,
        info: Info[Context, None],
        input: Annotated[LoginInput, strawberry.argument(description="Credentials.")],
    ) -> AuthPayload:
        ctx = info.context
        if ctx.request is None:
            raise Unauthenticated("Sign in over HTTP.")
        request = ctx.request
        tokens = await sessions.login(
            factory=ctx.sessions,
            runtime=identity_runtime(request.app),
            login_no=input.login_no,
            password=input.password,
            client_ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        return AuthPayload.from_tokens(tokens)

    @strawberry.mutation(
        description="Exchange a refresh token for new tokens. Send it without an expired "
        "Authorization header: any bearer token on a request is checked, whatever it asks."
    )
    async def refresh_token(
        self,
        info: Info[Context, None],
        input: Annotated[
            RefreshTokenInput, strawberry.argument(description="The refresh token to spend.")
        ],
    ) -> AuthPayload:
        ctx = info.context
        tokens = await sessions.refresh(
            factory=ctx.sessions, settings=ctx.settings, refresh_token=input.refresh_token
        )
        return AuthPayload.from_tokens(tokens)

    @strawberry.mutation(description="End one session: this request's, or a refresh token's.")
    async def logout(
        self,
        info: Info[Context, None],
        input: Annotated[
            LogoutInput | None,
            strawberry.argument(description="Which session; this request's when omitted."),
        ] = None,
    ) -> LogoutPayload:
        ctx = info.context
        refresh_token = input.refresh_token if input is not None else None
        session_id = ctx.viewer.session_id if not refresh_token else None
        if session_id is None and not refresh_token:
            raise Unauthenticated("Sign in, or give the refresh token of the session to end.")
        async with transaction(ctx.sessions) as session:
            ended = await sessions.logout(
                session=session, session_id=session_id, refresh_token=refresh_token
            )
        return LogoutPayload(sessions_ended=int(ended))

    @strawberry.mutation(description="End every session of the signed-in staff member.")
    async def logout_everywhere(self, info: Info[Context, None]) -> LogoutPayload:
        ctx = info.context
        staff_id = require_signed_in(ctx.viewer)
        async with transaction(ctx.sessions) as session:
            ended = await sessions.revoke_sessions(
                session=session, staff_id=staff_id, reason="logout_everywhere"
            )
        return LogoutPayload(sessions_ended=ended)
