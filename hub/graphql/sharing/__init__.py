"""Data sharing as GraphQL: the demand list, requests, reviews and grants."""
