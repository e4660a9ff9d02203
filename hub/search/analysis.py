"""The one text-analysis pipeline both engines use, at index time and at query time.

Chinese search fails in predictable ways (see SEARCH_NOTES): people type a piece of a word,
a homophone, pinyin or its initials, traditional characters, a colloquial word or a whole
question. Each failure has its own answer here, so that the embedded engine and Meilisearch
see exactly the same tokens:

* :func:`normalize` – NFKC, traditional → simplified, lower case, before anything else;
* :func:`analyze_name` / :func:`analyze_text` – jieba sub-words, character uni- and bigrams
  (a query inside a longer word still matches), every pinyin reading of every character and
  their initials, each in its own field so that homophones never flood the Chinese fields;
* :func:`analyze_query` – the same normalisation, the synonym table (one variant per
  replacement), question words dropped, Latin input split into pinyin syllables or read as
  initials.

Dictionaries load once, lazily, behind a lock (jieba alone takes ~0.7 s).
"""

from __future__ import annotations

import html
import itertools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

#: Bump whenever the tokens produced for a document change; indexes record it (together with
#: the synonym table's version) and are rebuilt when it differs.
ANALYSIS_VERSION = 1

#: Longest query (in normalised characters) that is analysed; the rest is cut off.
MAX_QUERY_CHARS = 64
#: Most terms one query variant may have, and most variants synonyms may produce.
MAX_TERMS = 12
MAX_VARIANTS = 4

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(f"[{_CJK}]+|[a-z0-9]+")
_CJK_RE = re.compile(f"[{_CJK}]")

#: Question phrases removed (as substrings) from a query before it is segmented.
QUESTION_PHRASES: tuple[str, ...] = (
    "需要哪些材料",
    "需要什么材料",
    "要什么材料",
    "什么材料",
    "哪些材料",
    "需要什么",
    "需要带什么",
    "要带什么",
    "带什么",
    "拿什么",
    "要什么",
    "怎么办理",
    "如何办理",
    "怎样办理",
    "在哪里办",
    "去哪里办",
    "去哪办",
    "在哪办",
    "怎么办",
    "怎么样",
    "怎么",
    "如何",
    "怎样",
    "在哪里",
    "在哪儿",
    "去哪里",
    "去哪儿",
    "在哪",
    "去哪",
    "哪里",
    "哪儿",
    "什么",
    "哪些",
    "多少钱",
    "多少",
    "多久",
    "请问",
    "我想",
    "我要",
    "想要",
    "能不能",
    "可不可以",
)

#: Single query tokens (after segmentation) that carry no meaning for the catalogue. Only the
#: query side drops them: 办理 appears in real service names.
QUERY_STOP_TOKENS: frozenset[str] = frozenset(
    {
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "么",
        "我",
        "你",
        "要",
        "想",
        "在",
        "去",
        "到",
        "给",
        "把",
        "和",
        "与",
        "及",
        "能",
        "可以",
        "需要",
        "应该",
        "办",
        "办理",
        "怎么",
        "哪",
        "手续",
        "流程",
        "一下",
    }
)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- resources


