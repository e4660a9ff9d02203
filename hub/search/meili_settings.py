"""What the hub tells Meilisearch about its index: attributes in rank order, filters,
sorts, facets, typo tolerance, locale and pagination, and the synonym table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from hub.search.backend import MAX_WINDOW
from hub.search.semantic import DIMENSIONS

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
    "event_words",
    "tag_words",
    "tag_grams",
    "event_text",
    "text_words",
]
CHINESE = [
    "name",
    "name_words",
    "alias_exact",
    "name_grams",
    "alias_words",
    "alias_grams",
    "event_words",
    "tag_words",
    "tag_grams",
    "event_text",
    "text_words",
]
PINYIN = ["name_py_joined", "name_py", "alias_py_joined", "alias_py"]
INITIALS = ["name_ini_joined", "name_ini", "alias_ini_joined", "alias_ini"]
FILTERABLE = [
    "id",  # deletes go by filter (``id IN [...]``): the client deprecates deleting by ids
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
#: Every document has exactly one ``online_depth``: the counts of this facet add up to the
#: exact number of matches, which ``totalHits`` is not once it reaches ``maxTotalHits``.
COUNTING_FACET = "online_depth"
MAX_FACET_VALUES = 10_000
#: ``totalHits`` stops at this number and no hit beyond it is served; facet counts go on. It
#: is the engine-neutral MAX_WINDOW (the deepest position a client may ask for), so every
#: page the hub serves is within it; a larger total comes from the facet counts instead.
MAX_TOTAL_HITS = MAX_WINDOW
#: What the hub reads from hits: a search reads ``HIT_FIELDS``, a suggestion ``SUGGEST_FIELDS``.
#: Meilisearch returns only displayed attributes, whatever ``attributesToRetrieve`` asks for.
HIT_FIELDS = ["id", "name"]
SUGGEST_FIELDS = ["id", "name", "name_py_joined", "name_ini_joined"]
DISPLAYED = list(dict.fromkeys([*HIT_FIELDS, *SUGGEST_FIELDS]))
#: Scores are scaled by the reading that found the hit: characters above pinyin above initials.
READING_WEIGHTS = {"typed": 1.0, "pinyin": 0.5, "initials": 0.4, "relaxed": 0.3}
TASK_TIMEOUT_MS = 120_000
BATCH = 1000


#: The user-provided embedder that holds the vectors of hub.search.semantic, and the share
#: of the semantic ranking in a hybrid search.
EMBEDDER = "hub"
SEMANTIC_RATIO = 0.5


def index_settings(synonyms: Mapping[str, Sequence[str]], semantic: bool = False) -> dict[str, Any]:
    """The settings the hub pushes to its index (a pure function, tested without a server);
    with ``semantic``, the embedder its documents' vectors go to."""
    embedders = {EMBEDDER: {"source": "userProvided", "dimensions": DIMENSIONS}}
    return {**({"embedders": embedders} if semantic else {}), **_settings(synonyms)}


def _settings(synonyms: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    return {
        "searchableAttributes": SEARCHABLE,
        "displayedAttributes": DISPLAYED,
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
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "faceting": {
            "maxValuesPerFacet": MAX_FACET_VALUES,
            "sortFacetValuesBy": {"*": "count"},
        },
        "proximityPrecision": "byWord",
    }


def settings_fingerprint(settings: Mapping[str, Any]) -> str:
    """A short digest of the settings, recorded with the index version: an index built with
    other settings is stale, and the next start rebuilds it beside the live one."""
    text = json.dumps(settings, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
