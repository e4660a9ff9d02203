"""The building blocks of the one text-analysis pipeline both engines use.

Chinese search fails in predictable ways (see SEARCH_NOTES): people type a piece of a word,
a homophone, pinyin or its initials, traditional characters, a colloquial word or a whole
question. This module holds what every answer needs: :func:`normalize` (NFKC, traditional →
simplified, lower case, before anything else), pinyin readings and the splitting of Latin
input into syllables, and the versioned synonym table. :mod:`hub.search.tokens` turns
documents into index tokens and :mod:`hub.search.query` turns what people type into query
terms, both from these blocks, so that the embedded engine and Meilisearch see the same
tokens.

Dictionaries load once, lazily, behind a lock (jieba alone takes ~0.7 s).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

#: Bump whenever the tokens produced for a document change; indexes record it and are rebuilt
#: when it differs.
ANALYSIS_VERSION = 2


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(f"[{_CJK}]+|[a-z0-9]+")
_CJK_RE = re.compile(f"[{_CJK}]")

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
            self._synonyms = shipped_synonym_table()
        return self._synonyms

    def set_synonyms(self, table: SynonymTable) -> None:
        self._synonyms = table


_resources = _Resources()


def warm_up() -> None:
    """Load every dictionary now (start-up), so the first request does not pay for it."""
    _resources.jieba()
    _resources.opencc()
    _resources.syllables()
    _resources.synonyms()


def jieba() -> Any:
    """The process's jieba tokenizer (with the catalogue's user dictionary)."""
    return _resources.jieba()


def is_token(text: str) -> bool:
    """A run of Chinese characters or of ASCII letters/digits (what tokens are made of)."""
    return _RUN_RE.fullmatch(text) is not None


def index_version() -> str:
    """What an index built now depends on; a different value means the index is stale. The
    synonym table is not part of it: it is applied to queries only."""
    return f"analysis={ANALYSIS_VERSION}"


# --------------------------------------------------------------------------- synonyms


@dataclass(frozen=True)
class SynonymTable:
    """One-way colloquial → official replacements. The process starts with the seed in
    ``data/synonyms.tsv``; :mod:`hub.search.synonyms` replaces it with the database's table
    (which staff grow through the API) and keeps it current."""

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


@lru_cache(maxsize=1)
def shipped_synonym_table() -> SynonymTable:
    """The table hub ships (``data/synonyms.tsv``), read once: what a process starts with."""
    return SynonymTable.load(DATA_DIR / "synonyms.tsv")


def synonym_table() -> SynonymTable:
    return _resources.synonyms()


def set_synonym_table(table: SynonymTable) -> None:
    """Queries analysed from now on use ``table`` (see :mod:`hub.search.synonyms`)."""
    _resources.set_synonyms(table)


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
