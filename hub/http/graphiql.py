"""GraphiQL for browsers in development, taken from Strawberry's bundled page."""

from __future__ import annotations

from strawberry.http.ides import get_graphql_ide_html

GRAPHIQL_HTML = get_graphql_ide_html(graphql_ide="graphiql")
