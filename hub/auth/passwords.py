"""Argon2id password hashing, off the event loop.

Verifying costs tens of milliseconds of CPU by design; it runs in a worker thread (argon2's
C code releases the GIL) so that one sign-in never stalls the other requests of a worker.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hub.settings import Settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


class Passwords:
    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """Constant work whether or not there is a hash: unknown logins and staff without a
        password verify against a dummy, so timing does not tell which logins exist. The
        dummy is made in the worker thread too, never on the event loop."""
        return await asyncio.to_thread(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        target = stored_hash if stored_hash else self._dummy_hash()
        try:
            ok = self._hasher.verify(target, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return bool(ok) and bool(stored_hash)

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy


def demo_password_hash(settings: Settings) -> str | None:
    """The hash seeded staff share in development and test; ``None`` in production, where
    seeded accounts get no password at all and cannot sign in."""
    demo = settings.demo_password_value
    if demo is None:
        return None
    return Passwords.from_settings(settings).hash(demo)


def check_password_strength(password: str) -> str | None:
    """A message saying what is wrong with a new password, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password has at most {MAX_PASSWORD_LENGTH} characters."
    return None
