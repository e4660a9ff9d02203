"""Thin resolvers: parse arguments, call the data layer, return GraphQL types."""
