"""Data sharing between departments (the next domain): demand lists, requests, provider
review, grants with their fields and expiry, and data served "usable, not visible" with every
call audited. Statements and rules only; its GraphQL goes in ``hub.graphql.sharing``."""
