"""What the hub tells Meilisearch about its index: attributes in rank order, filters,
sorts, facets, typo tolerance, locale and pagination, and the synonym table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.search.backend import MAX_WINDOW

#: Searchable attributes, most important first (the ``attribute`` ranking rule uses the order).
SEARCHABLE = [
    "name",
    "name_words",
    "alias_exact",
    "name_grams",
    "alias_words",
    "alias_grams",
    "name_py_joined",
    "name_py",
    "alias_py_joined",
    "alias_py",
    "name_ini_joined",
    "name_ini",
    "alias_ini_joined",
    "alias_ini",
    "tag_words",
    "tag_grams",
    "text_words",
]
CHINESE = [
    "name",
    "name_words",
    "alias_exact",
    "name_grams",
    "alias_words",
    "alias_grams",
    "tag_words",
    "tag_grams",
    "text_words",
]
PINYIN = ["name_py_joined", "name_py", "alias_py_joined", "alias_py"]
INITIALS = ["name_ini_joined", "name_ini", "alias_ini_joined", "alias_ini"]
FILTERABLE = [
    "org_id",
    "org_path_ids",
    "theme_ids",
    "audience",
    "item_type",
    "online_depth",
    "visits",
    "life_event_ids",
]
SORTABLE = ["id", "online_depth", "visits"]
FACET_ATTRIBUTES = {
    "org": "org_id",
    "theme": "theme_ids",
    "audience": "audience",
    "online_depth": "online_depth",
    "visits": "visits",
}
MAX_FACET_VALUES = 10_000
#: Scores are scaled by the reading that found the hit: characters above pinyin above initials.
READING_WEIGHTS = {"typed": 1.0, "pinyin": 0.5, "initials": 0.4, "relaxed": 0.3}
TASK_TIMEOUT_MS = 120_000
BATCH = 1000


def index_settings(synonyms: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The settings the hub pushes to its index (a pure function, tested without a server)."""
    return {
        "searchableAttributes": SEARCHABLE,
        "displayedAttributes": ["id", "name"],
        "filterableAttributes": FILTERABLE,
        "sortableAttributes": SORTABLE,
        "rankingRules": ["words", "typo", "attribute", "proximity", "exactness", "sort"],
        "synonyms": {key: list(values) for key, values in synonyms.items()},
        "stopWords": [],
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            # homophones are matched by pinyin; edit distance on syllables, initials, codes
            # and single characters only adds noise
            "disableOnAttributes": [*PINYIN, *INITIALS, "alias_exact", "name_grams"],
        },
        "localizedAttributes": [{"attributePatterns": CHINESE, "locales": ["cmn"]}],
        "pagination": {"maxTotalHits": MAX_WINDOW},
        "faceting": {
            "maxValuesPerFacet": MAX_FACET_VALUES,
            "sortFacetValuesBy": {"*": "count"},
        },
        "proximityPrecision": "byWord",
    }
