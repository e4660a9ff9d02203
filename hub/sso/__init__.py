"""hub as an OpenID Connect provider for the city's business systems (relying parties).

Protocol pieces come from libraries: joserfc signs and verifies every JWT and serves the key
set, Authlib supplies PKCE's S256 comparison and the OAuth 2 error codes. Authlib's
``AuthorizationServer`` is not used: it is synchronous and bound to Flask or Django, while
hub's database is async; the endpoints' steps are written here, each against its RFC, and
tested with Authlib's own client as the relying party. This package is a domain: no
Starlette, no strawberry (``hub.http.sso`` speaks HTTP for it).
"""
