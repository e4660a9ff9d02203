"""Single sign-on clients as GraphQL: what a system administrator registers."""
