"""A service as a Meilisearch document: the same pre-analysed fields the embedded engine
indexes (see :mod:`hub.search.fields`), flattened to plain words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.search.backend import ServiceDocument
from hub.search.fields import flatten, index_fields
from hub.search.meili_settings import EMBEDDER


def to_meili_document(doc: ServiceDocument, semantic: bool = False) -> dict[str, Any]:
    """A service as Meilisearch receives it: the shared pre-analysed fields as words; with
    ``semantic``, its passage's vector for the user-provided embedder (``null`` until the
    vector exists: the embedding worker queues the service again then)."""
    f = index_fields(doc)
    vectors = (
        {"_vectors": {EMBEDDER: list(doc.vector) if doc.vector is not None else None}}
        if semantic
        else {}
    )
    return vectors | {
        "id": doc.id,
        "code": doc.code,
        "name": doc.name,
        "name_words": " ".join(f.name_words),
        "name_grams": " ".join(f.name_grams),
        "name_py": flatten(f.name_py),
        "name_ini": flatten(f.name_ini),
        "name_py_joined": f.name_py_joined,
        "name_ini_joined": f.name_ini_joined,
        "alias_exact": list(f.alias_exact),
        "alias_words": " ".join(f.alias_words),
        "alias_grams": " ".join(f.alias_grams),
        "alias_py": flatten(f.alias_py),
        "alias_ini": flatten(f.alias_ini),
        "alias_py_joined": list(f.alias_py_joined),
        "alias_ini_joined": list(f.alias_ini_joined),
        "tag_words": " ".join(f.tag_words),
        "tag_grams": " ".join(f.tag_grams),
        "text_words": " ".join(f.text_words),
        "event_words": " ".join(f.event_words),
        "event_text": " ".join(f.event_text),
        "org_id": doc.org_id,
        "org_path_ids": list(doc.org_path_ids) or [doc.org_id],
        "theme_ids": list(doc.theme_ids),
        "audience": doc.audience,
        "item_type": doc.item_type,
        "online_depth": doc.online_depth,
        "visits": doc.visits,
        "life_event_ids": list(doc.life_event_ids),
    }


def id_filter(ids: Sequence[int]) -> str:
    """The documents with these ids, as a filter (``id`` is filterable). Deleting by a list
    of ids is deprecated in the client (0.43 warns on every call); deleting by filter is
    not, and takes one task however many ids there are."""
    return f"id IN [{', '.join(str(int(i)) for i in ids)}]"
