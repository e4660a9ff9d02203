"""After a person's posts change: their sessions at relying parties restricted to subtrees
they no longer hold a post in end in the same transaction (and those relying parties are
owed a back-channel logout). Sessions at clients open to every staff member go on, and
answer with the new posts on their next userinfo or introspection call."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.grants import load_grants, today
from hub.auth.revocation import revoke
from hub.models import AuthSession, Org, SsoClient
from hub.models.base import utcnow
from hub.models.enums import SessionKind
from hub.sso.check import admits


async def end_sessions_outside_posts(
    session: AsyncSession, staff_id: int, reason: str = "transfer"
) -> int:
    rows = (
        await session.exec(
            select(AuthSession.id, SsoClient.org_ids)
            .join(SsoClient, col(SsoClient.id) == col(AuthSession.client_pk))
            .where(
                col(AuthSession.staff_id) == staff_id,
                col(AuthSession.kind) == SessionKind.RELYING_PARTY,
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > utcnow(),
            )
        )
    ).all()
    restricted = [(sid, list(org_ids)) for sid, org_ids in rows if org_ids]
    if not restricted:
        return 0
    await session.flush()
    grants = await load_grants(await session.connection(), staff_id, today())
    wanted = {org for _, org_ids in restricted for org in org_ids}
    paths = dict(
        (await session.exec(select(Org.id, Org.path).where(col(Org.id).in_(wanted)))).all()
    )
    ending = [
        sid
        for sid, org_ids in restricted
        if not admits(True, tuple(paths[o] for o in org_ids if o in paths), grants, False)
    ]
    if not ending:
        return 0
    return await revoke(session, col(AuthSession.id).in_(ending), reason)
