"""A round of elicitation and the states it moves through."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elicit.db import Base, UTCDateTime, checked_enum, utcnow

if TYPE_CHECKING:
    from elicit.studies.models import Study


class RoundState(enum.StrEnum):
    """Where a round is in its life: prepared, taking answers, or finished."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Round(Base):
    """Round ``number`` of a study. State changes go through :mod:`elicit.rounds.services` only."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.UniqueConstraint("study_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        # The database itself guarantees at most one open round per study.
        sa.Index(
            "ix_rounds_one_open_per_study",
            "study_id",
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(sa.ForeignKey("studies.id", ondelete="CASCADE"))
    number: Mapped[int]
    state: Mapped[RoundState] = mapped_column(
        checked_enum(RoundState, "state"), default=RoundState.DRAFT
    )
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    study: Mapped[Study] = relationship(back_populates="rounds")
    extensions: Mapped[list[RoundExtension]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )


class RoundExtension(Base):
    """More time in an open round for one expert: their own closing time, later than the round's."""

    __tablename__ = "round_extensions"
    __table_args__ = (sa.UniqueConstraint("round_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"))
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="extensions")
