"""Pre-registered stopping rules and the questions they settled (see :mod:`elicit.stopping`)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elicit.db import Base, UTCDateTime, checked_enum, utcnow
from elicit.studies.models import Question


class RuleKind(enum.StrEnum):
    """The statistics a stopping rule can test (see the module docstring)."""

    IQR = "iqr"
    CV = "cv"
    SHARE_WITHIN = "share_within"
    WILCOXON = "wilcoxon"
    MEAN_CHANGE = "mean_change"

    @property
    def needs_previous_round(self) -> bool:
        """Whether the rule compares a round with the one before (a stability rule)."""
        return self in (RuleKind.WILCOXON, RuleKind.MEAN_CHANGE)

    @property
    def in_question_units(self) -> bool:
        """Whether the threshold (or band) is on the answers' own scale."""
        return self in (RuleKind.IQR, RuleKind.MEAN_CHANGE, RuleKind.SHARE_WITHIN)


class StoppingRule(Base):
    """One pre-registered rule for one question: ``kind`` compared with ``threshold``.

    ``band`` is only for ``share_within``; thresholds and bands on the
    answers' scale are stored as fractions for probabilities (0.05 = 5 pp).
    """

    __tablename__ = "stopping_rules"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "kind"),
        sa.CheckConstraint("threshold >= 0", name="threshold_not_negative"),
        sa.CheckConstraint(
            "(kind = 'share_within') = (band IS NOT NULL)", name="band_only_for_share"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(sa.ForeignKey("studies.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RuleKind] = mapped_column(checked_enum(RuleKind, "kind"))
    threshold: Mapped[float]
    band: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship()


class SettledQuestion(Base):
    """A question the facilitator left out of later rounds because its rules were met.

    ``round_number`` is the closed round whose answers met the rules; rounds
    after it no longer ask the question (:func:`elicit.rounds.services.round_questions`).
    """

    __tablename__ = "settled_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), unique=True
    )
    round_number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
