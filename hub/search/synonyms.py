"""The synonym table in the database: read by every query, grown by the city's catalogue staff.

What citizens type (生孩子, 户口本, 狗证) → words of official names (生育, 居民户口簿, 犬只登记).
The table is applied to queries only, never to the index, so a change needs no reindex:

- every change (:func:`put_synonym`, :func:`remove_synonym`) is audited and bumps the
  table's revision (``search_state`` row ``synonyms``) in the same transaction;
- each process keeps the table in memory (:class:`SynonymStore`) and reads the revision at most
  every second before a search (:mod:`hub.search.refreshed`), loading the table again when it
  moved; the process that made the change reloads at once. So a change applies to the next
  query on that worker and within a second on the others.

Who may change it: a system admin, or staff holding the ``catalogue`` role over the city's root
org (the table is city-wide; an org admin's subtree is not enough).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.auth.viewer import Viewer
from hub.errors import BadUserInput, Forbidden, NotFound
from hub.identity.audit import record_event
from hub.models import Org, SearchState, SearchSynonym
from hub.models.base import utcnow
from hub.models.enums import Role
from hub.search.analysis import SynonymTable, is_token, normalize, set_synonym_table
from hub.search.refreshed import Refreshed, bump

REVISION_KEY = "synonyms"
MAX_PHRASE = 20  # characters of a normalised phrase
MAX_TARGET = 30
MAX_TARGETS = 4
MAX_SYNONYMS = 5000
CATALOGUE = Role.CATALOGUE.value


class SynonymStore(Refreshed):
    """This process's copy of the table, kept current (see the module docstring)."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(factory)
        self._revision: int | None = None

    @property
    def revision(self) -> int | None:
        return self._revision

    async def _reload(self, session: AsyncSession) -> None:
        """Load the table if its revision moved."""
        revision = await current_revision(session)
        if revision != self._revision:
            set_synonym_table(await load_table(session, revision))
            self._revision = revision


async def current_revision(session: AsyncSession) -> int:
    row = await session.exec(select(SearchState.value).where(SearchState.key == REVISION_KEY))
    return int(row.first() or 0)


async def load_table(session: AsyncSession, revision: int) -> SynonymTable:
    rows = await session.exec(select(SearchSynonym).order_by(col(SearchSynonym.phrase)))
    mapping = {r.phrase: tuple(str(t) for t in r.targets) for r in rows if r.targets}
    return SynonymTable(version=f"db-{revision}", mapping=mapping)


def may_edit(viewer: Viewer, root: Org) -> bool:
    return viewer.is_system_admin or viewer.has_role_over(CATALOGUE, root.path)


def clean_phrase(raw: str) -> str:
    """A phrase as the table keeps it: normalised, only letters, digits and Chinese."""
    phrase = "".join(normalize(raw).split())
    if not phrase or not is_token_run(phrase):
        raise BadUserInput("A synonym phrase is words: Chinese characters, letters or digits.")
    if len(phrase) > MAX_PHRASE:
        raise BadUserInput(f"A synonym phrase has at most {MAX_PHRASE} characters.")
    return phrase


def clean_targets(raw: list[str], phrase: str) -> list[str]:
    targets = list(dict.fromkeys(" ".join(normalize(t).split()) for t in raw))
    targets = [t for t in targets if t]
    if not 1 <= len(targets) <= MAX_TARGETS:
        raise BadUserInput(f"A synonym has 1 to {MAX_TARGETS} official words.")
    for target in targets:
        if len(target) > MAX_TARGET or not is_token_run(target.replace(" ", "")):
            raise BadUserInput(
                f"Official words are Chinese characters, letters or digits, at most "
                f"{MAX_TARGET} characters: {target[:MAX_TARGET]!r}."
            )
        if target == phrase:
            raise BadUserInput("A synonym must lead to other words than the phrase itself.")
    return targets


def is_token_run(text: str) -> bool:
    """Chinese characters, letters and digits only (runs of them may alternate)."""
    return bool(text) and all(is_token(ch) for ch in text)


def as_record(row: SearchSynonym) -> dict[str, Any]:
    return {"phrase": row.phrase, "targets": list(row.targets), "version": row.version}


async def put_synonym(
    *,
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    phrase: str,
    targets: list[str],
) -> SearchSynonym:
    """Add the synonym, or replace the official words of an existing one."""
    root = await _checked_root(session, actor)
    key = clean_phrase(phrase)
    words = clean_targets(targets, key)
    row = (await session.exec(select(SearchSynonym).where(SearchSynonym.phrase == key))).first()
    before = as_record(row) if row is not None else None
    if row is None:
        count = (await session.exec(select(func.count()).select_from(SearchSynonym))).one()
        if int(count) >= MAX_SYNONYMS:
            raise BadUserInput(f"The synonym table is full ({MAX_SYNONYMS} phrases).")
        row = SearchSynonym(phrase=key, targets=words, updated_by=actor.staff_id)
    else:
        row.targets = words
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = actor.staff_id
    session.add(row)
    await session.flush()
    await _changed(session, actor, request_id, root, row, "synonym.put", before, as_record(row))
    return row


async def remove_synonym(
    *, session: AsyncSession, actor: Viewer, request_id: str, phrase: str
) -> SearchSynonym:
    root = await _checked_root(session, actor)
    key = "".join(normalize(phrase).split())
    row = (await session.exec(select(SearchSynonym).where(SearchSynonym.phrase == key))).first()
    if row is None:
        raise NotFound(f"No synonym for {key[:MAX_PHRASE]!r}.")
    before = as_record(row)
    await session.delete(row)
    await session.flush()
    await _changed(session, actor, request_id, root, row, "synonym.remove", before, None)
    return row


async def _checked_root(session: AsyncSession, actor: Viewer) -> Org:
    if actor.staff_id is None:
        raise Forbidden("Sign in as catalogue staff to change the synonym table.")
    root = (
        await session.exec(
            select(Org).where(col(Org.parent_id).is_(None)).order_by(col(Org.id)).limit(1)
        )
    ).first()
    if root is None or not may_edit(actor, root):
        raise Forbidden("Only catalogue staff of the city (role catalogue) change synonyms.")
    return root


async def _changed(
    session: AsyncSession,
    actor: Viewer,
    request_id: str,
    root: Org,
    row: SearchSynonym,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await bump(session, REVISION_KEY)
    await record_event(
        session=session,
        actor=actor,
        request_id=request_id,
        action=action,
        target_type="search_synonym",
        target_id=int(row.id or 0),
        org_id=root.id,
        org_path=root.path,
        before=before,
        after=after,
    )
