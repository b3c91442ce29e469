"""argon2id password hashes (argon2-cffi's defaults, RFC 9106's second recommended profile)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, time_cost 3, 64 MiB


MIN_LENGTH = 10


def hash_password(password: str) -> str:
    from pilotage.errors import PilotageError

    if len(password) < MIN_LENGTH:
        raise PilotageError(f"password too short: at least {MIN_LENGTH} characters")
    return _hasher().hash(password)


@lru_cache(1)
def _dummy() -> str:
    return _hasher().hash("not a real password, only here to spend the same time")


def verify(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user costs the same time (no user enumeration)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
