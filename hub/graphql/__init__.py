"""The GraphQL layer: the schema, the per-request context and loaders, Relay conventions, and
one sub-package per domain (types, inputs, root fields, mutations). It calls the domains
below it and is called by :mod:`hub.http`; nothing below imports it."""
