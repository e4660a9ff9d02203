"""Access tokens (short-lived HS256 JWTs naming a session) and refresh tokens (random,
kept only as sha256 hashes).

An access token carries no org claims on purpose: what the bearer may do is re-read from the
database on every request, so a transfer or departure is not outlived by a token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

from hub.errors import Unauthenticated
from hub.settings import Settings

ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 1024  # ours are about 200; anything longer is not one of ours
_REQUIRED_CLAIMS = ["sid", "sub", "iat", "exp"]


@dataclass(frozen=True, slots=True)
class AccessClaims:
    session_id: str
    staff_id: int
    expires_at: int = 0


@lru_cache(maxsize=4)
def _signing_key(secret: str) -> bytes:
    """A key of its own for access tokens, derived from ``secret_key``: always 32 bytes
    (HS256 wants no less), and never the same bytes as any other use of the secret."""
    return hmac.new(secret.encode("utf-8"), b"hub/access-token/v1", hashlib.sha256).digest()


def new_session_id() -> str:
    return secrets.token_hex(16)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_access_token(
    settings: Settings, *, session_id: str, staff_id: int, now: datetime
) -> tuple[str, datetime]:
    expires_at = now + timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sid": session_id,
        "sub": str(staff_id),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    token = jwt.encode(
        claims, _signing_key(settings.secret_key.get_secret_value()), algorithm=ALGORITHM
    )
    return token, expires_at


def read_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid token; UNAUTHENTICATED (never anonymous) for anything else.

    A token is checked the same way each time it comes back, so a good signature is
    remembered (for the few thousand most recent tokens; only tokens that verified, so a
    caller cannot fill the memory with garbage); expiry is checked every time.
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthenticated("The access token is not valid.", reason="TOKEN_INVALID")
    key = _signing_key(settings.secret_key.get_secret_value())
    claims = _VERIFIED.get((key, token))
    if claims is None:
        claims = _verify(key, token)
        if claims is None:
            raise Unauthenticated("The access token is not valid.", reason="TOKEN_INVALID")
        _VERIFIED.put((key, token), claims)
    if claims.expires_at <= time.time():
        raise Unauthenticated(
            "The access token has expired; get a new one with refreshToken.",
            reason="TOKEN_EXPIRED",
        )
    return claims


class _VerifiedTokens:
    """An LRU of tokens whose signature verified; the tokens are ours, so each is small."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[bytes, str], AccessClaims] = OrderedDict()

    def get(self, key: tuple[bytes, str]) -> AccessClaims | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[bytes, str], claims: AccessClaims) -> None:
        self._entries[key] = claims
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


_VERIFIED = _VerifiedTokens(8192)
_SUBJECT = re.compile(r"[0-9]{1,18}")


def _verify(key: bytes, token: str) -> AccessClaims | None:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": _REQUIRED_CLAIMS, "verify_exp": False},
        )
    except jwt.InvalidTokenError:
        return None
    session_id, subject, expires_at = claims.get("sid"), claims.get("sub"), claims.get("exp")
    if (
        not isinstance(session_id, str)
        or not isinstance(subject, str)
        or not _SUBJECT.fullmatch(subject)
        or not isinstance(expires_at, int)
        or len(session_id) > 64
    ):
        return None
    return AccessClaims(session_id=session_id, staff_id=int(subject), expires_at=expires_at)
