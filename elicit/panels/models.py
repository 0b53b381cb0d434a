"""Experts, their contact details, and the invitation tokens they enter by.

An expert is known inside a study only by a pseudonym. Names and e-mail
addresses live in :class:`ExpertContact`, a separate table that nothing an
expert answers refers to, so exports and feedback can be built without ever
touching it. Invitation tokens are kept only as SHA-256 hashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elicit.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from elicit.studies.models import Study


class Expert(Base):
    """A panel member of one study, known by a study-scoped pseudonym.

    ``panel_group`` is an optional label ("NATO member state official") the
    facilitator uses to see response rates by group; it is empty for none.
    """

    __tablename__ = "experts"
    __table_args__ = (sa.UniqueConstraint("study_id", "pseudonym"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(sa.ForeignKey("studies.id", ondelete="CASCADE"))
    pseudonym: Mapped[str] = mapped_column(sa.String(40))
    panel_group: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    study: Mapped[Study] = relationship(back_populates="experts")
    contact: Mapped[ExpertContact | None] = relationship(
        back_populates="expert", cascade="all, delete-orphan"
    )
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="expert", cascade="all, delete-orphan"
    )


class ExpertContact(Base):
    """How to reach an expert; seen by facilitators only, never joined into answers or exports."""

    __tablename__ = "expert_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(
        sa.ForeignKey("experts.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")

    expert: Mapped[Expert] = relationship(back_populates="contact")


class Invitation(Base):
    """A link token that lets one expert in. Only the token's SHA-256 is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    expert: Mapped[Expert] = relationship(back_populates="invitations")
