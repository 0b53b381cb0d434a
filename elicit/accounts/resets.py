"""Password reset by e-mail: single-use, short-lived links whose tokens are stored only hashed.

:func:`issue_reset` makes a token for an account (the mail package writes it
into an outbox message, :func:`elicit.mail.outbox.send_password_reset`);
:func:`reset_password` sets the new password once, then the token is spent.
Setting it voids the account's other reset links and ends all its sessions,
so whoever held the old password, or a session opened with it, is out.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import PasswordReset, User
from elicit.accounts.services import new_password_hash
from elicit.accounts.sessions import end_all_of_user
from elicit.db import utcnow
from elicit.errors import DomainError

RESET_LIFETIME = timedelta(minutes=30)
"""How long a reset link works after it was sent."""

RESET_INTERVAL = timedelta(minutes=5)
"""At most one reset link per account in this time, so the form cannot flood a mailbox."""

RESET_PATH = "/password/reset/"
"""Where a reset link points; the sender erases such links from stored messages."""


def hash_reset_token(token: str) -> str:
    """Return the SHA-256 of a reset token, the only form it is stored in."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset(session: Session, user: User) -> str | None:
    """Make a reset token for ``user``; ``None`` if they may not have one now.

    Deactivated accounts get none, nor does an account that was sent one
    within :data:`RESET_INTERVAL`. The caller says the same thing either way.
    """
    if not user.active:
        return None
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.created_at > utcnow() - RESET_INTERVAL,
        )
    )
    if recent:
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=hash_reset_token(token),
            expires_at=utcnow() + RESET_LIFETIME,
        )
    )
    session.flush()
    audit.record(session, "user.password_reset_sent", target_user=user)
    return token


def usable_reset(session: Session, token: str) -> PasswordReset | None:
    """Return the unused, unexpired reset that ``token`` opens, or ``None``."""
    if not token or len(token) > 100:
        return None
    reset = session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == hash_reset_token(token))
    )
    if (
        reset is None
        or reset.used_at is not None
        or reset.expires_at <= utcnow()
        or not reset.user.active
    ):
        return None
    return reset


def reset_password(session: Session, token: str, password: str) -> User:
    """Give the account of reset ``token`` the new ``password``; the token is then spent.

    Raises
    ------
    DomainError
        ``invalid_reset`` for a token unknown, used, expired or of a
        deactivated account; ``weak_password`` for a password too short
        (the token stays usable).
    """
    reset = usable_reset(session, token)
    if reset is None:
        raise DomainError(
            "invalid_reset",
            gettext("This reset link has expired or was already used. Ask for a new one."),
        )
    password_hash = new_password_hash(password)
    user = reset.user
    now = utcnow()
    # Spending the token is one conditional UPDATE, so of two requests racing with one
    # token exactly one changes a row; the other is refused as a reused link.
    spent = session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        raise DomainError(
            "invalid_reset",
            gettext("This reset link has expired or was already used. Ask for a new one."),
        )
    session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user.password_hash = password_hash
    end_all_of_user(session, user.id)
    session.flush()
    session.expire(reset)
    audit.record(session, "user.password_reset", actor=user, target_user=user)
    return user
