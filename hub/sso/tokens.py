"""The JWTs hub signs for relying parties (joserfc, RS256): ID tokens, access tokens
(RFC 9068 shape, ``typ: at+jwt``) and back-channel logout tokens; and reading hub's own
access tokens and ID-token hints back.

An access token names the relying party's session (``rsid``); whoever presents it at
userinfo or introspection is answered from that session's check, never from the token's
claims alone. A relying party that verifies tokens itself against the key set may lag a
departure by up to the token's lifetime (``sso_access_token_minutes``, at most 5); one that
must not lag at all introspects.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from hub.sso.keys import ALGORITHM, KeyStore

MAX_TOKEN_CHARS = 4096
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS = 120


def _sign(keys: KeyStore, claims: dict[str, Any], typ: str) -> str:
    key = keys.signing_key
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def sign_id_token(keys: KeyStore, claims: dict[str, Any]) -> str:
    return _sign(keys, claims, "JWT")


def sign_access_token(keys: KeyStore, claims: dict[str, Any]) -> str:
    return _sign(keys, claims, "at+jwt")


def sign_logout_token(
    keys: KeyStore, *, issuer: str, client_id: str, subject: str, sid: str
) -> str:
    """OIDC Back-Channel Logout 1.0 §2.4: iss, aud, iat, exp, jti, sub, sid, events; no nonce."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(16),
        "sub": subject,
        "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    return _sign(keys, claims, "logout+jwt")


@dataclass(frozen=True, slots=True)
class AccessToken:
    """What hub reads back from one of its access tokens."""

    claims: dict[str, Any]

    @property
    def client_id(self) -> str:
        return str(self.claims.get("client_id", ""))

    @property
    def session_id(self) -> str | None:
        value = self.claims.get("rsid")
        return value if isinstance(value, str) else None

    @property
    def expires_at(self) -> int:
        value = self.claims.get("exp")
        return value if isinstance(value, int) else 0


class _Verified:
    """Tokens whose signature verified lately (bounded; only verified ones are kept, so a
    caller cannot fill it with garbage). Expiry is checked on every use."""

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def get(self, token: str) -> dict[str, Any] | None:
        found = self._entries.get(token)
        if found is not None:
            self._entries.move_to_end(token)
        return found

    def put(self, token: str, claims: dict[str, Any]) -> None:
        self._entries[token] = claims
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


_VERIFIED = _Verified()


def _verified_claims(keys: KeyStore, token: str, typ: str) -> dict[str, Any] | None:
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    cached = _VERIFIED.get(token)
    if cached is not None:
        return cached
    try:
        decoded = jwt.decode(token, keys.verifying_keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError):
        return None
    if decoded.header.get("typ") != typ:
        return None  # an ID token is not an access token, and the other way round
    _VERIFIED.put(token, decoded.claims)
    return decoded.claims


def read_access_token(keys: KeyStore, issuer: str, token: str) -> AccessToken | None:
    """One of hub's unexpired access tokens, or None for anything else."""
    claims = _verified_claims(keys, token, "at+jwt")
    if claims is None or claims.get("iss") != issuer:
        return None
    access = AccessToken(claims)
    if access.expires_at <= time.time():
        return None
    return access


def read_id_token_hint(keys: KeyStore, issuer: str, token: str) -> dict[str, Any] | None:
    """An ID token hub issued, expired or not (RP-initiated logout accepts expired hints)."""
    claims = _verified_claims(keys, token, "JWT")
    if claims is None or claims.get("iss") != issuer:
        return None
    return claims
