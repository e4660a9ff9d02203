"""Ranking for the embedded engine: an analysed query as tantivy queries.

Each query term scores the best *tier* it reaches (name word > name substring > alias > name
pinyin > alias pinyin > name initials > alias initials > theme and org names > description,
conditions and materials) plus a tenth of the others; a variant of the query scores the mean
over its terms (synonym variants a little less than the words as typed); an exact name,
alias, pinyin or initials match adds far more than any sum of terms; and a small BM25 share
over the name breaks ties in favour of shorter, more focused names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tantivy
from tantivy import Occur, Query

from hub.search import tokens
from hub.search.analysis import is_cjk, split_pinyin
from hub.search.backend import SearchFilter
from hub.search.query import AnalyzedQuery, Term, Variant

# score tiers (see the module docstring)
EXACT_NAME = 1000.0
EXACT_ALIAS = 600.0
EXACT_PINYIN = 500.0
EXACT_INITIALS = 400.0
EXACT_ALIAS_PINYIN = 300.0
EXACT_ALIAS_INITIALS = 200.0
NAME_WORD = 10.0
NAME_SUBSTRING = 8.0
ALIAS = 7.0
NAME_PINYIN = 4.0
ALIAS_PINYIN = 3.5
NAME_INITIALS = 3.0
ALIAS_INITIALS = 2.5
TAGS = 2.0  # theme and org names
TEXT = 1.0  # description, conditions, materials
CONTIGUOUS = 5.0  # every term of a multi-word query, in order, inside the name
TIE_BREAK = 0.02
MORE_EVIDENCE = 0.1  # share of the other tiers a term reaches, on top of its best one
# what was typed (even in an alias) beats what the synonym table guessed
SYNONYM_WEIGHT = 0.65


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

    @staticmethod
    def any_of(*queries: Query) -> Query:
        return Query.boolean_query([(Occur.Should, q) for q in queries])

    @staticmethod
    def tier(query: Query, score: float) -> Query:
        return Query.const_score_query(query, score)

    # terms and variants ---------------------------------------------------------------

    def term_query(self, term: Term) -> Query:
        tiers: list[Query] = [
            self.tier(self.term("name_words", term.text), NAME_WORD),
            self.tier(self.substring("name_grams", term.text), NAME_SUBSTRING),
            self.tier(
                self.any_of(
                    self.term("alias_words", term.text), self.substring("alias_grams", term.text)
                ),
                ALIAS,
            ),
            self.tier(
                self.any_of(
                    self.term("tag_words", term.text), self.substring("tag_grams", term.text)
                ),
                TAGS,
            ),
            self.tier(self.term("text_words", term.text), TEXT),
        ]
        tie_break = self.term("name_grams", term.text[:2])
        if term.syllables:
            syllables, partial = term.syllables, term.partial
            tiers.append(self.tier(self.syllables("name_py", syllables, partial), NAME_PINYIN))
            tiers.append(self.tier(self.syllables("alias_py", syllables, partial), ALIAS_PINYIN))
            if not term.cjk:
                tie_break = self.term("name_py", syllables[0])
        if len(term.initials) >= 2:
            initials = term.initials
            pairs = tokens.initials_phrase(initials)
            tiers.append(self.tier(self.phrase("name_ini", pairs), NAME_INITIALS))
            tiers.append(self.tier(self.phrase("alias_ini", pairs), ALIAS_INITIALS))
        best = Query.disjunction_max_query(tiers, tie_breaker=MORE_EVIDENCE)
        return Query.boolean_query(
            [(Occur.Must, best), (Occur.Should, Query.boost_query(tie_break, TIE_BREAK))]
        )

    def bonuses(self, variant: Variant) -> list[Query]:
        out = [
            self.tier(self.term("name_exact", variant.compact), EXACT_NAME),
            self.tier(self.term("alias_exact", variant.compact), EXACT_ALIAS),
        ]
        terms = variant.terms
        if all(t.cjk for t in terms) and len(terms) >= 2:
            out.append(self.tier(self.substring("name_grams", variant.compact), CONTIGUOUS))
        if all(not t.cjk and t.syllables and not t.partial for t in terms):
            joined = "".join(s for t in terms for s in t.syllables)
            out.append(self.tier(self.term("name_py_joined", joined), EXACT_PINYIN))
            out.append(self.tier(self.term("alias_py_joined", joined), EXACT_ALIAS_PINYIN))
        if len(terms) == 1 and terms[0].initials:
            initials = "".join(terms[0].initials)
            out.append(self.tier(self.term("name_ini_joined", initials), EXACT_INITIALS))
            out.append(self.tier(self.term("alias_ini_joined", initials), EXACT_ALIAS_INITIALS))
        return out

    def variant_query(self, variant: Variant, relaxed: bool) -> Query:
        occur = Occur.Should if relaxed else Occur.Must
        clauses = [(occur, self.term_query(t)) for t in variant.terms]
        clauses += [(Occur.Should, b) for b in self.bonuses(variant)]
        if relaxed:
            return Query.boolean_query(clauses, minimum_number_should_match=1)
        return Query.boolean_query(clauses)

    def text_query(self, query: AnalyzedQuery, relaxed: bool = False) -> Query:
        # a variant scores the mean of its terms, so that readings with different numbers of
        # words compare fairly (生 孩子 against 生育)
        variants = [
            Query.boost_query(
                self.variant_query(v, relaxed),
                (SYNONYM_WEIGHT if v.synonym else 1.0) / len(v.terms),
            )
            for v in query.variants
        ]
        if len(variants) == 1:
            return variants[0]
        return Query.boolean_query([(Occur.Should, v) for v in variants])

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
        """Names starting with what was typed first, then names containing it."""
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
