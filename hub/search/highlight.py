"""Highlights computed in Python: the engines index pre-analysed tokens, so neither can
mark the original name. Offsets are characters of the name as stored."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from hub.search.analysis import char_readings, is_cjk, normalize_with_offsets
from hub.search.query import Term


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
