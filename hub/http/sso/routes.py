"""The SSO routes, added to the app by ``hub.app.create_app``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.http.sso import browser, logout, oauth, pages, password


async def stylesheet(_request: Request) -> Response:
    return pages.stylesheet()


ROUTES = [
    Route("/.well-known/openid-configuration", oauth.discovery),
    Route("/sso/jwks", oauth.jwks),
    Route("/sso/authorize", browser.authorize, methods=["GET", "POST"]),
    Route("/sso/consent", browser.consent, methods=["POST"]),
    Route("/sso/password", password.change, methods=["POST"]),
    Route("/sso/token", oauth.token_endpoint, methods=["POST"]),
    Route("/sso/userinfo", oauth.userinfo_endpoint, methods=["GET", "POST"]),
    Route("/sso/introspect", oauth.introspection_endpoint, methods=["POST"]),
    Route("/sso/revoke", oauth.revocation_endpoint, methods=["POST"]),
    Route("/sso/logout", logout.end_session, methods=["GET", "POST"]),
    Route("/sso/static/sso.css", stylesheet),
]
