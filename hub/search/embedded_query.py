"""Ranking for the embedded engine: an analysed query as tantivy queries.

Ranking by evidence, not all-or-nothing:

- each query term is weighted by how rare it is in the catalogue (IDF, from the index's own
  document frequencies; single characters count half), and scores the best *tier* it reaches
  (name word > name substring > alias > action class in the name > its life events' and
  一件事 bundles' names > theme and org names > their descriptions > its description,
  conditions and materials > a pinyin reading of a Chinese term) plus a tenth of
  the others;
- an item matches a reading of the query when the terms it has carry at least
  :data:`COVERAGE` of the query's weight (so a rare word must be there and a common one may be
  missing), and scores the weighted mean of its terms' tiers; when fewer than :data:`FILL`
  items do (a rare word is often the citizen's, not the catalogue's: 看病 against 医疗费用),
  items with any of the query's terms follow them;
- the readings of a query (as typed, and each synonym expansion) are alternatives: an item
  scores its best reading once (synonym readings a little less than the words as typed),
  never the sum of overlapping expansions;
- an exact name, alias, pinyin or initials match adds far more than any sum of terms, then a
  name containing the whole query, then a name that sounds exactly like a query of three
  characters or more (homophone typos), so near-exact names come first and a pinyin reading
  never outranks a literal match of the same text; a small BM25 share over the name breaks
  ties in favour of shorter names.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import tantivy
from tantivy import Occur, Query

from hub.search import tokens
from hub.search.analysis import is_cjk, split_pinyin
from hub.search.backend import SearchFilter
from hub.search.query import AnalyzedQuery, Term, Variant

# bonuses of a whole reading (see the module docstring)
EXACT_NAME = 1000.0
EXACT_ALIAS = 600.0
EXACT_PINYIN = 500.0
EXACT_INITIALS = 400.0
EXACT_ALIAS_PINYIN = 300.0
EXACT_ALIAS_INITIALS = 200.0
NAME_CONTAINS = 50.0  # the whole query, literally, inside the name
# a Chinese query of three characters or more that reads exactly as the name (生育等级 for
# 生育登记): a homophone typo. Shorter ones are left to the terms' own (low) pinyin tiers:
# two characters often sound alike (时候, 博士后's 士后) and a literal match must win.
SOUNDS_LIKE_NAME = 40.0
# tiers of one term
NAME_WORD = 10.0
NAME_SUBSTRING = 8.0
ALIAS = 7.0
NAME_ACTION = 9.0  # the term's action class (补办 ~ 补领 ~ 补发) in the name
ALIAS_ACTION = 6.5
NAME_PINYIN = 4.0  # Latin input read as pinyin ...
ALIAS_PINYIN = 3.5
NAME_INITIALS = 3.0  # ... or as initials
ALIAS_INITIALS = 2.5
EVENT = 4.0  # names of its life events and 一件事 bundles
TAGS = 2.0  # theme and org names
EVENT_TEXT = 1.5  # descriptions of its life events and bundles
TEXT = 1.0  # description, conditions, materials
TEXT_ACTION = 0.9
CJK_PINYIN = 0.6  # a Chinese term matched by sound only: below any literal match
CJK_ALIAS_PINYIN = 0.5
TIE_BREAK = 0.02
MORE_EVIDENCE = 0.1  # share of the other tiers a term reaches, on top of its best one
# what was typed (even in an alias) beats what the synonym table guessed
SYNONYM_WEIGHT = 0.65
#: Share of a reading's term weight an item must have to match it.
COVERAGE = 0.6
#: Fewer matches than this, and items with any of the query's terms are added after them.
FILL = 10
COVERED = 20.0  # what passing the coverage test adds when items with any term are added
#: Readings with more terms than this match by count (COVERAGE of the terms), not by weight.
MAX_WEIGHED_TERMS = 6
SINGLE_CHARACTER = 0.5  # weight factor of a one-character Chinese term
LATIN_DOC_SHARE = 0.05  # a pinyin or initials term weighs as a word in 5% of items

#: Suggestion tiers from here up: the name, its pinyin or initials start with the prefix.
PREFIX_TIER = 90

#: How a term is weighed: by the number of documents that have it.
Weigh = Callable[[Term], float]


def idf(df: int, n: int) -> float:
    """BM25's inverse document frequency, never below a small positive floor."""
    return max(0.05, math.log(1 + (n - df + 0.5) / (df + 0.5)))


