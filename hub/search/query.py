"""Query-side analysis: what a citizen typed as the terms the engines look for.

The same normalisation as the index, then the synonym table (the query as typed plus one
variant per replacement), question words dropped (only here: 办理 is part of real names),
and Latin input read as pinyin syllables or as initials.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hub.search.analysis import (
    contextual_pinyin,
    is_cjk,
    jieba,
    normalize,
    runs,
    split_pinyin,
    synonym_table,
)
from hub.search.equivalence import action_class, number_spans

#: Longest query (in normalised characters) that is analysed; the rest is cut off.
MAX_QUERY_CHARS = 64
#: Most terms one query variant may have, and most variants synonyms may produce.
MAX_TERMS = 12
MAX_VARIANTS = 4

#: Question phrases removed (as substrings) from a query before it is segmented.
QUESTION_PHRASES: tuple[str, ...] = (
    "要办哪些手续",
    "需要办哪些",
    "要办哪些",
    "需要办什么",
    "要办什么",
    "怎么处理",
    "如何处理",
    "怎么弄",
    "咋办",
    "咋弄",
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


@dataclass(frozen=True, slots=True)
class Term:
    """One query word, with the readings it may be matched by."""

    text: str  # normalised surface form (Chinese, or Latin letters/digits)
    syllables: tuple[str, ...] = ()  # pinyin reading of a Chinese word, or split Latin input
    partial: bool = False  # the last syllable is unfinished (search as you type)
    initials: tuple[str, ...] = ()  # Latin input read as the initials of characters
    action: str | None = None  # the action class it belongs to (补办 → ~reissue), if any
    number: bool = False  # a canonical number with its unit (三周岁 → 3岁)

    @property
    def cjk(self) -> bool:
        return is_cjk(self.text)


@dataclass(frozen=True, slots=True)
class Variant:
    """One reading of the query: every term must match (the synonym table makes several)."""

    terms: tuple[Term, ...]
    compact: str  # the variant's terms without spaces
    synonym: bool = False
    # the words as typed, stop words included (老年人优待证办理: 办理 is part of real names),
    # for exact-name matching
    full: str = ""


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
    table = synonym_table()
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
    kept = [t for t in tokens if t[0] not in QUERY_STOP_TOKENS]
    if not kept:
        kept = tokens
    terms = _merge_latin([Term(text=t, number=True) if number else _term(t) for t, number in kept])
    terms = list(dict.fromkeys(terms))[:MAX_TERMS]
    if not terms:
        return None
    compact = "".join(t.text for t in terms)
    full = "".join(run for _, run in runs(stripped))
    return Variant(terms=tuple(terms), compact=compact, synonym=synonym, full=full)


def _query_tokens(text: str) -> list[tuple[str, bool]]:
    """Words of the query, and whether each is a canonical number (三周岁 → 3岁, kept whole)."""
    tokens: list[tuple[str, bool]] = []
    last = 0
    for start, end, canonical in [*number_spans(text), (len(text), len(text), "")]:
        for _, run in runs(text[last:start]):
            if is_cjk(run):
                tokens.extend((t, False) for t in jieba().cut(run, HMM=True) if t.strip())
            else:
                tokens.append((run, False))
        if canonical:
            tokens.append((canonical, True))
        last = end
    return tokens


def _term(token: str) -> Term:
    if is_cjk(token):
        syllables = tuple(contextual_pinyin(token)) if len(token) >= 2 else ()
        return Term(text=token, syllables=syllables, action=action_class(token))
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
