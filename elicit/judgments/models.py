"""Judgments: an expert's answers, every revision of them, and the drafts typed before them.

Three tables, so nothing an expert enters is ever lost or overwritten:

- ``judgments``: the answer that counts now, one per (expert, question, round);
- ``judgment_revisions``: every version ever recorded, never changed afterwards;
- ``judgment_drafts``: what the expert has typed but not submitted, kept as the
  raw text of each field, so even an answer that breaks a rule survives a
  reload, a closed tab or an expired session.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elicit.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from elicit.panels.models import Expert
    from elicit.rounds.models import Round
    from elicit.studies.models import Question


class AnswerValues:
    """The values of an answer, shared by a judgment and each of its kept revisions.

    Which are used depends on the question's kind: ``probability`` for
    ``binary``; ``lower``, ``probability`` (the best estimate) and ``upper`` for
    ``binary_interval``; ``quantile_values`` (one per level in
    ``Question.quantiles``) for ``quantity``.
    """

    probability: Mapped[float | None]
    lower: Mapped[float | None]
    upper: Mapped[float | None]
    quantile_values: Mapped[list[float] | None] = mapped_column(sa.JSON)
    confidence: Mapped[int | None]
    rationale: Mapped[str] = mapped_column(sa.Text, default="")


class Judgment(AnswerValues, Base):
    """An expert's recorded answer; at most one per (expert, question, round).

    ``revision`` counts how many times
    the expert changed the answer within the round; each version is also kept
    in :class:`JudgmentRevision`. A facilitator can hide the rationale from the
    panel's feedback (``rationale_hidden``); the answer itself still counts.

    ``rationale_votes`` holds the votes other panel members gave the parts of
    the rationale, where an imported study records them (the repliCATS
    justifications): a list of ``{"part": name, "count": n, "sum": total}``, one
    per voted part, ``count`` the votes and ``sum`` their total (an up-vote
    counts 1, a down-vote -1); None where no votes were recorded. Like the
    hidden flag, the votes are the panel's reaction, not the expert's answer,
    so revisions do not keep them.
    """

    __tablename__ = "judgments"
    __table_args__ = (
        sa.UniqueConstraint("expert_id", "question_id", "round_id"),
        sa.CheckConstraint(
            "probability IS NULL OR (probability >= 0 AND probability <= 1)",
            name="probability_range",
        ),
        sa.CheckConstraint(
            "lower IS NULL OR probability IS NULL OR upper IS NULL "
            "OR (lower <= probability AND probability <= upper)",
            name="interval_order",
        ),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 1 AND confidence <= 5)",
            name="confidence_range",
        ),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    rationale_hidden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    rationale_votes: Mapped[list[dict] | None] = mapped_column(sa.JSON(none_as_null=True))
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    expert: Mapped[Expert] = relationship()
    question: Mapped[Question] = relationship()
    round: Mapped[Round] = relationship()
    revisions: Mapped[list[JudgmentRevision]] = relationship(
        back_populates="judgment",
        order_by="JudgmentRevision.revision",
        cascade="all, delete-orphan",
    )


class JudgmentRevision(AnswerValues, Base):
    """One recorded version of a judgment; written once, never updated."""

    __tablename__ = "judgment_revisions"
    __table_args__ = (
        sa.UniqueConstraint("judgment_id", "revision"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    judgment_id: Mapped[int] = mapped_column(sa.ForeignKey("judgments.id", ondelete="CASCADE"))
    revision: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    judgment: Mapped[Judgment] = relationship(back_populates="revisions")


class JudgmentDraft(Base):
    """What an expert has typed for a question in a round but not yet submitted.

    ``fields`` holds the raw text of every input (``probability``, ``lower``,
    ``upper``, ``quantile_values`` as a list, ``confidence``, ``rationale``),
    exactly as typed, valid or not.
    """

    __tablename__ = "judgment_drafts"
    __table_args__ = (sa.UniqueConstraint("expert_id", "question_id", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    fields: Mapped[dict] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
