"""The service and data catalogues as a domain: the statements that list services and
datasets, their filters and orders, and the importer that writes services (with their outbox
rows for search). No GraphQL here; :mod:`hub.graphql.catalogue` converts what it returns."""
