"""Staff users, who log in with a password, and the studies shared with them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elicit.db import Base, UTCDateTime, checked_enum, utcnow


class Role(enum.StrEnum):
    """What a staff user may do: admins manage users, facilitators run studies, analysts read."""

    ADMIN = "admin"
    FACILITATOR = "facilitator"
    ANALYST = "analyst"


class StudyRole(enum.StrEnum):
    """What another staff member may do in a study its owner shared with them."""

    CO_FACILITATOR = "co_facilitator"
    """Everything the owner can, except sharing and archiving."""
    ANALYST = "analyst"
    """Look at the study and its results; change nothing."""


class User(UserMixin, Base):
    """A staff member. Experts are not users: they enter through invitation links."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(checked_enum(Role, "role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(32))
    """The base-32 secret of the user's authenticator app; ``None`` without two-factor login."""
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    """The 30-second step of the last code accepted, so no code is accepted twice."""
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.String(32))
    """A secret shown for setting up an app, until its first code confirms it.

    It is kept here rather than in the session cookie, which is signed but
    readable by whoever holds it.
    """
    totp_pending_key: Mapped[str | None] = mapped_column(sa.String(64))
    """The SHA-256 of the random key the browser setting up :attr:`totp_pending_secret` holds.

    Only that browser is shown the secret and may confirm it: another session
    gets a secret of its own, which replaces this one.
    """

    @property
    def is_active(self) -> bool:
        """Tell Flask-Login whether this account may log in."""
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"


class StudyMember(Base):
    """A staff member the owner shared a study with, and in which role.

    It lives with the accounts, not the studies, so that the one access module
    (:mod:`elicit.accounts.access`) can decide who may do what in a study
    without importing the study domain.
    """

    __tablename__ = "study_members"
    __table_args__ = (sa.UniqueConstraint("study_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(sa.ForeignKey("studies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[StudyRole] = mapped_column(checked_enum(StudyRole, "study_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class LoginSession(Base):
    """A browser's session held on the server: a staff login or an expert's entry by link.

    The cookie carries a random session id; only its SHA-256 (``id``) is kept
    here, so a copy of the database lets nobody into a session. A request whose
    cookie names no row (the session was ended: logout, "Leave", the account
    deactivated or its password reset) gets nothing from that cookie, however
    it was copied. Exactly one of ``user_id`` and ``expert_id`` is set.
    """

    __tablename__ = "login_sessions"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (expert_id IS NULL)", name="one_user_or_expert"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("experts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PasswordReset(Base):
    """A password-reset link sent to a staff user: single use, short-lived.

    Only the SHA-256 of its token is kept (``token_hash``), as for invitation
    links; ``used_at`` is set when it was used, or made void by another
    reset of the same account.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins of one e-mail address, when they are not counted in Redis.

    ``key`` is the SHA-256 of the address (see :mod:`elicit.accounts.throttle`).
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
