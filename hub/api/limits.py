"""Depth and alias limits, computed once per document (the result is cached with it)."""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from hub.errors import QueryTooComplex


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _walk(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    depth: int,
    seen: frozenset[str],
) -> tuple[int, int]:
    """Return (max depth, alias count) below ``selection_set``."""
    if selection_set is None:
        return depth, 0
    deepest, aliases = depth, 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.alias is not None:
                aliases += 1
            if selection.selection_set is not None:
                sub_depth, sub_aliases = _walk(selection.selection_set, fragments, depth + 1, seen)
            else:
                sub_depth, sub_aliases = depth + 1, 0
        elif isinstance(selection, InlineFragmentNode):
            sub_depth, sub_aliases = _walk(selection.selection_set, fragments, depth, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue  # validation reports unknown or cyclic fragments
            sub_depth, sub_aliases = _walk(fragment.selection_set, fragments, depth, seen | {name})
        else:  # pragma: no cover - graphql-core has no other selection kinds
            continue
        deepest = max(deepest, sub_depth)
        aliases += sub_aliases
    return deepest, aliases


def check_limits(document: DocumentNode, *, max_depth: int, max_aliases: int) -> None:
    fragments = _fragments(document)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        depth, aliases = _walk(definition.selection_set, fragments, 0, frozenset())
        if depth > max_depth:
            raise QueryTooComplex(
                f"Query is {depth} levels deep; the limit is {max_depth}.",
                depth=depth,
                limit=max_depth,
            )
        if aliases > max_aliases:
            raise QueryTooComplex(
                f"Query uses {aliases} aliases; the limit is {max_aliases}.",
                aliases=aliases,
                limit=max_aliases,
            )
