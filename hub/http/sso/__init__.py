"""hub's OpenID Connect provider over HTTP: discovery, keys, the sign-in page, the token
endpoint, userinfo, introspection, revocation and logout (the steps are in ``hub.sso``)."""
