"""The GraphQL schema: each domain's root fields merged into one ``Query``."""

from __future__ import annotations

from functools import lru_cache

import strawberry
from strawberry.tools import merge_types

from hub.graphql.catalogue.nodes import register_catalogue_nodes
from hub.graphql.catalogue.query import CatalogueQuery
from hub.graphql.identity.mutations import IdentityMutation
from hub.graphql.identity.query import IdentityQuery
from hub.graphql.lean import lean_resolvers
from hub.graphql.search.query import SearchQuery
from hub.graphql.search.synonyms import SynonymMutation, SynonymQuery
from hub.graphql.sharing.access import AccessQuery
from hub.graphql.sharing.mutations import SharingMutation
from hub.graphql.sharing.nodes import register_sharing_nodes
from hub.graphql.sharing.query import SharingQuery
from hub.graphql.sso.schema import SsoMutation, SsoQuery


@lru_cache(maxsize=1)
def build_schema() -> strawberry.Schema:
    register_catalogue_nodes()
    register_sharing_nodes()
    query = merge_types(
        "Query",
        (
            CatalogueQuery,
            SearchQuery,
            SynonymQuery,
            IdentityQuery,
            SharingQuery,
            AccessQuery,
            SsoQuery,
        ),
    )
    query.__strawberry_definition__.description = (  # type: ignore[attr-defined]
        "Read the hub: the public service and data catalogues for everyone; staff data for "
        "signed-in staff within their scope; data sharing for the staff of the orgs involved."
    )
    mutation = merge_types(
        "Mutation", (IdentityMutation, SharingMutation, SsoMutation, SynonymMutation)
    )
    mutation.__strawberry_definition__.description = (  # type: ignore[attr-defined]
        "Change the hub: sign-in sessions, staff and their memberships, data sharing requests "
        "and grants, the search synonym table; every change is atomic, version-guarded and "
        "audited."
    )
    schema = strawberry.Schema(query=query, mutation=mutation)
    lean_resolvers(schema)
    return schema


def schema_sdl() -> str:
    """The schema as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
