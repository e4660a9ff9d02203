"""The pages hub serves to citizens and staff, rendered on the server from the public GraphQL
schema (the documents in ``queries/``), with one small script for suggestions while typing."""
