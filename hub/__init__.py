"""hub: one GraphQL API over a city's service catalogue, data catalogue and staff identity."""

__version__ = "0.1.0"