def term_weight(searcher: tantivy.Searcher, term: Term) -> float:
    """IDF of a term over the catalogue, from the field where it is most common (an action
    word from its whole class)."""
    n = max(1, int(searcher.num_docs))
    if not term.cjk and not term.number:
        return idf(int(n * LATIN_DOC_SHARE), n)
    fields = ["name_words", "alias_words", "text_words", "tag_words", "event_words"]
    if len(term.text) <= 2:
        fields.append("name_grams")
    df = max(int(searcher.doc_freq(field, term.text)) for field in fields)
    if term.action:  # as common as its class: 补办 weighs what 补领/补发/遗失 weigh together
        df = max(df, *(int(searcher.doc_freq(f, term.action)) for f in fields[:3]))
    weight = idf(df, n)
    return weight * SINGLE_CHARACTER if term.cjk and len(term.text) == 1 else weight


class QueryBuilder:
    """Turns an analysed query and a filter into tantivy queries (no tantivy I/O here)."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    # leaves -----------------------------------------------------------------------------

    def term(self, field: str, value: Any) -> Query:
        return Query.term_query(self.schema, field, value)

    def phrase(self, field: str, words: Sequence[tuple[int, str]]) -> Query:
        # a one-word phrase panics in tantivy: fall back to a term query
        if len(words) == 1:
            return self.term(field, words[0][1])
        return Query.phrase_query(self.schema, field, list(words))

    def syllables(self, field: str, syllables: Sequence[str], prefix: bool) -> Query:
        words = tokens.syllable_phrase(syllables)
        if prefix:
            return Query.phrase_prefix_query(self.schema, field, list[str | tuple[int, str]](words))
        return self.phrase(field, words)

    def substring(self, field: str, text: str) -> Query:
        return self.phrase(field, tokens.substring_phrase(text))

    def id_set(self, ids: Sequence[int]) -> Query:
        return Query.term_set_query(self.schema, "id", list(ids))

    @staticmethod
    def any_of(*queries: Query) -> Query:
        return Query.boolean_query([(Occur.Should, q) for q in queries])

    @staticmethod
    def tier(query: Query, score: float) -> Query:
        return Query.const_score_query(query, score)

    # terms and variants ---------------------------------------------------------------

    def term_query(self, term: Term) -> Query:
        """The best tier a term reaches (plus a tenth of the others), unweighted."""
        text = term.text
        tiers: list[Query] = [
            self.tier(self.term("name_words", text), NAME_WORD),
            self.tier(self.term("alias_words", text), ALIAS),
            self.tier(
                self.any_of(self.term("tag_words", text), self.substring("tag_grams", text)),
                TAGS,
            ),
            self.tier(self.term("text_words", text), TEXT),
            self.tier(self.term("event_words", text), EVENT),
            self.tier(self.term("event_text", text), EVENT_TEXT),
        ]
        if term.cjk:
            tiers.append(self.tier(self.substring("name_grams", text), NAME_SUBSTRING))
            tiers.append(self.tier(self.substring("alias_grams", text), ALIAS))
        if term.action:
            tiers.append(self.tier(self.term("name_words", term.action), NAME_ACTION))
            tiers.append(self.tier(self.term("alias_words", term.action), ALIAS_ACTION))
            tiers.append(self.tier(self.term("text_words", term.action), TEXT_ACTION))
        tie_break = self.term("name_grams", text[:2])
        if term.syllables:
            syllables, partial = term.syllables, term.partial
            name_tier, alias_tier = (
                (CJK_PINYIN, CJK_ALIAS_PINYIN) if term.cjk else (NAME_PINYIN, ALIAS_PINYIN)
            )
            tiers.append(self.tier(self.syllables("name_py", syllables, partial), name_tier))
            tiers.append(self.tier(self.syllables("alias_py", syllables, partial), alias_tier))
            if not term.cjk:
                tie_break = self.term("name_py", syllables[0])
        if len(term.initials) >= 2:
            pairs = tokens.initials_phrase(term.initials)
            tiers.append(self.tier(self.phrase("name_ini", pairs), NAME_INITIALS))
            tiers.append(self.tier(self.phrase("alias_ini", pairs), ALIAS_INITIALS))
        best = Query.disjunction_max_query(tiers, tie_breaker=MORE_EVIDENCE)
        return Query.boolean_query(
            [(Occur.Must, best), (Occur.Should, Query.boost_query(tie_break, TIE_BREAK))]
        )

    def bonuses(self, variant: Variant) -> list[Query]:
        wholes = list(dict.fromkeys(w for w in (variant.compact, variant.full) if w))
        out = [self.tier(self.term("name_exact", w), EXACT_NAME) for w in wholes]
        out += [self.tier(self.term("alias_exact", w), EXACT_ALIAS) for w in wholes]
        terms = variant.terms
        if all(t.cjk or t.number for t in terms):
            out.append(self.tier(self.substring("name_grams", variant.compact), NAME_CONTAINS))
            reading = [s for t in terms for s in t.syllables] if all(t.cjk for t in terms) else []
            if len(reading) >= 3 and len(reading) == len(variant.compact):
                joined = "".join(reading)
                out.append(self.tier(self.term("name_py_joined", joined), SOUNDS_LIKE_NAME))
        if all(not t.cjk and t.syllables and not t.partial for t in terms):
            joined = "".join(s for t in terms for s in t.syllables)
            out.append(self.tier(self.term("name_py_joined", joined), EXACT_PINYIN))
            out.append(self.tier(self.term("alias_py_joined", joined), EXACT_ALIAS_PINYIN))
        if len(terms) == 1 and terms[0].initials:
            initials = "".join(terms[0].initials)
            out.append(self.tier(self.term("name_ini_joined", initials), EXACT_INITIALS))
            out.append(self.tier(self.term("alias_ini_joined", initials), EXACT_ALIAS_INITIALS))
        return out

    def coverage(self, matches: Sequence[Query], weights: Sequence[float]) -> Query:
        """Items whose matched terms carry at least COVERAGE of the weight: the minimal sets
        of terms that do, any of them in full."""
        k = len(matches)
        if k == 1:
            return matches[0]
        if k > MAX_WEIGHED_TERMS:
            need = math.ceil(COVERAGE * k)
            return Query.boolean_query(
                [(Occur.Should, m) for m in matches], minimum_number_should_match=need
            )
        total = sum(weights)
        enough: list[tuple[int, ...]] = []
        for size in range(1, k + 1):
            for subset in itertools.combinations(range(k), size):
                if sum(weights[i] for i in subset) < COVERAGE * total - 1e-9:
                    continue
                if any(set(smaller) <= set(subset) for smaller in enough):
                    continue
                enough.append(subset)
        alternatives = [
            Query.boolean_query([(Occur.Must, matches[i]) for i in subset]) for subset in enough
        ]
        return alternatives[0] if len(alternatives) == 1 else self.any_of(*alternatives)

    def variant_query(self, variant: Variant, weigh: Weigh, fill: bool) -> Query:
        """A reading: the coverage test, the weighted mean of its terms' tiers, and its
        bonuses. With ``fill``, items with any of its terms match too, after those that
        pass the test (:data:`COVERED` ahead of them)."""
        terms = [self.term_query(t) for t in variant.terms]
        weights = [weigh(t) for t in variant.terms]
        total = sum(weights) or 1.0
        covered = self.coverage(terms, weights)
        if fill:
            any_term = Query.boolean_query([(Occur.Should, t) for t in terms])
            clauses = [
                (Occur.Must, Query.const_score_query(any_term, 0.0)),
                (Occur.Should, Query.const_score_query(covered, COVERED)),
            ]
        else:
            clauses = [(Occur.Must, Query.const_score_query(covered, 0.0))]
        clauses += [
            (Occur.Should, Query.boost_query(q, w / total))
            for q, w in zip(terms, weights, strict=True)
        ]
        clauses += [(Occur.Should, b) for b in self.bonuses(variant)]
        return Query.boolean_query(clauses)

    def text_query(self, query: AnalyzedQuery, weigh: Weigh, fill: bool = False) -> Query:
        """Each reading scored on its own; an item counts its best reading once."""
        readings = [
            Query.boost_query(
                self.variant_query(v, weigh, fill), SYNONYM_WEIGHT if v.synonym else 1.0
            )
            for v in query.variants
        ]
        if len(readings) == 1:
            return readings[0]
        return Query.disjunction_max_query(readings, tie_breaker=0.0)

    # filters --------------------------------------------------------------------------

    def filters(self, flt: SearchFilter | None) -> list[Query]:
        if flt is None:
            return []
        out: list[Query] = []
        if flt.org_id is not None:
            out.append(self.term("org_path", flt.org_id))
        if flt.theme_ids:
            out.append(Query.term_set_query(self.schema, "theme_ids", list(flt.theme_ids)))
        audiences = flt.audiences()
        if audiences:
            out.append(Query.term_set_query(self.schema, "audience", list(audiences)))
        if flt.item_types:
            out.append(Query.term_set_query(self.schema, "item_type", list(flt.item_types)))
        if flt.online_depth_min is not None:
            out.append(self.int_range("online_depth", lower=flt.online_depth_min))
        if flt.max_visits is not None:
            out.append(self.int_range("visits", upper=flt.max_visits))
        if flt.life_event_id is not None:
            out.append(self.term("life_event_ids", flt.life_event_id))
        return out

    def int_range(self, field: str, lower: int | None = None, upper: int | None = None) -> Query:
        return Query.range_query(
            self.schema,
            field,
            tantivy.FieldType.Integer,
            lower_bound=lower if lower is not None else -(2**62),
            upper_bound=upper if upper is not None else 2**62,
        )

    def filtered(self, query: Query, flt: SearchFilter | None) -> Query:
        filters = self.filters(flt)
        if not filters:
            return query
        clauses = [(Occur.Must, query)]
        clauses += [(Occur.Must, Query.const_score_query(f, 0.0)) for f in filters]
        return Query.boolean_query(clauses)

    # suggestions ----------------------------------------------------------------------

    def suggest_query(self, compact: str) -> Query:
        """Names starting with what was typed first (tiers of :data:`PREFIX_TIER` and up),
        then names containing it."""
        if all(is_cjk(ch) for ch in compact):
            tiers = [
                self.tier(Query.regex_query(self.schema, "name_exact", f"{compact}.*"), 100.0),
                self.tier(self.substring("name_grams", compact), 10.0),
                self.tier(Query.regex_query(self.schema, "alias_exact", f"{compact}.*"), 8.0),
            ]
            tie_break = self.term("name_grams", compact[:2])
        elif not (compact.isascii() and compact.isalnum()):
            tiers = [self.tier(self.substring("name_grams", compact), 10.0)]
            tie_break = self.term("name_grams", compact[:2])
        else:
            tiers = [
                self.tier(Query.regex_query(self.schema, "name_py_joined", f"{compact}.*"), 100.0),
                self.tier(Query.regex_query(self.schema, "name_ini_joined", f"{compact}.*"), 90.0),
                self.tier(Query.regex_query(self.schema, "name_exact", f"{compact}.*"), 90.0),
                # an alias spelled out or by initials: shebaoka, sbk → 社保卡 → 社会保障卡申领
                self.tier(Query.regex_query(self.schema, "alias_py_joined", f"{compact}.*"), 8.0),
                self.tier(Query.regex_query(self.schema, "alias_ini_joined", f"{compact}.*"), 8.0),
            ]
            tie_break = self.term("name_ini", compact[0])
            split = split_pinyin(compact) if compact.isalpha() else None
            if split is not None:
                syllables, partial = split
                tiers.append(self.tier(self.syllables("name_py", syllables, partial), 10.0))
                tie_break = self.term("name_py", syllables[0])
            if compact.isalpha() and len(compact) >= 2:
                pairs = tokens.initials_phrase(compact)
                tiers.append(self.tier(self.phrase("name_ini", pairs), 5.0))
        return Query.boolean_query(
            [
                (Occur.Must, self.any_of(*tiers)),
                (Occur.Should, Query.boost_query(tie_break, TIE_BREAK)),
            ]
        )
