"""Words that name the same act, and numbers written either way, as one index token each.

A citizen who lost a card types 丢了 or 补办; one city names the item …补领, another …补发 or
…遗失补证. A citizen types 3岁 or 80岁; the item says 三周岁 or 八十周岁. These are not
colloquial synonyms of one catalogue's names (those are the synonym table's) but the grammar
of every catalogue, so they are handled in analysis, on both sides:

- every index word of an *action class* (``data/action_words.tsv``: 补办 补领 补发 遗失 丢 …)
  also indexes the class token (``~reissue``), and a query word of the class also looks for it;
- a number with a unit of age, months, children or grade (三周岁, 80岁, 二胎, 3个月) indexes
  and queries as one canonical token (``3岁``, ``80岁``, ``2孩``, ``3个月``), digits or
  Chinese numerals alike.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "action_words.tsv"
CLASS_PREFIX = "~"

_DIGITS = "零〇一二两三四五六七八九"
_NUMERAL = f"[0-9]+|[{_DIGITS}十百千]+"
#: unit as written → unit in the canonical token
_UNITS = {"周岁": "岁", "岁": "岁", "个月": "个月", "孩": "孩", "胎": "孩", "级": "级"}
_NUMBER_RE = re.compile(f"({_NUMERAL}) ?({'|'.join(sorted(_UNITS, key=len, reverse=True))})")


@lru_cache(maxsize=1)
def action_classes() -> dict[str, str]:
    """Word → its class token, from ``data/action_words.tsv`` (``class<TAB>word word …``)."""
    classes: dict[str, str] = {}
    for number, line in enumerate(DATA.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, words = line.partition("\t")
        if not name.strip() or not words.split():
            raise ValueError(f"{DATA.name} line {number}: expected class<TAB>words")
        for word in words.split():
            classes.setdefault(word, CLASS_PREFIX + name.strip())
    return classes


def action_class(word: str) -> str | None:
    """The class token of a word (``补领`` → ``~reissue``), or None."""
    return action_classes().get(word)


def class_tokens(words: tuple[str, ...] | list[str]) -> list[str]:
    """The class tokens of index words, in order, each once."""
    classes = action_classes()
    return list(dict.fromkeys(classes[w] for w in words if w in classes))


def chinese_number(text: str) -> int | None:
    """三 → 3, 十二 → 12, 八十 → 80, 一百二十 → 120, 二〇二 → 202; digits as they are."""
    if text.isdigit():
        return int(text)
    if any(ch in "十百千" for ch in text):
        total, current = 0, 0
        for ch in text:
            if ch in "十百千":
                scale = {"十": 10, "百": 100, "千": 1000}[ch]
                total += (current or 1) * scale
                current = 0
            else:
                digit = _digit(ch)
                if digit is None:
                    return None
                current = digit
        return total + current
    digits = [_digit(ch) for ch in text]
    if any(d is None for d in digits):
        return None
    return int("".join(str(d) for d in digits))


_DIGIT_VALUES = {
    "零": 0,
    "〇": 0,
    "两": 2,
    **{ch: n for n, ch in enumerate("零一二三四五六七八九")},
}


def _digit(ch: str) -> int | None:
    return _DIGIT_VALUES.get(ch)


def number_spans(norm: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical token) of each number with a unit in normalised text."""
    out = []
    for match in _NUMBER_RE.finditer(norm):
        value = chinese_number(match.group(1))
        if value is not None:
            out.append((match.start(), match.end(), f"{value}{_UNITS[match.group(2)]}"))
    return out


def number_tokens(norm: str) -> list[str]:
    """The canonical number tokens of normalised text, in order, each once."""
    return list(dict.fromkeys(token for _, _, token in number_spans(norm)))
