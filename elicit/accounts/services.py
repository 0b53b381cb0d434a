"""Creating staff users and checking their passwords."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import Role, User
from elicit.accounts.passwords import hash_password, needs_rehash, verify_password
from elicit.errors import DomainError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """Return ``email`` trimmed and lower-cased, the form it is stored and looked up in."""
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address, or ``None``."""
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    actor: User | None = None,
) -> User:
    """Add a staff user; raise :class:`DomainError` for bad or duplicate details."""
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise DomainError("invalid_email", f"{email!r} is not an e-mail address")
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise DomainError("invalid_role", f"role must be one of {choices}, not {role!r}") from None
    if not name.strip() or len(name.strip()) > 120:
        raise DomainError("invalid_name", "a name of 1 to 120 characters is required")
    if find_user(session, email) is not None:
        raise DomainError("duplicate_user", f"a user with e-mail {email} already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as error:
        raise DomainError("weak_password", str(error)) from None
    user = User(email=email, name=name.strip(), role=role, password_hash=password_hash)
    session.add(user)
    session.flush()
    audit.record(session, "user.create", actor=actor, target=email, details={"role": role.value})
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with these credentials, or ``None`` (same cost either way).

    A hash made with outdated Argon2 parameters is upgraded on a successful login.
    """
    user = find_user(session, email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user
