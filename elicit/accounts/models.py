"""The staff user: someone who logs in with a password to run or analyse studies."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from elicit.db import Base, UTCDateTime, checked_enum, utcnow


class Role(enum.StrEnum):
    """What a staff user may do: admins manage users, facilitators run studies, analysts read."""

    ADMIN = "admin"
    FACILITATOR = "facilitator"
    ANALYST = "analyst"


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

    @property
    def is_active(self) -> bool:
        """Tell Flask-Login whether this account may log in."""
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"
