"""Search in GraphQL: ``searchServices``, ``suggestServices`` and the zero-result statistics."""
