"""The HTTP side of GraphQL: documents, persisted queries, limits, errors and the endpoint.

Strawberry defines the schema; execution goes straight to graphql-core with documents that
are parsed, checked and validated once per distinct query text, so a repeated query costs
only its execution.
"""
