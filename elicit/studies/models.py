"""Studies, the questions they ask, the documents those cite, and how questions resolved."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elicit.db import Base, UTCDateTime, checked_enum, utcnow

if TYPE_CHECKING:
    from elicit.accounts.models import StudyMember, User
    from elicit.panels.models import Expert
    from elicit.rounds.models import Round


class QuestionKind(enum.StrEnum):
    """How an expert answers a question."""

    BINARY = "binary"
    """One probability that the event happens."""
    BINARY_INTERVAL = "binary_interval"
    """Lowest plausible, best and highest plausible probability (IDEA's three points)."""
    QUANTITY = "quantity"
    """Quantiles (e.g. 5th, 50th, 95th) of an uncertain number."""


class Scale(enum.StrEnum):
    """The scale a quantity is elicited and pooled on."""

    LINEAR = "linear"
    LOG = "log"


class Anonymity(enum.StrEnum):
    """Who may link an expert's identity to their answers (experts never see each other's).

    Fixed when round 1 opens and shown to experts before they consent.
    Analysts and exports only ever get the study's pseudonyms, whichever is chosen.
    """

    QUASI_ANONYMOUS = "quasi_anonymous"
    """The study's facilitators can see who gave which answer."""
    ANONYMOUS_TO_STAFF = "anonymous_to_staff"
    """Facilitators see each expert's progress, but no page links an identity to an answer."""


class Outcome(enum.StrEnum):
    """How a binary question resolved. ``annulled`` means it will never be scored."""

    YES = "yes"
    NO = "no"
    ANNULLED = "annulled"


class Study(Base):
    """A Delphi study: a panel of experts answering a set of questions over several rounds.

    ``description`` is the introduction experts read before they consent.
    Feedback settings: the panel's previous-round answers to a question are
    shown only if at least ``feedback_min_answers`` experts gave one, and, with
    ``hide_feedback_until_answered``, only once the expert has saved a first
    answer to it in the current round (so the group cannot anchor it).

    ``anonymity`` is the study's :class:`Anonymity` model; ``time_zone`` (an
    IANA name) is where its deadlines are shown to staff. With
    ``prefill_previous_answers`` a new round's form starts from the expert's
    answer in the round before. Other experts' answers are shown under letters
    fresh for every question, or, with ``feedback_labels_per_round``, one
    letter per expert for a whole round (see :mod:`elicit.feedback.services`).
    An archived study
    (``archived_at`` set) is kept whole and read-only: studies are never deleted.

    ``questions_version`` is given a new random value by the database itself
    (triggers of migration 0015) whenever a row of the study's questions,
    their resolutions or their settled rules is inserted, changed or deleted,
    by any client: what a round asks can be kept while it is unchanged
    (:func:`elicit.rounds.services.asked_questions`). Random, so that a
    database restored or built again never repeats a version with other
    questions; 0 only while the study has never had a question.
    """

    __tablename__ = "studies"
    __table_args__ = (
        sa.CheckConstraint("feedback_min_answers >= 1", name="feedback_min_answers_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    feedback_min_answers: Mapped[int] = mapped_column(default=3, server_default="3")
    hide_feedback_until_answered: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )
    anonymity: Mapped[Anonymity] = mapped_column(
        checked_enum(Anonymity, "anonymity"),
        default=Anonymity.QUASI_ANONYMOUS,
        server_default=Anonymity.QUASI_ANONYMOUS.value,
    )
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prefill_previous_answers: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    analysts_see_live_pools: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    feedback_labels_per_round: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )
    questions_version: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()
    members: Mapped[list[StudyMember]] = relationship(
        order_by="StudyMember.created_at", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="study", order_by="Question.position", cascade="all, delete-orphan"
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="study", order_by="Round.number", cascade="all, delete-orphan"
    )
    experts: Mapped[list[Expert]] = relationship(
        back_populates="study", order_by="Expert.pseudonym", cascade="all, delete-orphan"
    )


class Source(Base):
    """A cited document. Only its citation and the SHA-256 of its text are kept, never the text."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    author: Mapped[str] = mapped_column(sa.String(200))
    publisher: Mapped[str] = mapped_column(sa.String(200))
    published: Mapped[date]
    url: Mapped[str] = mapped_column(sa.String(500))
    sha256: Mapped[str] = mapped_column(sa.String(64))


class Question(Base):
    """One forecasting or calibration question of a study.

    Kind-specific columns: ``allow_certainty`` for the binary kinds; ``unit``,
    ``quantiles``, ``lower_bound``, ``upper_bound`` and ``scale`` for
    quantities. ``realization`` is the known answer of a calibration (seed)
    question; experts are never shown it.

    ``first_round`` is the number of the first round that asks the question:
    1 for a question the study started with, later for a corrected question
    added once rounds had opened. A question whose first round has opened can
    no longer be edited, only withdrawn: ``withdrawn_at`` and
    ``withdrawn_reason`` say when and why. A withdrawn question keeps its
    answers but is asked in no round from then on.
    """

    __tablename__ = "questions"
    __table_args__ = (
        sa.UniqueConstraint("study_id", "key"),
        sa.CheckConstraint("close_date <= resolve_by", name="dates_in_order"),
        sa.CheckConstraint(
            "lower_bound IS NULL OR upper_bound IS NULL OR lower_bound < upper_bound",
            name="bounds_in_order",
        ),
        sa.CheckConstraint("first_round >= 1", name="first_round_positive"),
        sa.CheckConstraint(
            "(withdrawn_at IS NULL) = (withdrawn_reason IS NULL)", name="withdrawn_with_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(sa.ForeignKey("studies.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int]
    question_set: Mapped[str] = mapped_column(sa.String(80))
    section: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[QuestionKind] = mapped_column(checked_enum(QuestionKind, "kind"))
    title: Mapped[str] = mapped_column(sa.Text)
    background: Mapped[str] = mapped_column(sa.Text, default="")
    resolution_criterion: Mapped[str] = mapped_column(sa.Text)
    resolution_source: Mapped[str] = mapped_column(sa.Text)
    close_date: Mapped[date]
    resolve_by: Mapped[date]
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("sources.id"))
    quote: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    calibration: Mapped[bool] = mapped_column(default=False)
    realization: Mapped[float | None]
    allow_certainty: Mapped[bool] = mapped_column(default=False)
    unit: Mapped[str | None] = mapped_column(sa.String(80))
    quantiles: Mapped[list[float] | None] = mapped_column(sa.JSON)
    lower_bound: Mapped[float | None]
    upper_bound: Mapped[float | None]
    scale: Mapped[Scale | None] = mapped_column(checked_enum(Scale, "scale"))
    first_round: Mapped[int] = mapped_column(default=1, server_default="1")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    study: Mapped[Study] = relationship(back_populates="questions")
    source: Mapped[Source] = relationship()
    resolution: Mapped[Resolution | None] = relationship(
        back_populates="question", cascade="all, delete-orphan"
    )

    @property
    def central_quantile(self) -> int:
        """Index of the quantile standing for a quantity answer: the median, or the middle one."""
        levels = self.quantiles or []
        return levels.index(0.5) if 0.5 in levels else len(levels) // 2

    @property
    def is_binary(self) -> bool:
        """Whether the answer is a probability (``binary`` or ``binary_interval``)."""
        return self.kind is not QuestionKind.QUANTITY


class Resolution(Base):
    """How a question turned out: an outcome for binary kinds, a value for quantities."""

    __tablename__ = "resolutions"
    __table_args__ = (
        sa.CheckConstraint("(outcome IS NULL) <> (value IS NULL)", name="outcome_or_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[Outcome | None] = mapped_column(checked_enum(Outcome, "outcome"))
    value: Mapped[float | None]
    source: Mapped[str] = mapped_column(sa.Text)
    resolved_on: Mapped[date]
    resolved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="resolution")
    resolved_by: Mapped[User] = relationship()
