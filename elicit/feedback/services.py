"""What an expert sees of the panel's previous round, and what facilitators may hide from it.

Feedback is built for one viewing expert at a time. Other experts appear only
under letters ("Expert C") drawn from a keyed hash of the round, the question
and the expert: fresh for every question, so two rationales under one letter
on different questions need not be one person's, and an expert's reasons
cannot be linked across the questions of a round. A study may keep one letter
per round instead (``Study.feedback_labels_per_round``), the key then leaving
the question out. Letters differ between rounds and follow neither submission
order nor database ids. Rationales are listed in an
order drawn the same way for each viewer and question; a rationale the
facilitator hid is left out (the answer still counts in the figures).
"""

from __future__ import annotations

import hashlib
import hmac
import string
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit, formatting
from elicit.accounts.models import User
from elicit.analysis.round_statistics import round_answers
from elicit.errors import DomainError
from elicit.feedback import charts
from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.studies.models import Question, QuestionKind, Scale, Study

MIN_ANSWERS_LIMIT = 100
"""Upper limit on a study's minimum number of answers for feedback (a sanity bound)."""


@dataclass(frozen=True)
class PanelAnswer:
    """One expert's previous-round answer, as another expert may see it.

    ``letter`` is the expert's letter for that question (``C``; for the whole
    round if the study keeps letters per round); ``value`` is the
    probability (or best estimate) or the quantity's median; ``low`` and
    ``high`` the ends of a range where the question asks for one.
    """

    letter: str
    value: float
    low: float | None
    high: float | None
    own: bool
    rationale: str

    @property
    def label(self) -> str:
        """The expert as the viewer sees them ("Expert C"), in the request's language."""
        return expert_label(self.letter)


@dataclass(frozen=True)
class QuestionFeedback:
    """The panel's previous-round answers to one question, for one viewer.

    When fewer than the study's minimum answered, ``shown`` is false and no
    answer, figure or rationale is carried at all.
    """

    round_number: int
    count: int
    shown: bool
    median: float | None = None
    q25: float | None = None
    q75: float | None = None
    own: PanelAnswer | None = None
    rationales: tuple[PanelAnswer, ...] = ()
    chart: charts.Chart | None = None


def _keyed(secret: bytes, *parts: object) -> bytes:
    """Hash ``parts`` with the app's secret: unpredictable without it, stable with it."""
    return hmac.new(secret, ":".join(map(str, parts)).encode(), hashlib.sha256).digest()


def letter(index: int) -> str:
    """Return the ``index``-th label: A..Z, then AA, AB, ..."""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = letters[rest] + label
    return label


def expert_label(letter: str) -> str:
    """Name an expert of the panel by their ``letter``: ``Expert C``."""
    # TRANSLATORS: an expert as the rest of the panel sees them; %(letter)s is A, B, ... AA.
    return gettext("Expert %(letter)s", letter=letter)


def round_letters(
    secret: bytes, round_: Round, expert_ids: list[int], question_id: int | None = None
) -> dict[int, str]:
    """Give each expert who answered in ``round_`` a letter (``C``).

    With ``question_id`` the letters are for that question of the round only
    (the default feedback); without it, for every question of the round.
    """
    scope = ("label", round_.id) if question_id is None else ("label", round_.id, question_id)
    order = sorted(set(expert_ids), key=lambda e: _keyed(secret, *scope, e))
    return {expert_id: letter(i) for i, expert_id in enumerate(order)}


def _letters(
    secret: bytes, round_: Round, rows: list[tuple[Question, Judgment]]
) -> dict[int | None, dict[int, str]]:
    """Letter the experts of ``rows`` per question, or under ``None`` for the whole round."""
    if round_.study.feedback_labels_per_round:
        return {None: round_letters(secret, round_, [j.expert_id for _, j in rows])}
    answered: dict[int, list[int]] = {}
    for question, judgment in rows:
        answered.setdefault(question.id, []).append(judgment.expert_id)
    return {q: round_letters(secret, round_, ids, q) for q, ids in answered.items()}


def _answer_range(question: Question, judgment: Judgment) -> tuple[float | None, float | None]:
    """Return the ends of the range an answer gives, if the question asks for one."""
    if question.kind is QuestionKind.QUANTITY:
        values = judgment.quantile_values
        return (values[0], values[-1]) if values else (None, None)
    if question.kind is QuestionKind.BINARY_INTERVAL:
        return judgment.lower, judgment.upper
    return None, None


