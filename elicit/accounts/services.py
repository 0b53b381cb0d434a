"""Staff accounts: creating them, checking their passwords, deactivating them, changing roles.

Refusals are :class:`DomainError` with a message marked for translation: the
staff page shows them beside the field, ``elicit users`` prints them (in
English, outside a request).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import Role, User
from elicit.accounts.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from elicit.accounts.sessions import end_all_of_user
from elicit.errors import DomainError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """Return ``email`` trimmed and lower-cased, the form it is stored and looked up in."""
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address, or ``None``."""
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def new_password_hash(password: str) -> str:
    """Hash a new ``password``; :class:`DomainError` ``weak_password`` if it is too short."""
    try:
        return hash_password(password)
    except ValueError:
        raise DomainError(
            "weak_password",
            gettext("a password needs at least %(count)s characters", count=MIN_LENGTH),
        ) from None


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
        raise DomainError(
            "invalid_email", gettext("%(email)s is not an e-mail address", email=repr(email))
        )
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise DomainError(
            "invalid_role",
            gettext("role must be one of %(choices)s, not %(role)s", choices=choices, role=role),
        ) from None
    if not name.strip() or len(name.strip()) > 120:
        raise DomainError("invalid_name", gettext("a name of 1 to 120 characters is required"))
    if find_user(session, email) is not None:
        raise DomainError(
            "duplicate_user", gettext("a user with e-mail %(email)s already exists", email=email)
        )
    password_hash = new_password_hash(password)
    user = User(email=email, name=name.strip(), role=role, password_hash=password_hash)
    session.add(user)
    session.flush()
    audit.record(
        session, "user.create", actor=actor, target_user=user, details={"role": role.value}
    )
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


def _refuse_losing_the_last_admin(session: Session, user: User) -> None:
    """Refuse to take the last active admin away: nobody could manage accounts any more."""
    if user.role is not Role.ADMIN or not user.active:
        return
    others = session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active, User.id != user.id)
    )
    if not others:
        raise DomainError(
            "last_admin",
            gettext(
                "%(email)s is the only active admin; make another admin first", email=user.email
            ),
        )


def set_active(session: Session, user: User, active: bool, *, actor: User | None = None) -> None:
    """Deactivate ``user`` (``active=False``) or reactivate them; a no-op records nothing.

    A deactivated user cannot log in, and every session they have is ended at
    once (see :mod:`elicit.accounts.sessions`).

    Raises
    ------
    DomainError
        ``own_account`` for an admin deactivating themselves, ``last_admin``
        to deactivate the only active admin.
    """
    if user.active == active:
        return
    if not active:
        if actor is not None and actor.id == user.id:
            raise DomainError("own_account", gettext("you cannot deactivate your own account"))
        _refuse_losing_the_last_admin(session, user)
    user.active = active
    if not active:
        end_all_of_user(session, user.id)
    session.flush()
    audit.record(
        session,
        "user.activate" if active else "user.deactivate",
        actor=actor,
        study_id=None,
        target_user=user,
        details={"before": {"active": not active}, "after": {"active": active}},
    )


def set_role(session: Session, user: User, role: Role | str, *, actor: User | None = None) -> None:
    """Give ``user`` another staff role; the same role again records nothing.

    Raises
    ------
    DomainError
        ``invalid_role`` for a role that does not exist, ``own_account`` for an
        admin changing their own role, ``last_admin`` to take the role from the
        only active admin.
    """
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise DomainError(
            "invalid_role",
            gettext("role must be one of %(choices)s, not %(role)s", choices=choices, role=role),
        ) from None
    if user.role is role:
        return
    if actor is not None and actor.id == user.id:
        raise DomainError("own_account", gettext("you cannot change your own role"))
    _refuse_losing_the_last_admin(session, user)
    before = user.role
    user.role = role
    session.flush()
    audit.record(
        session,
        "user.role",
        actor=actor,
        study_id=None,
        target_user=user,
        details={"before": {"role": before.value}, "after": {"role": role.value}},
    )


def staff(session: Session) -> list[User]:
    """Return every staff account, active ones first, then by name and e-mail."""
    return list(
        session.scalars(sa.select(User).order_by(User.active.desc(), User.name, User.email))
    )
