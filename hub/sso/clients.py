"""The client registry: business systems a system administrator registers, from GraphQL or
``hub clients add|list|revoke``.

A confidential client gets a 256-bit random secret, shown once and kept as its sha256 (a
secret that strong needs no slow hash; argon2 would make every token request cost 50 ms of
CPU). A public client (a mobile or single-page app) has no secret and must use PKCE (S256).
Redirect URIs are matched exactly, never by prefix; they must be https, or http on the
loopback address (a native app or a developer's machine, RFC 8252 §7.3).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.grants import today
from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from hub.identity.audit import record_event
from hub.identity.staff import pinyin_of
from hub.models import AuditEvent, Membership, Org, SsoClient, Staff
from hub.models.base import utcnow
from hub.models.enums import Gender, PostType, StaffStatus

SCOPES = ("openid", "profile", "posts", "email", "phone", "api")
#: hub's own staff workbench (migration 0010): a public first-party client whose one redirect
#: URI is ``WORKBENCH_CALLBACK`` on hub itself, at whatever address hub is reached.
WORKBENCH_CLIENT_ID = "hub-workbench"
WORKBENCH_CALLBACK = "/staff/callback"
DEFAULT_SCOPES = ("openid", "profile", "posts")
SCOPE_TEXT = {
    "openid": "你的统一身份标识",
    "profile": "姓名和工号",
    "posts": "任职单位、岗位和角色",
    "email": "电子邮箱",
    "phone": "手机号码",
    "api": "以本系统所属单位名义调用数据共享接口",
}
MAX_URIS = 10
MAX_URI_CHARS = 500
MAX_ORGS = 50
MAX_LISTED = 1000  # a city registers tens of systems; the list is not paged
_LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
COMMAND_LINE = "command line"


@dataclass(frozen=True, slots=True)
class ClientSpec:
    name: str
    redirect_uris: list[str]
    backchannel_logout_uri: str | None = None
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    org_codes: list[str] = field(default_factory=list)
    owner_org_code: str | None = None
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    public: bool = False
    first_party: bool = True


@dataclass(frozen=True, slots=True)
class Registered:
    client: SsoClient
    client_secret: str | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(client: SsoClient, presented: str) -> bool:
    if client.secret_hash is None or not presented or len(presented) > 200:
        return False
    return hmac.compare_digest(client.secret_hash, hash_secret(presented))


def check_uri(uri: str, what: str) -> str:
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI_CHARS:
        raise BadUserInput(f"{what} must be 1 to {MAX_URI_CHARS} characters.")
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise BadUserInput(f"{what} {uri!r:.80} must not have a fragment.")
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return uri
    raise BadUserInput(
        f"{what} {uri!r:.80} must be an https address (or http on 127.0.0.1 for development)."
    )


def _uris(values: list[str], what: str, *, required: bool) -> list[str]:
    if required and not values:
        raise BadUserInput(f"Give at least one {what}.")
    if len(values) > MAX_URIS:
        raise BadUserInput(f"At most {MAX_URIS} {what}s.")
    return list(dict.fromkeys(check_uri(v, what) for v in values))


def _scopes(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(SCOPES))
    if unknown:
        raise BadUserInput(f"Unknown scopes {unknown}; hub knows {list(SCOPES)}.")
    if "openid" not in values and "api" not in values:
        raise BadUserInput("A client needs the openid scope, the api scope, or both.")
    return [s for s in SCOPES if s in values]


async def _org_ids(session: AsyncSession, codes: list[str]) -> list[int]:
    if len(codes) > MAX_ORGS:
        raise BadUserInput(f"At most {MAX_ORGS} orgs.")
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        return []
    rows = (await session.exec(select(Org.code, Org.id).where(col(Org.code).in_(wanted)))).all()
    found = {code: pk for code, pk in rows if pk is not None}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(f"No org has the code {missing[0]!r:.40}.")
    return [found[c] for c in wanted]


def _require_admin(actor: Viewer | None) -> None:
    if actor is not None and actor.is_anonymous:
        raise Unauthenticated("Sign in as a system administrator to manage SSO clients.")
    if actor is not None and not actor.is_system_admin:
        raise Forbidden("Only a system administrator registers or revokes SSO clients.")


def _snapshot(client: SsoClient) -> dict[str, object]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "public": client.is_public,
        "first_party": client.first_party,
        "redirect_uris": client.redirect_uris,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "scopes": client.scopes,
        "org_ids": client.org_ids,
        "revoked": client.revoked_at is not None,
    }


async def _audit(
    session: AsyncSession,
    actor: Viewer | None,
    request_id: str,
    action: str,
    client: SsoClient,
    before: dict[str, object] | None,
) -> None:
    if actor is None:
        session.add(
            AuditEvent(
                actor_id=None,
                action=action,
                target_type="sso_client",
                target_id=client.id or 0,
                org_path="/",
                before=before,
                after=_snapshot(client),
                reason=COMMAND_LINE,
            )
        )
        await session.flush()
        return
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action=action,
        target_type="sso_client",
        target_id=client.id or 0,
        org_id=None,
        org_path="/",
        before=before,
        after=_snapshot(client),
    )


async def register_client(
    *, session: AsyncSession, actor: Viewer | None, request_id: str, spec: ClientSpec
) -> Registered:
    """``actor`` None is the command line (an operator on the machine)."""
    _require_admin(actor)
    name = spec.name.strip()
    if not name or len(name) > 100:
        raise BadUserInput("A client's name must be 1 to 100 characters.")
    owner = None
    if spec.owner_org_code:
        owner = (await _org_ids(session, [spec.owner_org_code]))[0]
    secret = None if spec.public else secrets.token_urlsafe(32)
    client = SsoClient(
        client_id=f"hub-{secrets.token_hex(10)}",
        name=name,
        owner_org_id=owner,
        secret_hash=hash_secret(secret) if secret else None,
        is_public=spec.public,
        first_party=spec.first_party,
        redirect_uris=_uris(spec.redirect_uris, "redirect URI", required="openid" in spec.scopes),
        post_logout_redirect_uris=_uris(
            spec.post_logout_redirect_uris, "post-logout redirect URI", required=False
        ),
        backchannel_logout_uri=(
            check_uri(spec.backchannel_logout_uri, "back-channel logout URI")
            if spec.backchannel_logout_uri
            else None
        ),
        scopes=_scopes(spec.scopes),
        org_ids=await _org_ids(session, spec.org_codes),
        created_by=actor.staff_id if actor else None,
    )
    if client.is_public and "api" in client.scopes:
        raise BadUserInput("A public client cannot hold the api scope (it keeps no secret).")
    if "api" in client.scopes:
        if owner is None:
            raise BadUserInput("A client with the api scope needs an owner org to act for.")
        client.service_staff_id = await _service_account(session, client, owner)
    session.add(client)
    await session.flush()
    await _audit(session, actor, request_id, "sso_client.register", client, None)
    return Registered(client, secret)


async def _service_account(session: AsyncSession, client: SsoClient, owner: int) -> int:
    """The 系统账号 a client with the api scope acts as: no password (it never signs in on a
    page), one primary post in the owner org without roles."""
    name = f"{client.name}（系统账号）"[:50]
    staff = Staff(
        login_no=f"svc-{client.client_id.removeprefix('hub-')}",
        name=name,
        name_pinyin=pinyin_of(name),
        gender=Gender.UNSTATED,
        status=StaffStatus.ACTIVE,
        password_hash=None,
    )
    session.add(staff)
    await session.flush()
    assert staff.id is not None
    session.add(
        Membership(
            staff_id=staff.id,
            org_id=owner,
            position="系统账号",
            post_type=PostType.PRIMARY,
            roles=[],
            starts_on=today(),
        )
    )
    await session.flush()
    return staff.id


async def revoke_client(
    *, session: AsyncSession, actor: Viewer | None, request_id: str, client_id: str
) -> SsoClient:
    """A revoked client can no longer sign anyone in; its tokens and sessions stop at once
    (every check reads the client's ``revoked_at``)."""
    _require_admin(actor)
    client = await find_client(session, client_id)
    if client is None:
        raise NotFound(f"No SSO client has the id {client_id!r:.60}.")
    before = _snapshot(client)
    if client.revoked_at is None:
        await session.exec(
            update(SsoClient)
            .where(col(SsoClient.id) == client.id)
            .values(revoked_at=utcnow(), version=col(SsoClient.version) + 1)
        )
        await session.refresh(client)
        if client.service_staff_id is not None:
            await session.exec(
                update(Staff)
                .where(col(Staff.id) == client.service_staff_id)
                .values(status=StaffStatus.SUSPENDED, version=col(Staff.version) + 1)
            )
        await _audit(session, actor, request_id, "sso_client.revoke", client, before)
    return client


async def find_client(session: AsyncSession, client_id: str) -> SsoClient | None:
    if not client_id or len(client_id) > 48:
        return None
    return (
        await session.exec(select(SsoClient).where(col(SsoClient.client_id) == client_id))
    ).first()


async def list_clients(session: AsyncSession, actor: Viewer | None) -> list[SsoClient]:
    _require_admin(actor)
    statement = select(SsoClient).order_by(col(SsoClient.id)).limit(MAX_LISTED)
    return list((await session.exec(statement)).all())


async def client_org_paths(session: AsyncSession, client: SsoClient) -> tuple[str, ...]:
    """The subtrees whose staff may sign in to ``client``; empty: everyone."""
    if not client.org_ids:
        return ()
    rows = (await session.exec(select(Org.path).where(col(Org.id).in_(client.org_ids)))).all()
    return tuple(rows)
