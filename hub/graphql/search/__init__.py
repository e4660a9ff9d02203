"""Search in GraphQL: ``searchServices``, ``suggestServices``, ``hotSearches``, the zero-result
statistics and the synonym table."""