def _chart(question: Question, answers: list[PanelAnswer], median, q25, q75) -> charts.Chart:  # noqa: ANN001
    """Choose and lay out the chart for ``question``'s answers."""
    own = next((i for i, a in enumerate(answers) if a.own), None)
    if question.kind is QuestionKind.BINARY:
        return charts.dot_plot([a.value for a in answers], own, median, (q25, q75))
    rows = []
    for answer in answers:
        if answer.low is None or answer.high is None:
            raise ValueError(f"a {question.kind} answer without its range ({answer.label})")
        rows.append((answer.low, answer.value, answer.high))
    if question.kind is QuestionKind.BINARY_INTERVAL:
        return charts.range_plot(rows, own, median, (q25, q75), domain=(0.0, 1.0), probability=True)
    return charts.range_plot(
        rows, own, median, (q25, q75), log=question.scale is Scale.LOG, unit=question.unit
    )


def round_feedback(
    session: Session, previous: Round, viewer: Expert, *, secret: bytes, min_answers: int
) -> dict[int, QuestionFeedback]:
    """Build the feedback on ``previous`` (a closed round) for ``viewer``, keyed by question id.

    The median and quartiles of the answers' central values (probability or
    median) are the facilitator's figures (:func:`~elicit.analysis.round_statistics.round_answers`).
    """
    loaded = round_answers(session, previous)
    if not loaded.rows:
        return {}
    letters = _letters(secret, previous, loaded.rows)
    per_round = None in letters

    answers: dict[int, list[PanelAnswer]] = {question_id: [] for question_id in loaded.summaries}
    questions: dict[int, Question] = {}
    for (question, judgment), value in zip(loaded.rows, loaded.values, strict=True):
        questions[question.id] = question
        low, high = _answer_range(question, judgment)
        answers[question.id].append(
            PanelAnswer(
                letter=letters[None if per_round else question.id][judgment.expert_id],
                value=float(value),
                low=low,
                high=high,
                own=judgment.expert_id == viewer.id,
                rationale="" if judgment.rationale_hidden else judgment.rationale,
            )
        )
    feedback = {}
    for question_id, summary in loaded.summaries.items():
        count = summary.answers
        if count < min_answers:
            feedback[question_id] = QuestionFeedback(previous.number, count, shown=False)
            continue
        median, q25, q75 = summary.median, summary.q25, summary.q75
        given = sorted(answers[question_id], key=lambda a: a.letter)
        rationales = sorted(
            (a for a in given if a.rationale),
            key=lambda a: _keyed(secret, "order", previous.id, viewer.id, question_id, a.letter),
        )
        feedback[question_id] = QuestionFeedback(
            round_number=previous.number,
            count=count,
            shown=True,
            median=median,
            q25=q25,
            q75=q75,
            own=next((a for a in given if a.own), None),
            rationales=tuple(rationales),
            chart=_chart(questions[question_id], given, median, q25, q75),
        )
    return feedback


def set_rationale_hidden(
    session: Session, judgment: Judgment, hidden: bool, *, actor: User | None = None
) -> None:
    """Hide ``judgment``'s rationale from the panel's feedback, or show it again."""
    if judgment.rationale_hidden != hidden:
        judgment.rationale_hidden = hidden
        session.flush()
        audit.record(
            session,
            "rationale.hide" if hidden else "rationale.show",
            actor=actor,
            study_id=judgment.round.study_id,
            target=f"{judgment.expert.pseudonym} / {judgment.question.key}",
            details={
                "round": judgment.round.number,
                "before": "shown" if hidden else "hidden",
                "after": "hidden" if hidden else "shown",
            },
        )


def update_settings(
    session: Session,
    study: Study,
    *,
    min_answers: int,
    hide_until_answered: bool,
    actor: User | None = None,
) -> None:
    """Change how ``study`` shows feedback (see :class:`~elicit.studies.models.Study`).

    The audit entry holds the settings before and after; saving the settings
    the study already has changes nothing and records nothing.

    Raises
    ------
    DomainError
        If ``min_answers`` is not between 1 and ``MIN_ANSWERS_LIMIT``.
    """
    if not 1 <= min_answers <= MIN_ANSWERS_LIMIT:
        raise DomainError(
            "invalid_min_answers",
            gettext(
                "The minimum number of answers must be from 1 to %(limit)s.",
                limit=formatting.integer(MIN_ANSWERS_LIMIT),
            ),
        )
    before = {
        "min_answers": study.feedback_min_answers,
        "hide_until_answered": study.hide_feedback_until_answered,
    }
    after = {"min_answers": min_answers, "hide_until_answered": hide_until_answered}
    if after == before:
        return
    study.feedback_min_answers = min_answers
    study.hide_feedback_until_answered = hide_until_answered
    session.flush()
    audit.record(
        session,
        "study.feedback_settings",
        actor=actor,
        study_id=study.id,
        target=study.slug,
        details={"before": before, "after": after},
    )