class _Resources:
    """Everything slow to load, loaded once per process on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jieba: Any = None
        self._opencc: Any = None
        self._syllables: frozenset[str] | None = None
        self._synonyms: SynonymTable | None = None

    def jieba(self) -> Any:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    # jieba's load_userdict leaves the file open; add the words ourselves
                    userdict = (DATA_DIR / "userdict.txt").read_text(encoding="utf-8")
                    for line in userdict.splitlines():
                        parts = line.split()
                        if parts and not parts[0].startswith("#"):
                            freq = int(parts[1]) if len(parts) > 1 else None
                            tokenizer.add_word(parts[0], freq, parts[2] if len(parts) > 2 else None)
                    self._jieba = tokenizer
        return self._jieba

    def opencc(self) -> Any:
        if self._opencc is None:
            with self._lock:
                if self._opencc is None:
                    import opencc

                    self._opencc = opencc.OpenCC("t2s")
        return self._opencc

    def syllables(self) -> frozenset[str]:
        if self._syllables is None:
            lines = (DATA_DIR / "pinyin_syllables.txt").read_text(encoding="utf-8").splitlines()
            self._syllables = frozenset(
                line.strip() for line in lines if line.strip() and not line.startswith("#")
            )
        return self._syllables

    def synonyms(self) -> SynonymTable:
        if self._synonyms is None:
            self._synonyms = SynonymTable.load(DATA_DIR / "synonyms.tsv")
        return self._synonyms


_resources = _Resources()


def warm_up() -> None:
    """Load every dictionary now (start-up), so the first request does not pay for it."""
    _resources.jieba()
    _resources.opencc()
    _resources.syllables()
    _resources.synonyms()


def clear_caches() -> None:
    """Forget cached analyses (benchmarks measure cold work; memory after a rebuild)."""
    analyze_name.cache_clear()
    analyze_text.cache_clear()
    index_words.cache_clear()
    char_readings.cache_clear()


def index_version() -> str:
    """What an index built now depends on; a different value means the index is stale."""
    return f"analysis={ANALYSIS_VERSION};synonyms={_resources.synonyms().version}"


# --------------------------------------------------------------------------- synonyms


@dataclass(frozen=True)
class SynonymTable:
    """One-way colloquial → official replacements, kept as data in ``data/synonyms.tsv``."""

    version: str
    mapping: dict[str, tuple[str, ...]]

    @classmethod
    def load(cls, path: Path) -> SynonymTable:
        return cls.parse(path.read_text(encoding="utf-8"))

    @classmethod
    def parse(cls, text: str) -> SynonymTable:
        version = ""
        mapping: dict[str, tuple[str, ...]] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                match = re.match(r"#\s*version\s*:\s*(\S+)", stripped)
                if match and not version:
                    version = match.group(1)
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise ValueError(f"synonyms line {number}: expected two tab-separated columns")
            if parts == ["colloquial", "official"]:
                continue
            key = normalize(parts[0]).strip()
            targets = tuple(
                dict.fromkeys(t for t in (normalize(p).strip() for p in parts[1].split("|")) if t)
            )
            if not key or not targets:
                raise ValueError(f"synonyms line {number}: empty colloquial or official side")
            mapping[key] = tuple(t for t in targets if t != key) or targets
        if not version:
            raise ValueError("synonyms table has no '# version: …' line")
        return cls(version=version, mapping=mapping)

    @property
    def max_key_length(self) -> int:
        return max((len(k) for k in self.mapping), default=0)


def synonym_table() -> SynonymTable:
    return _resources.synonyms()


# --------------------------------------------------------------------------- normalisation


def normalize(text: str) -> str:
    """NFKC (full-width forms), traditional → simplified, lower case."""
    text = unicodedata.normalize("NFKC", text)
    if _CJK_RE.search(text):
        text = _resources.opencc().convert(text)
    return text.lower()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalised text and, for each of its characters, the index of the source character.

    Highlights are computed on normalised text and must land on the original characters.
    """
    pieces = [unicodedata.normalize("NFKC", ch) for ch in text]
    origin = [i for i, piece in enumerate(pieces) for _ in piece]
    joined = "".join(pieces)
    if _CJK_RE.search(joined):
        converted = _resources.opencc().convert(joined)
        if len(converted) != len(joined):  # a phrase conversion changed length: go per character
            converted = "".join(_resources.opencc().convert(ch)[:1] or ch for ch in joined)
        joined = converted
    lowered = [ch.lower() for ch in joined]
    if any(len(ch) != 1 for ch in lowered):
        lowered = [ch.lower()[:1] or ch for ch in joined]
    return "".join(lowered), origin


def runs(norm: str) -> list[tuple[int, str]]:
    """Runs of Chinese characters or of ASCII letters/digits, with their start offsets."""
    return [(m.start(), m.group()) for m in _RUN_RE.finditer(norm)]


def is_cjk(token: str) -> bool:
    return bool(token) and _CJK_RE.match(token[0]) is not None


# --------------------------------------------------------------------------- pinyin


