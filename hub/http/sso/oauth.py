"""The JSON endpoints: discovery, the key set, token, introspection, revocation, userinfo.

Their errors are OAuth's (``{"error": …, "error_description": …}``, RFC 6749 §5.2), with the
request id beside them like every other error of hub's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    UnsupportedGrantTypeError,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.http.sso.forms import FormError, basic_credentials, bearer_token, form_params
from hub.http.state import HubState, hub_state
from hub.logs import request_id_var
from hub.sso import resource, token
from hub.sso.clients import SCOPES
from hub.sso.token import printable

Endpoint = Callable[[Request], Awaitable[Response]]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CLAIMS = [
    "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "name",
    "preferred_username", "email", "phone_number", "posts",
]  # fmt: skip


class NotConfigured(Exception):
    pass


def issuer_of(request: Request) -> str:
    state = hub_state(request)
    if state.settings.is_production and not state.settings.public_url:
        raise NotConfigured()
    issuer = state.sso.issuer(str(request.base_url))
    state.logouts.set_issuer(issuer)
    return issuer


def oauth_error(error: OAuth2Error) -> JSONResponse:
    body: dict[str, Any] = {"error": error.error, "request_id": request_id_var.get()}
    description = printable(error.get_error_description() or "")
    if description:
        body["error_description"] = description
    status = error.status_code or 400
    headers = dict(NO_STORE)
    for name, value in error.get_headers():
        if name.lower() == "www-authenticate":
            headers[name] = value
    return JSONResponse(body, status_code=status, headers=headers)


def not_configured() -> JSONResponse:
    return JSONResponse(
        {
            "error": "temporarily_unavailable",
            "error_description": "Single sign-on needs HUB_PUBLIC_URL in production.",
            "request_id": request_id_var.get(),
        },
        status_code=503,
        headers=NO_STORE,
    )


async def discovery(request: Request) -> Response:
    try:
        issuer = issuer_of(request)
    except NotConfigured:
        return not_configured()
    return JSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/sso/authorize",
            "token_endpoint": f"{issuer}/sso/token",
            "userinfo_endpoint": f"{issuer}/sso/userinfo",
            "jwks_uri": f"{issuer}/sso/jwks",
            "introspection_endpoint": f"{issuer}/sso/introspect",
            "revocation_endpoint": f"{issuer}/sso/revoke",
            "end_session_endpoint": f"{issuer}/sso/logout",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SCOPES),
            "claims_supported": CLAIMS,
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "introspection_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent"],
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": ["zh-CN"],
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


async def jwks(request: Request) -> Response:
    return JSONResponse(
        hub_state(request).sso.keys.jwks(), headers={"Cache-Control": "public, max-age=300"}
    )


async def _caller(
    state: HubState, request: Request, form: dict[str, str], *, public_ok: bool
) -> token.Caller:
    basic = basic_credentials(request)
    secret: str | None
    if basic is not None:
        if "client_secret" in form:
            raise InvalidRequestError(description="Use one client authentication method.")
        client_id, secret, via_header = basic[0], basic[1], True
    else:
        client_id = form.get("client_id", "")
        secret, via_header = form.get("client_secret"), False
    async with state.sessions() as session:
        caller = await token.authenticate_client(session, client_id, secret, via_header=via_header)
    if caller.is_public and not public_ok:
        raise InvalidClientError(description="A public client cannot use this endpoint.")
    return caller


Handler = Callable[[HubState, str, dict[str, str], token.Caller], Awaitable[Response]]


def client_endpoint(*, public_ok: bool) -> Callable[[Handler], Endpoint]:
    """An endpoint a client calls with its credentials: issuer, form and client are read
    first, and OAuth's errors (and an unconfigured issuer) are answered alike for all."""

    def wrap(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            state = hub_state(request)
            try:
                issuer = issuer_of(request)
                form = await form_params(request)
                caller = await _caller(state, request, form, public_ok=public_ok)
                return await handler(state, issuer, form, caller)
            except NotConfigured:
                return not_configured()
            except FormError as exc:
                return oauth_error(InvalidRequestError(description=str(exc)))
            except OAuth2Error as exc:
                return oauth_error(exc)

        return endpoint

    return wrap


def _token_param(form: dict[str, str]) -> str:
    presented = form.get("token")
    if not presented:
        raise InvalidRequestError(description="token is required.")
    return presented


@client_endpoint(public_ok=True)
async def token_endpoint(
    state: HubState, issuer: str, form: dict[str, str], caller: token.Caller
) -> Response:
    grant = form.get("grant_type")
    if grant == "authorization_code":
        answer = await token.exchange_code(
            factory=state.sessions,
            runtime=state.sso,
            caller=caller,
            engine=state.engine,
            identity=state.identity,
            issuer=issuer,
            code=form.get("code", ""),
            redirect_uri=form.get("redirect_uri"),
            verifier=form.get("code_verifier"),
            request_id=request_id_var.get(),
        )
    elif grant == "refresh_token":
        answer = await token.refresh_grant(
            factory=state.sessions,
            runtime=state.sso,
            caller=caller,
            engine=state.engine,
            identity=state.identity,
            issuer=issuer,
            refresh_token=form.get("refresh_token", ""),
        )
    elif grant == "client_credentials":
        answer = await token.client_credentials(
            factory=state.sessions,
            runtime=state.sso,
            caller=caller,
            issuer=issuer,
            scope=form.get("scope"),
            request_id=request_id_var.get(),
        )
    elif not grant:
        raise InvalidRequestError(description="grant_type is required.")
    else:
        raise UnsupportedGrantTypeError(printable(grant)[:40])
    return JSONResponse(answer, headers=NO_STORE)


@client_endpoint(public_ok=False)
async def introspection_endpoint(
    state: HubState, issuer: str, form: dict[str, str], caller: token.Caller
) -> Response:
    answer = await resource.introspect(
        engine=state.identity.engine_for_checks(state.engine),
        runtime=state.sso,
        identity=state.identity,
        issuer=issuer,
        caller=caller,
        token=_token_param(form),
    )
    return JSONResponse(answer, headers=NO_STORE)


@client_endpoint(public_ok=True)
async def revocation_endpoint(
    state: HubState, issuer: str, form: dict[str, str], caller: token.Caller
) -> Response:
    await resource.revoke_token(
        factory=state.sessions,
        runtime=state.sso,
        issuer=issuer,
        caller=caller,
        token=_token_param(form),
    )
    return Response(status_code=200, headers=NO_STORE)


def _invalid_token(description: str) -> Response:
    return JSONResponse(
        {"error": "invalid_token", "error_description": description,
         "request_id": request_id_var.get()},
        status_code=401,
        headers={**NO_STORE, "WWW-Authenticate": f'Bearer error="invalid_token", '
                 f'error_description="{description}"'},
    )  # fmt: skip


async def userinfo_endpoint(request: Request) -> Response:
    state = hub_state(request)
    try:
        issuer = issuer_of(request)
    except NotConfigured:
        return not_configured()
    presented = bearer_token(request)
    if presented is None and request.method == "POST":
        try:
            presented = (await form_params(request)).get("access_token")
        except FormError as exc:
            return oauth_error(InvalidRequestError(description=str(exc)))
    if not presented:
        return JSONResponse(
            {"error": "invalid_request", "request_id": request_id_var.get()},
            status_code=401,
            headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="hub"'},
        )
    claims = await resource.userinfo(
        engine=state.identity.engine_for_checks(state.engine),
        runtime=state.sso,
        identity=state.identity,
        issuer=issuer,
        token=presented,
    )
    if claims is None:
        return _invalid_token("The access token is not valid, or its session has ended.")
    return JSONResponse(claims, headers=NO_STORE)
