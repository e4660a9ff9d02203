"""``ssoClients``, ``registerSsoClient`` and ``revokeSsoClient``: the client registry for
system administrators (the same rules as ``hub clients``, :mod:`hub.sso.clients`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub import models
from hub.graphql.changes import run_change
from hub.graphql.context import Context
from hub.sso import clients


@strawberry.type(description="A business system that signs its users in through hub.")
class SsoClient:
    client_id: str = strawberry.field(description="The OAuth client_id.")
    name: str = strawberry.field(description="Shown on the sign-in page.")
    public: bool = strawberry.field(description="No secret; PKCE (S256) is required.")
    first_party: bool = strawberry.field(description="The city's own: no consent page.")
    redirect_uris: list[str] = strawberry.field(description="Matched exactly.")
    post_logout_redirect_uris: list[str] = strawberry.field(
        description="Where RP-initiated logout may return to."
    )
    backchannel_logout_uri: str | None = strawberry.field(
        description="Where logout tokens are POSTed."
    )
    scopes: list[str] = strawberry.field(description="Scopes the client may ask for.")
    org_count: int = strawberry.field(
        description="How many subtrees its sign-in is restricted to; 0: every active staff member."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")

    @classmethod
    def from_model(cls, m: models.SsoClient) -> SsoClient:
        return cls(
            client_id=m.client_id,
            name=m.name,
            public=m.is_public,
            first_party=m.first_party,
            redirect_uris=list(m.redirect_uris),
            post_logout_redirect_uris=list(m.post_logout_redirect_uris),
            backchannel_logout_uri=m.backchannel_logout_uri,
            scopes=list(m.scopes),
            org_count=len(m.org_ids),
            created_at=m.created_at,
            revoked_at=m.revoked_at,
        )


@strawberry.input(description="A business system to register.")
class RegisterSsoClientInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    redirect_uris: list[str] = strawberry.field(description="1 to 10 https addresses.")
    backchannel_logout_uri: str | None = strawberry.field(
        default=None, description="Where to POST logout tokens."
    )
    post_logout_redirect_uris: list[str] = strawberry.field(
        default_factory=list, description="Where logout may return to."
    )
    org_codes: list[str] = strawberry.field(
        default_factory=list, description="Only staff of these orgs' subtrees may sign in."
    )
    owner_org_code: str | None = strawberry.field(
        default=None, description="The org that runs the system."
    )
    scopes: list[str] = strawberry.field(
        default_factory=lambda: list(clients.DEFAULT_SCOPES),
        description="Allowed scopes: openid, profile, posts, email, phone, api.",
    )
    public: bool = strawberry.field(default=False, description="A mobile or single-page app.")
    first_party: bool = strawberry.field(default=True, description="No consent page.")


@strawberry.type(description="A registered client and its secret, shown this once.")
class RegisterSsoClientPayload:
    client: SsoClient = strawberry.field(description="The client.")
    client_secret: str | None = strawberry.field(
        description="Keep it now: hub keeps only its hash. Null for a public client."
    )


@strawberry.type
class SsoQuery:
    @strawberry.field(description="Every registered client, oldest first (system admin only).")
    async def sso_clients(self, info: Info[Context, None]) -> list[SsoClient]:
        async with info.context.sessions() as session:
            found = await clients.list_clients(session, info.context.viewer)
        return [SsoClient.from_model(c) for c in found]


@strawberry.type
class SsoMutation:
    @strawberry.mutation(description="Register a business system (system admin only).")
    async def register_sso_client(
        self,
        info: Info[Context, None],
        input: Annotated[RegisterSsoClientInput, strawberry.argument(description="The system.")],
    ) -> RegisterSsoClientPayload:
        spec = clients.ClientSpec(
            name=input.name,
            redirect_uris=input.redirect_uris,
            backchannel_logout_uri=input.backchannel_logout_uri,
            post_logout_redirect_uris=input.post_logout_redirect_uris,
            org_codes=input.org_codes,
            owner_org_code=input.owner_org_code,
            scopes=input.scopes,
            public=input.public,
            first_party=input.first_party,
        )
        made = await run_change(info.context, clients.register_client, spec=spec)
        return RegisterSsoClientPayload(
            client=SsoClient.from_model(made.client), client_secret=made.client_secret
        )

    @strawberry.mutation(
        description="Revoke a client: nobody signs in to it any more, and its tokens and "
        "sessions stop at once (system admin only)."
    )
    async def revoke_sso_client(
        self,
        info: Info[Context, None],
        client_id: Annotated[str, strawberry.argument(description="The client's client_id.")],
    ) -> SsoClient:
        client = await run_change(info.context, clients.revoke_client, client_id=client_id)
        return SsoClient.from_model(client)
