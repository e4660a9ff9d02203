"""Whether the viewer may run an operation at all, decided on its document before it runs.

A viewer signed in with a password an administrator reset (``Viewer.must_change_password``)
may run ``changePassword`` and ``logout`` and read ``me`` (with whatever it selects inside),
nothing else, until they have chosen their own password. An operation that selects any other
root field is refused as a whole with PASSWORD_CHANGE_REQUIRED before any resolver runs, so
nothing is read or written for it and no partial answer leaks out. Deciding on the document
(root fields, through fragments) costs nothing for everyone else: one flag is read.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from hub.auth.viewer import Viewer
from hub.errors import PasswordChangeRequired

#: What a viewer who must change their password may still select at the root.
WHILE_PASSWORD_CHANGE_REQUIRED = {
    OperationType.QUERY: frozenset({"me", "__typename"}),
    OperationType.MUTATION: frozenset({"changePassword", "logout", "__typename"}),
}


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> set[str]:
    """The names of the root fields an operation selects, through its fragments."""
    fragments = {
        d.name.value: d.selection_set
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    seen: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name])
    return names


def require_allowed_operation(
    viewer: Viewer, document: DocumentNode, operation: OperationDefinitionNode
) -> None:
    """PASSWORD_CHANGE_REQUIRED unless ``viewer`` may run ``operation`` now."""
    if not viewer.must_change_password:
        return
    allowed = WHILE_PASSWORD_CHANGE_REQUIRED.get(operation.operation, frozenset())
    if root_fields(document, operation) - allowed:
        raise PasswordChangeRequired(
            "Your password was reset by an administrator: choose your own with "
            "changePassword first. Until then only changePassword, logout and me are open."
        )
