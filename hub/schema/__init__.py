"""The GraphQL schema: each domain's root fields merged into one ``Query``."""

from __future__ import annotations

from functools import lru_cache

import strawberry
from strawberry.tools import merge_types

from hub.resolvers.nodes import register_catalogue_nodes
from hub.schema.catalog_query import CatalogueQuery


@lru_cache(maxsize=1)
def build_schema() -> strawberry.Schema:
    register_catalogue_nodes()
    query = merge_types("Query", (CatalogueQuery,))
    return strawberry.Schema(query=query)