@lru_cache(maxsize=32768)
def char_readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of one character (heteronyms included)."""
    from pypinyin import Style, pinyin

    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    if not readings:
        return ()
    return tuple(dict.fromkeys(r for r in readings[0] if r.isascii() and r.isalpha()))


def contextual_pinyin(text: str) -> list[str]:
    """One reading per character, chosen by pypinyin's phrase dictionary (银行 → yin hang)."""
    from pypinyin import Style, lazy_pinyin

    return [
        s
        for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
        if s.isascii() and s.isalpha()
    ]


def split_pinyin(latin: str) -> tuple[tuple[str, ...], bool] | None:
    """Split Latin input into pinyin syllables, fewest syllables first (shengyu → sheng yu).

    The last piece may be an unfinished syllable (``shengy`` → sheng + y…), reported by the
    boolean. ``None`` when the input is not pinyin.
    """
    syllables = _resources.syllables()
    n = len(latin)
    if n == 0 or not latin.isascii() or not latin.isalpha():
        return None
    # best[i]: fewest syllables covering latin[:i]
    best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[0] = (0, ())
    for i in range(n):
        current = best[i]
        if current is None:
            continue
        for j in range(i + 1, min(n, i + 6) + 1):
            piece = latin[i:j]
            if piece in syllables:
                candidate = (current[0] + 1, (*current[1], piece))
                existing = best[j]
                if existing is None or candidate[0] < existing[0]:
                    best[j] = candidate
    complete = best[n]
    if complete is not None:
        return tuple(_canonical_syllable(s) for s in complete[1]), False
    # an unfinished last syllable: the longest covered prefix plus a syllable prefix
    for i in range(n - 1, 0, -1):
        head = best[i]
        tail = latin[i:]
        if head is not None and len(tail) < 6 and any(s.startswith(tail) for s in syllables):
            return (*(_canonical_syllable(s) for s in head[1]), tail), True
    if n < 6 and any(s.startswith(latin) and s != latin for s in syllables):
        return (latin,), True
    return None


def _canonical_syllable(syllable: str) -> str:
    # people type lue/nue for lüe/nüe; pypinyin writes lve/nve
    return {"lue": "lve", "nue": "nve"}.get(syllable, syllable)


# --------------------------------------------------------------------------- index side


@dataclass(frozen=True, slots=True)
class NameAnalysis:
    """Tokens of a name-like field. Positions let phrase queries find contiguous runs."""

    exact: str  # normalised, only letters/digits/Chinese, no spaces
    words: tuple[str, ...]  # jieba cut_for_search sub-words
    grams: tuple[str, ...]  # character unigrams and bigrams, see character_grams
    pinyin: tuple[tuple[int, str], ...]  # every reading; one character's readings share a position
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
    tokens = _resources.jieba().cut_for_search(norm)
    return [t for t in tokens if _RUN_RE.fullmatch(t)]


GRAM_SEPARATOR = "_"


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
    return _pair_phrase(text)


def _pair_phrase(text: str) -> list[tuple[int, str]]:
    # pairs at offsets 0, 2, 4 … (and the last pair), in a stream where pair j sits two
    # positions after pair j - 1
    starts = list(range(0, len(text) - 1, 2))
    if starts[-1] != len(text) - 2:
        starts.append(len(text) - 2)
    return [(2 * j, text[j : j + 2]) for j in starts]


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
        pinyin=tuple(pinyin),
        initials=_letter_pairs(initials),
        pinyin_joined="".join(joined),
        initials_joined="".join(joined_initials),
        width=position,
    )


