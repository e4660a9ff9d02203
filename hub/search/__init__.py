"""Forgiving Chinese search over the service catalogue: one analysis pipeline
(:mod:`~hub.search.analysis`, :mod:`~hub.search.tokens`, :mod:`~hub.search.query`), two
engines behind :class:`~hub.search.backend.SearchBackend` (embedded tantivy, Meilisearch),
an outbox that keeps them in step with the database, and the runtime the app opens."""
