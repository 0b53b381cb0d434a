"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    """Return an Argon2id hash of ``password``; raise ``ValueError`` if it is too short."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """Return a hash to verify against when no user matches, made once, on first use.

    Checking a password against it keeps a wrong e-mail address as slow as a
    wrong password, so response times do not reveal which accounts exist. It is
    made on the first login, not while the app starts, so starting stays fast.
    """
    return _hasher.hash("elicit: no such user")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash``; ``None`` (no such user) never does."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether ``password_hash`` was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