def _letter_pairs(initials: list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    """Letters at 2p and, where the next position follows, every pair of letters at 2p + 1."""
    at: dict[int, list[str]] = {}
    for position, letter in initials:
        at.setdefault(position, []).append(letter)
    out: list[tuple[int, str]] = []
    for position, letters in sorted(at.items()):
        out.extend((2 * position, letter) for letter in letters)
        following = at.get(position + 1, [])
        out.extend((2 * position + 1, a + b) for a in letters for b in following)
    return tuple(out)


def initials_phrase(letters: Sequence[str]) -> list[tuple[int, str]]:
    """The (offset, token) phrase finding consecutive initials in a letter-pair stream."""
    text = "".join(letters)
    return [(0, text)] if len(text) <= 2 else _pair_phrase(text)


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
        pinyin.extend((offset + p, t) for p, t in one.pinyin)
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


# --------------------------------------------------------------------------- query side


@dataclass(frozen=True, slots=True)
class Term:
    """One query word, with the readings it may be matched by."""

    text: str  # normalised surface form (Chinese, or Latin letters/digits)
    syllables: tuple[str, ...] = ()  # pinyin reading of a Chinese word, or split Latin input
    partial: bool = False  # the last syllable is unfinished (search as you type)
    initials: tuple[str, ...] = ()  # Latin input read as the initials of characters

    @property
    def cjk(self) -> bool:
        return is_cjk(self.text)


@dataclass(frozen=True, slots=True)
class Variant:
    """One reading of the query: every term must match (the synonym table makes several)."""

    terms: tuple[Term, ...]
    compact: str  # the variant's text without spaces, for exact-name matching
    synonym: bool = False


@dataclass(frozen=True, slots=True)
class AnalyzedQuery:
    raw: str
    normalized: str  # cleaned, truncated; what zero-result logs group by
    variants: tuple[Variant, ...]
    truncated: bool = False

    @property
    def blank(self) -> bool:
        """Nothing was typed: browse everything."""
        return not self.raw.strip()

    @property
    def empty(self) -> bool:
        """Something was typed but nothing searchable is left (punctuation, emoji)."""
        return not self.blank and not self.variants

    def terms(self) -> list[Term]:
        """Distinct terms over all variants, for highlighting."""
        return list(dict.fromkeys(t for v in self.variants for t in v.terms))


def clean_query(raw: str) -> tuple[str, bool]:
    """Normalised query reduced to its searchable runs (single spaces), and whether cut."""
    head = raw[: MAX_QUERY_CHARS * 4]
    text = " ".join(run for _, run in runs(normalize(head)))
    truncated = len(head) < len(raw)
    if len(text) > MAX_QUERY_CHARS:
        text, truncated = text[:MAX_QUERY_CHARS].rstrip(), True
    return text, truncated


def analyze_query(raw: str) -> AnalyzedQuery:
    if not raw.strip():
        return AnalyzedQuery(raw=raw, normalized="", variants=())
    text, truncated = clean_query(raw)
    if not text:
        return AnalyzedQuery(raw=raw, normalized="", variants=(), truncated=truncated)
    variants: list[Variant] = []
    for expanded, is_synonym in _synonym_expansions(text):
        variant = _variant(expanded, is_synonym)
        if variant is not None and all(v.terms != variant.terms for v in variants):
            variants.append(variant)
    return AnalyzedQuery(raw=raw, normalized=text, variants=tuple(variants), truncated=truncated)


def _synonym_expansions(text: str) -> list[tuple[str, bool]]:
    """The query itself and each replacement of colloquial phrases by official words."""
    table = _resources.synonyms()
    longest = table.max_key_length
    matches: list[tuple[int, int, tuple[str, ...]]] = []
    i = 0
    while i < len(text):
        for length in range(min(longest, len(text) - i), 0, -1):
            targets = table.mapping.get(text[i : i + length])
            if targets:
                matches.append((i, i + length, targets))
                i += length
                break
        else:
            i += 1
    expansions = [(text, False)]
    if not matches:
        return expansions
    choices = [targets for _, _, targets in matches]
    for combination in itertools.islice(itertools.product(*choices), MAX_VARIANTS - 1):
        out, last = [], 0
        for (start, end, _), replacement in zip(matches, combination, strict=True):
            out.append(text[last:start])
            out.append(f" {replacement} ")
            last = end
        out.append(text[last:])
        expansions.append((" ".join("".join(out).split()), True))
    return expansions


def _strip_question(text: str) -> str:
    for phrase in QUESTION_PHRASES:
        text = text.replace(phrase, " ")
    return " ".join(text.split())


def _variant(text: str, synonym: bool) -> Variant | None:
    stripped = _strip_question(text) or text
    tokens = _query_tokens(stripped)
    kept = [t for t in tokens if t not in QUERY_STOP_TOKENS]
    if not kept:
        kept = tokens
    terms = _merge_latin([_term(t) for t in kept])
    terms = list(dict.fromkeys(terms))[:MAX_TERMS]
    if not terms:
        return None
    compact = "".join(t.text for t in terms)
    return Variant(terms=tuple(terms), compact=compact, synonym=synonym)


def _query_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for _, run in runs(text):
        if is_cjk(run):
            tokens.extend(t for t in _resources.jieba().cut(run, HMM=True) if t.strip())
        else:
            tokens.append(run)
    return tokens


def _term(token: str) -> Term:
    if is_cjk(token):
        syllables = tuple(contextual_pinyin(token)) if len(token) >= 2 else ()
        return Term(text=token, syllables=syllables)
    if token.isdigit():
        return Term(text=token)
    split = split_pinyin(token) if token.isalpha() else None
    syllables, partial = split if split is not None else ((), False)
    initials = tuple(token) if token.isalpha() and (split is None or len(token) <= 3) else ()
    if split is not None and partial and len(syllables) == 1 and len(token) <= 3:
        # a lone unfinished syllable (s, sh, zh) says little; initials are the better reading
        syllables, partial = (), False
    return Term(text=token, syllables=syllables, partial=partial, initials=initials)


def _merge_latin(terms: list[Term]) -> list[Term]:
    """Adjacent Latin words that are all pinyin read as one: 'sheng yu' → sheng yu."""
    merged: list[Term] = []
    for term in terms:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and not previous.cjk
            and not term.cjk
            and previous.syllables
            and term.syllables
            and not previous.partial
        ):
            merged[-1] = Term(
                text=previous.text + term.text,
                syllables=previous.syllables + term.syllables,
                partial=term.partial,
            )
        else:
            merged.append(term)
    return merged


