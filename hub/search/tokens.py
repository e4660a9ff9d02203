"""Index-side analysis: a name or a text as the tokens the engines index.

Names get jieba sub-words (``cut_for_search``) with the action-class and number tokens they
stand for, a character uni-/bigram stream (so a query
inside a longer word still matches), every pinyin reading of every character and initials,
each in its own field so that homophones never flood the Chinese fields. Long texts get
words only. Results are cached: catalogues repeat names, materials, themes and boilerplate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from hub.search.analysis import (
    char_readings,
    contextual_pinyin,
    is_cjk,
    is_token,
    jieba,
    normalize,
    runs,
)
from hub.search.equivalence import class_tokens, number_tokens


@dataclass(frozen=True, slots=True)
class NameAnalysis:
    """Tokens of a name-like field. Positions let phrase queries find contiguous runs."""

    exact: str  # normalised, only letters/digits/Chinese, no spaces
    words: tuple[str, ...]  # jieba cut_for_search sub-words
    grams: tuple[str, ...]  # character unigrams and bigrams, see character_grams
    # every reading (one character's readings share a position) at 2p, pairs at 2p + 1
    pinyin: tuple[tuple[int, str], ...]
    # initials of the reading in context and of the most common one, as letters (at 2i) and
    # letter pairs (at 2i + 1): single letters are too common to search by, see initials_phrase
    initials: tuple[tuple[int, str], ...]
    pinyin_joined: str  # contextual reading, joined: shengyudengji
    initials_joined: str  # sydj
    width: int = 0  # positions used, with the gap after the last run


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    words: tuple[str, ...]
    grams: tuple[str, ...]


def segment_for_index(norm: str) -> list[str]:
    """Fine-grained words, then the action-class and number tokens they stand for
    (:mod:`hub.search.equivalence`): 补发 also indexes ``~reissue``, 三周岁 also ``3岁``."""
    words = [t for t in jieba().cut_for_search(norm) if is_token(t)]
    return words + class_tokens(words) + number_tokens(norm)


GRAM_SEPARATOR = "_"
SYLLABLE_JOINER = "_"  # sheng_yu: a pair of syllables in the pinyin fields


def character_grams(norm: str) -> list[str]:
    """A token stream of each Chinese run's unigrams and bigrams, interleaved.

    Character i of a run sits at position 2i and the bigram starting there at 2i + 1, so a
    query of n characters is the phrase of its bigrams at offsets 0, 2, 4, … (see
    :func:`substring_phrase`): a substring test that survives any word segmentation. A
    Latin/digit run is one token; :data:`GRAM_SEPARATOR` between runs stops phrases there.
    """
    grams: list[str] = []
    for _, run in runs(norm):
        if is_cjk(run):
            for i, ch in enumerate(run):
                grams.append(ch)
                if i + 1 < len(run):
                    grams.append(run[i : i + 2])
        else:
            grams.append(run)
        grams.append(GRAM_SEPARATOR)
    return grams[:-1]


def substring_phrase(text: str) -> list[tuple[int, str]]:
    """The (offset, gram) phrase matching ``text`` inside a :func:`character_grams` stream."""
    if len(text) <= 2 or not is_cjk(text):
        return [(0, text)]
    return unit_phrase(list(text), "")


# Analyses are cached: catalogues repeat names, materials, themes, orgs and boilerplate
# conditions across many items. Text entries are large, hence the smaller cache.
@lru_cache(maxsize=2048)
def index_words(text: str) -> tuple[str, ...]:
    """Fine-grained words of a text (jieba cut_for_search), normalised."""
    return tuple(segment_for_index(normalize(text)))


def words_of(texts: Iterable[str]) -> tuple[str, ...]:
    """The words of several texts, each analysed (and cached) on its own."""
    return tuple(word for text in texts if text.strip() for word in index_words(text))


@lru_cache(maxsize=2048)
def analyze_text(text: str) -> TextAnalysis:
    return TextAnalysis(words=index_words(text), grams=tuple(character_grams(normalize(text))))


def analyze_texts(texts: Iterable[str]) -> TextAnalysis:
    """Several texts as one field (each analysed, and cached, on its own)."""
    words: list[str] = []
    grams: list[str] = []
    for text in texts:
        if not text.strip():
            continue
        one = analyze_text(text)
        words.extend(one.words)
        if grams and one.grams:
            grams.append(GRAM_SEPARATOR)
        grams.extend(one.grams)
    return TextAnalysis(words=tuple(words), grams=tuple(grams))


@lru_cache(maxsize=16384)
def analyze_name(text: str) -> NameAnalysis:
    norm = normalize(text)
    pinyin: list[tuple[int, str]] = []
    initials: list[tuple[int, str]] = []
    joined: list[str] = []
    joined_initials: list[str] = []
    position = 0
    for _, run in runs(norm):
        if is_cjk(run):
            context = contextual_pinyin(run)
            if len(context) != len(run):  # a character without a reading: go one by one
                context = [(char_readings(ch) or ("",))[0] for ch in run]
            for i, ch in enumerate(run):
                readings = char_readings(ch)
                pinyin.extend((position + i, r) for r in readings)
                # initials of the reading in context and of the most common one only: rare
                # readings (汽 gai, 租 ju) would make initials match almost anything
                common = [context[i], readings[0] if readings else ""]
                initials.extend((position + i, c) for c in dict.fromkeys(r[0] for r in common if r))
            joined.extend(context)
            joined_initials.extend(s[0] for s in context if s)
            position += len(run) + 1
        else:
            pinyin.append((position, run))
            initials.append((position, run[0]))
            joined.append(run)
            joined_initials.append(run[0])
            position += 2
    return NameAnalysis(
        exact="".join(run for _, run in runs(norm)),
        words=tuple(segment_for_index(norm)),
        grams=tuple(character_grams(norm)),
        pinyin=_pairs(pinyin, SYLLABLE_JOINER),
        initials=_pairs(initials, ""),
        pinyin_joined="".join(joined),
        initials_joined="".join(joined_initials),
        width=position,
    )


def _pairs(positions: Sequence[tuple[int, str]], joiner: str) -> tuple[tuple[int, str], ...]:
    """Units (syllables, letters) at 2p and, where the next position follows, every pair of
    units at 2p + 1: pairs are rare where single syllables and letters are everywhere, so
    phrases over pairs stay fast at 100,000 names (see :func:`unit_phrase`)."""
    at: dict[int, list[str]] = {}
    for position, unit in positions:
        at.setdefault(position, []).append(unit)
    out: list[tuple[int, str]] = []
    for position, units in sorted(at.items()):
        out.extend((2 * position, unit) for unit in units)
        following = at.get(position + 1, [])
        out.extend((2 * position + 1, a + joiner + b) for a in units for b in following)
    return tuple(out)


def unit_phrase(units: Sequence[str], joiner: str) -> list[tuple[int, str]]:
    """The (offset, token) phrase finding consecutive units in a :func:`_pairs` stream: one
    unit alone, else pairs at offsets 0, 2, 4 … and the last pair (which ends the phrase,
    so a prefix query can complete its last unit)."""
    if len(units) == 1:
        return [(0, units[0])]
    starts = list(range(0, len(units) - 1, 2))
    if starts[-1] != len(units) - 2:
        starts.append(len(units) - 2)
    return [(2 * j, units[j] + joiner + units[j + 1]) for j in starts]


def initials_phrase(letters: Sequence[str]) -> list[tuple[int, str]]:
    return unit_phrase(list("".join(letters)), "")


def syllable_phrase(syllables: Sequence[str]) -> list[tuple[int, str]]:
    return unit_phrase(list(syllables), SYLLABLE_JOINER)


def analyze_names(texts: Iterable[str]) -> NameAnalysis:
    """Several names (aliases) as one field: streams joined, positions shifted so that no
    phrase runs from one name into the next. ``exact`` and the joined forms are left empty:
    they belong to each name."""
    words: list[str] = []
    grams: list[str] = []
    pinyin: list[tuple[int, str]] = []
    initials: list[tuple[int, str]] = []
    offset = 0
    for text in texts:
        one = analyze_name(text)
        if not one.exact:
            continue
        words.extend(one.words)
        if grams:
            grams.append(GRAM_SEPARATOR)
        grams.extend(one.grams)
        pinyin.extend((2 * offset + p, t) for p, t in one.pinyin)
        initials.extend((2 * offset + p, t) for p, t in one.initials)
        offset += one.width + 1
    return NameAnalysis(
        exact="",
        words=tuple(words),
        grams=tuple(grams),
        pinyin=tuple(pinyin),
        initials=tuple(initials),
        pinyin_joined="",
        initials_joined="",
        width=offset,
    )


def clear_caches() -> None:
    """Forget cached analyses (benchmarks measure cold work; memory after a rebuild)."""
    analyze_name.cache_clear()
    analyze_text.cache_clear()
    index_words.cache_clear()
    char_readings.cache_clear()
