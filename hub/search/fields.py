"""A :class:`ServiceDocument` as the pre-analysed fields both engines index.

The embedded engine puts them into tantivy fields one to one; Meilisearch receives the same
tokens as space-joined strings. Keeping one function here is what makes "one analysis for
both engines" true.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.search import tokens
from hub.search.backend import ServiceDocument

Positions = tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class IndexFields:
    name_exact: str
    name_words: tuple[str, ...]
    name_grams: tuple[str, ...]
    name_py: Positions  # every reading at its character's position
    name_ini: Positions
    name_py_joined: str
    name_ini_joined: str
    alias_exact: tuple[str, ...]  # short name and aliases, one entry each
    alias_py_joined: tuple[str, ...]
    alias_ini_joined: tuple[str, ...]
    alias_words: tuple[str, ...]
    alias_grams: tuple[str, ...]
    alias_py: Positions
    alias_ini: Positions
    tag_words: tuple[str, ...]  # theme names and the org's name
    tag_grams: tuple[str, ...]
    text_words: tuple[str, ...]  # materials, description, conditions (words only: n-grams
    # of long texts made every query slow and added little over cut_for_search's sub-words)
    event_words: tuple[str, ...] = ()  # names of its life events and 一件事 bundles
    event_text: tuple[str, ...] = ()  # their descriptions (words only)


def alias_names(doc: ServiceDocument) -> list[str]:
    return [a for a in dict.fromkeys((doc.short_name or "", *doc.aliases)) if a.strip()]


def index_fields(doc: ServiceDocument) -> IndexFields:
    name = tokens.analyze_name(doc.name)
    aliases = alias_names(doc)
    each = [tokens.analyze_name(a) for a in aliases]
    alias = tokens.analyze_names(aliases)
    tags = tokens.analyze_texts([*doc.theme_names, doc.org_name])
    text_words = tokens.words_of([*doc.materials, doc.description, doc.conditions])
    return IndexFields(
        name_exact=name.exact,
        name_words=name.words,
        name_grams=name.grams,
        name_py=name.pinyin,
        name_ini=name.initials,
        name_py_joined=name.pinyin_joined,
        name_ini_joined=name.initials_joined,
        alias_exact=tuple(a.exact for a in each if a.exact),
        alias_py_joined=tuple(a.pinyin_joined for a in each if a.pinyin_joined),
        alias_ini_joined=tuple(a.initials_joined for a in each if a.initials_joined),
        alias_words=alias.words,
        alias_grams=alias.grams,
        alias_py=alias.pinyin,
        alias_ini=alias.initials,
        tag_words=tags.words,
        tag_grams=tags.grams,
        text_words=text_words,
        event_words=tokens.words_of(doc.event_names),
        event_text=tokens.words_of(doc.event_texts),
    )


def flatten(positions: Positions) -> str:
    """The units (syllables, letters) of a pair stream in order, space-joined, for an engine
    that matches words rather than positions. The pairs at odd positions are left out."""
    units = sorted((p, t) for p, t in positions if p % 2 == 0)
    return " ".join(token for _, token in units)
