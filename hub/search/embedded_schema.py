"""The tantivy fields of the embedded engine, and a service as a tantivy document.

Text arrives pre-analysed (:mod:`hub.search.fields`): whitespace-joined tokens, or
:class:`tantivy.PreTokenizedString` where the readings of one character share a position.
Highlights are computed in Python, since tantivy's snippets cannot see pre-tokenized text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import tantivy

from hub.search.backend import SearchError, ServiceDocument
from hub.search.fields import index_fields

#: Bump when the fields change; an index with another layout is rebuilt, not opened.
SCHEMA_VERSION = 5

T = TypeVar("T")


def _is_panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException"


def guard(action: str, fn: Callable[[], T]) -> T:
    """Run a tantivy call; a Rust panic (a BaseException) or error becomes SearchError."""
    try:
        return fn()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except SearchError:
        raise
    except BaseException as exc:
        if isinstance(exc, Exception) or _is_panic(exc):
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SearchError(f"embedded index: {action} failed: {message}") from None
        raise


def stored(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> tuple[int, str]:
    """The id and name stored with a hit."""

    def read() -> tuple[int, str]:
        doc = searcher.doc(address)
        return int(doc.get_first("id") or 0), str(doc.get_first("name") or "")

    return guard("read", read)


WRITER_LOCK_WAIT_SECONDS = 10.0


def open_writer(index: tantivy.Index, heap: int, threads: int) -> Any:
    """The index's writer. Another process (``hub import`` beside ``hub serve``) may hold the
    index's writer lock for a moment: wait for it, up to :data:`WRITER_LOCK_WAIT_SECONDS`,
    instead of failing the round (which would back the outbox off for up to a minute).
    Runs in a worker thread, so sleeping blocks nothing."""
    deadline = time.monotonic() + WRITER_LOCK_WAIT_SECONDS
    pause = 0.02
    while True:
        try:
            return index.writer(heap, threads)
        except ValueError as exc:
            busy = "lockbusy" in str(exc).lower()
            if not busy or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    sb.add_text_field("name", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("name_exact", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("name_words", tokenizer_name="whitespace")
    sb.add_text_field("name_grams", tokenizer_name="whitespace")
    sb.add_text_field("name_py", tokenizer_name="whitespace")
    sb.add_text_field("name_ini", tokenizer_name="whitespace")
    sb.add_text_field("name_py_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("name_ini_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("alias_exact", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("alias_words", tokenizer_name="whitespace")
    sb.add_text_field("alias_grams", tokenizer_name="whitespace")
    sb.add_text_field("alias_py", tokenizer_name="whitespace")
    sb.add_text_field("alias_ini", tokenizer_name="whitespace")
    sb.add_text_field("alias_py_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("alias_ini_joined", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("tag_words", tokenizer_name="whitespace")
    sb.add_text_field("tag_grams", tokenizer_name="whitespace")
    sb.add_text_field("text_words", tokenizer_name="whitespace")
    sb.add_text_field("event_words", tokenizer_name="whitespace")
    sb.add_text_field("event_text", tokenizer_name="whitespace")
    sb.add_integer_field("org_id", indexed=True, fast=True)
    sb.add_integer_field("org_path", indexed=True)
    sb.add_integer_field("theme_ids", indexed=True, fast=True)
    sb.add_text_field("audience", tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field("item_type", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("online_depth", indexed=True, fast=True)
    sb.add_integer_field("visits", indexed=True, fast=True)
    sb.add_integer_field("life_event_ids", indexed=True)
    return sb.build()


def _pre_tokenized(positions: Sequence[tuple[int, str]]) -> tantivy.PreTokenizedString:
    return tantivy.PreTokenizedString("", [tantivy.Token(t, p, 0, 0) for p, t in positions])


def to_tantivy(doc: ServiceDocument) -> tantivy.Document:
    """Analyse one service into index fields (the costly part of indexing)."""
    f = index_fields(doc)
    out = tantivy.Document(
        id=doc.id,
        name=doc.name,
        name_exact=f.name_exact,
        name_words=" ".join(f.name_words),
        name_grams=" ".join(f.name_grams),
        name_py_joined=f.name_py_joined,
        name_ini_joined=f.name_ini_joined,
        alias_words=" ".join(f.alias_words),
        alias_grams=" ".join(f.alias_grams),
        tag_words=" ".join(f.tag_words),
        tag_grams=" ".join(f.tag_grams),
        text_words=" ".join(f.text_words),
        event_words=" ".join(f.event_words),
        event_text=" ".join(f.event_text),
        org_id=doc.org_id,
        org_path=list(doc.org_path_ids) or [doc.org_id],
        audience=doc.audience,
        item_type=doc.item_type,
        online_depth=doc.online_depth,
        visits=doc.visits,
    )
    for field_name, values in (
        ("alias_exact", f.alias_exact),
        ("alias_py_joined", f.alias_py_joined),
        ("alias_ini_joined", f.alias_ini_joined),
    ):
        for value in values:
            out.add_text(field_name, value)
    for theme_id in doc.theme_ids:
        out.add_integer("theme_ids", theme_id)
    for event_id in doc.life_event_ids:
        out.add_integer("life_event_ids", event_id)
    out.add_pre_tokenized_text("name_py", _pre_tokenized(f.name_py))
    out.add_pre_tokenized_text("name_ini", _pre_tokenized(f.name_ini))
    out.add_pre_tokenized_text("alias_py", _pre_tokenized(f.alias_py))
    out.add_pre_tokenized_text("alias_ini", _pre_tokenized(f.alias_ini))
    return out
