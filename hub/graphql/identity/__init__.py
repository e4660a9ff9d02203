"""Staff identity in GraphQL: staff, memberships, audit events, sign-in and the changes."""
