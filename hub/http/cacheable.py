"""Which documents the response cache may answer, and what their answers depend on.

Decided once per document, when it is prepared, from the fields it selects: an allow-list of
root fields, so a field added to ``Query`` is never cached until it is placed here. Answers
that depend only on the catalogue (services, orgs, datasets, themes, life events, bundles,
materials; ``node`` for any of them) follow the public version. Search answers also follow
the search index and the synonym table (``SEARCH``). Hot searches and suggestions also follow
the query log's statistics, which every process reads again once a minute: their entries are
keyed by the minute as well (``STATS``), the one place where an entry can be up to a minute
behind what a fresh run of the same process would answer.

Whether an answer may be cached at all is decided by the endpoint: only anonymous callers'
answers without errors. A field anonymous callers can see but that changes with every
request of others (an org's sharing figures, counted from live requests) is never cached.
"""

from __future__ import annotations

import enum

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    visit,
)


class CacheKind(enum.IntEnum):
    CATALOGUE = 1
    SEARCH = 2
    STATS = 3


ROOTS: dict[str, CacheKind] = {
    "__typename": CacheKind.CATALOGUE,
    "__schema": CacheKind.CATALOGUE,
    "__type": CacheKind.CATALOGUE,
    "node": CacheKind.CATALOGUE,
    "nodes": CacheKind.CATALOGUE,
    "service": CacheKind.CATALOGUE,
    "services": CacheKind.CATALOGUE,
    "materials": CacheKind.CATALOGUE,
    "dataset": CacheKind.CATALOGUE,
    "datasets": CacheKind.CATALOGUE,
    "datasetProviders": CacheKind.CATALOGUE,
    "rootOrg": CacheKind.CATALOGUE,
    "org": CacheKind.CATALOGUE,
    "themes": CacheKind.CATALOGUE,
    "lifeEvents": CacheKind.CATALOGUE,
    "bundle": CacheKind.CATALOGUE,
    "bundles": CacheKind.CATALOGUE,
    "searchServices": CacheKind.SEARCH,
    "suggestServices": CacheKind.STATS,
    "hotSearches": CacheKind.STATS,
}

#: fields anonymous callers see that change without a public write
NEVER: frozenset[tuple[str, str]] = frozenset({("Org", "sharingFigures")})


class _Classify(Visitor):
    def __init__(self, schema: GraphQLSchema, type_info: TypeInfo) -> None:
        super().__init__()
        self.query_type = schema.query_type
        self.type_info = type_info
        self.kind: CacheKind | None = CacheKind.CATALOGUE

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> object:
        if node.operation is not OperationType.QUERY:
            self.kind = None
            return self.BREAK
        return None

    def enter_field(self, node: FieldNode, *_: object) -> object:
        parent = self.type_info.get_parent_type()
        name = node.name.value
        if parent is self.query_type:
            root = ROOTS.get(name)
            if root is None:
                self.kind = None
                return self.BREAK
            self.kind = max(root, self.kind or root)
        elif parent is not None and (parent.name, name) in NEVER:
            self.kind = None
            return self.BREAK
        return None


def cache_kind(schema: GraphQLSchema, document: DocumentNode) -> CacheKind | None:
    """What the document's answers depend on; None when they are never cached (a mutation, a
    root field not in :data:`ROOTS`, a field in :data:`NEVER`). The document is valid."""
    type_info = TypeInfo(schema)
    classify = _Classify(schema, type_info)
    visit(document, TypeInfoVisitor(type_info, classify))
    return classify.kind