# --------------------------------------------------------------------------- highlights


def highlight_spans(name: str, terms: Sequence[Term]) -> list[tuple[int, int]]:
    """Character ranges of ``name`` that the query terms match, merged and sorted.

    Surface matches first; a term that does not occur literally is looked for by its pinyin
    (a homophone) or initials, on the same characters the engine matched.
    """
    norm, origin = normalize_with_offsets(name)
    spans: list[tuple[int, int]] = []
    readings: list[tuple[str, ...]] | None = None
    for term in terms:
        found = _find_all(norm, term.text)
        if not found and (term.syllables or term.initials):
            if readings is None:
                readings = [char_readings(ch) if is_cjk(ch) else () for ch in norm]
            if term.syllables:
                found = _find_readings(readings, term.syllables, last_prefix=term.partial)
            if not found and term.initials:
                found = _find_readings(readings, term.initials, all_prefix=True)
        spans.extend(found)
    return _merge_spans([(origin[s], origin[e - 1] + 1) for s, e in spans if e > s])


def highlight_html(name: str, spans: Iterable[tuple[int, int]]) -> str:
    """``name`` HTML-escaped with each span wrapped in ``<em>``."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(html.escape(name[last:start]))
        out.append(f"<em>{html.escape(name[start:end])}</em>")
        last = end
    out.append(html.escape(name[last:]))
    return "".join(out)


def _find_all(norm: str, needle: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    if not needle:
        return found
    start = norm.find(needle)
    while start != -1:
        found.append((start, start + len(needle)))
        start = norm.find(needle, start + len(needle))
    return found


def _find_readings(
    readings: list[tuple[str, ...]],
    wanted: tuple[str, ...],
    *,
    last_prefix: bool = False,
    all_prefix: bool = False,
) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    n = len(wanted)
    i = 0
    while i + n <= len(readings):
        ok = True
        for k, syllable in enumerate(wanted):
            options = readings[i + k]
            if all_prefix or (last_prefix and k == n - 1):
                ok = any(r.startswith(syllable) for r in options)
            else:
                ok = syllable in options
            if not ok:
                break
        if ok:
            found.append((i, i + n))
            i += n
        else:
            i += 1
    return found


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
