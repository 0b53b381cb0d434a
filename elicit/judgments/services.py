"""Recording an expert's judgment: the rules every answer must meet, in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Question, QuestionKind, Scale


@dataclass
class Answer:
    """What an expert gives for one question, before it is checked and stored.

    ``probability`` is the answer of a ``binary`` question and the best
    estimate of a ``binary_interval`` one (with ``lower`` and ``upper``);
    ``quantile_values`` answers a ``quantity`` question, one value per level.
    """

    probability: float | None = None
    lower: float | None = None
    upper: float | None = None
    quantile_values: list[float] | None = None
    confidence: int | None = None
    rationale: str = ""


class AnswerErrors(DomainError):
    """The answer broke one or more rules; ``fields`` maps each field to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(
            "invalid_answer", "; ".join(f"{name}: {text}" for name, text in fields.items())
        )
        self.fields = fields


RATIONALE_MAX = 10_000


def _check_probability(
    errors: dict[str, str], name: str, value: float | None, allow_certainty: bool
) -> None:
    """Record an error if ``value`` is missing, not finite or outside the allowed range."""
    if value is None:
        errors[name] = "is required"
    elif not math.isfinite(value):
        errors[name] = "must be a number"
    elif allow_certainty and not 0 <= value <= 1:
        errors[name] = "must be between 0 % and 100 %"
    elif not allow_certainty and not 0 < value < 1:
        errors[name] = "must be above 0 % and below 100 % (certainty is not allowed here)"


def check_answer(question: Question, answer: Answer) -> dict[str, str]:
    """Return every rule ``answer`` breaks for ``question``, by field (empty if none)."""
    errors: dict[str, str] = {}
    if question.kind is QuestionKind.BINARY:
        _check_probability(errors, "probability", answer.probability, question.allow_certainty)
    elif question.kind is QuestionKind.BINARY_INTERVAL:
        for name in ("lower", "probability", "upper"):
            _check_probability(errors, name, getattr(answer, name), question.allow_certainty)
        if not errors and not answer.lower <= answer.probability <= answer.upper:
            errors["probability"] = "lower <= best <= upper is required"
    else:
        values = answer.quantile_values or []
        levels = question.quantiles or []
        if len(values) != len(levels):
            errors["quantile_values"] = f"give one value for each of {len(levels)} quantiles"
        elif not all(math.isfinite(v) for v in values):
            errors["quantile_values"] = "every quantile must be a number"
        elif any(b <= a for a, b in zip(values, values[1:], strict=False)):
            errors["quantile_values"] = "quantiles must strictly increase"
        elif question.lower_bound is not None and values[0] < question.lower_bound:
            errors["quantile_values"] = f"values must not be below {question.lower_bound:g}"
        elif question.upper_bound is not None and values[-1] > question.upper_bound:
            errors["quantile_values"] = f"values must not be above {question.upper_bound:g}"
        elif question.scale is Scale.LOG and values[0] <= 0:
            errors["quantile_values"] = "values must be positive on a log scale"
    if answer.confidence is not None and not 1 <= answer.confidence <= 5:
        errors["confidence"] = "must be from 1 to 5"
    if len(answer.rationale) > RATIONALE_MAX:
        errors["rationale"] = f"must be at most {RATIONALE_MAX} characters"
    return errors


def record_judgment(
    session: Session, expert: Expert, question: Question, round_: Round, answer: Answer
) -> Judgment:
    """Store ``answer`` as ``expert``'s judgment of ``question`` in ``round_``.

    The round must be open and belong to the expert's study, as must the
    question. A second answer to the same question in the same round replaces
    the values and raises the revision counter; it never adds a row.

    Raises
    ------
    DomainError
        If the round is not open or the question, round and expert do not belong together.
    AnswerErrors
        If the values break a rule of the question's kind.
    """
    if round_.state is not RoundState.OPEN:
        raise DomainError(
            "round_not_open", f"round {round_.number} is {round_.state.value}; answers are closed"
        )
    if not expert.study_id == question.study_id == round_.study_id:
        raise DomainError("wrong_study", "the question and round are not in this expert's study")
    errors = check_answer(question, answer)
    if errors:
        raise AnswerErrors(errors)
    judgment = session.scalar(
        sa.select(Judgment).where(
            Judgment.expert_id == expert.id,
            Judgment.question_id == question.id,
            Judgment.round_id == round_.id,
        )
    )
    if judgment is None:
        judgment = Judgment(expert=expert, question=question, round=round_, revision=1)
        session.add(judgment)
    else:
        judgment.revision += 1
        judgment.updated_at = utcnow()
    judgment.probability = answer.probability
    judgment.lower = answer.lower
    judgment.upper = answer.upper
    judgment.quantile_values = (
        [float(v) for v in answer.quantile_values] if answer.quantile_values else None
    )
    judgment.confidence = answer.confidence
    judgment.rationale = answer.rationale.strip()
    session.flush()
    return judgment
