"""The rules every answer must meet, in one place, and when two answers are the same.

:func:`check_answer` says what is wrong with an answer, field by field;
:func:`same_answer` tells a change from a repeat, so that sending the same
answer again (a double click, a resubmitted form) never becomes a new revision.
Recording answers is :mod:`elicit.judgments.submission`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from elicit.errors import DomainError
from elicit.judgments.models import Judgment
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
QUANTITY_LIMIT = 1e15
"""Quantities are kept below this size, so every chart and pooled figure stays finite."""
PROBABILITY_FLOOR = 0.01
"""Unless a question allows certainty, probabilities run from 1 % to 99 %."""


def _check_probability(
    errors: dict[str, str], name: str, value: float | None, allow_certainty: bool
) -> None:
    """Record an error if ``value`` is missing, not finite or outside the allowed range."""
    if value is None:
        errors[name] = "A value is required."
    elif not math.isfinite(value):
        errors[name] = "Enter a number."
    elif allow_certainty and not 0 <= value <= 1:
        errors[name] = "Give a percentage from 0 to 100."
    elif not allow_certainty and not PROBABILITY_FLOOR <= value <= 1 - PROBABILITY_FLOOR:
        errors[name] = (
            "Give a percentage from 1 to 99 (certainty is not allowed for this question)."
        )


def check_answer(question: Question, answer: Answer) -> dict[str, str]:
    """Return every rule ``answer`` breaks for ``question``, by field (empty if none)."""
    errors: dict[str, str] = {}
    if question.kind is QuestionKind.BINARY:
        _check_probability(errors, "probability", answer.probability, question.allow_certainty)
    elif question.kind is QuestionKind.BINARY_INTERVAL:
        for name in ("lower", "probability", "upper"):
            _check_probability(errors, name, getattr(answer, name), question.allow_certainty)
        if not errors and not answer.lower <= answer.probability <= answer.upper:
            errors["probability"] = "The best estimate must lie between the lower and upper values."
    else:
        values = answer.quantile_values or []
        levels = question.quantiles or []
        if len(values) != len(levels):
            errors["quantile_values"] = f"Give one value for each of the {len(levels)} percentiles."
        elif not all(math.isfinite(v) for v in values):
            errors["quantile_values"] = "Every percentile must be a number."
        elif any(abs(v) >= QUANTITY_LIMIT for v in values):
            errors["quantile_values"] = "Values must be smaller than 10^15 in size."
        elif any(b <= a for a, b in zip(values, values[1:], strict=False)):
            errors["quantile_values"] = "Each percentile must be larger than the one before."
        elif question.lower_bound is not None and values[0] < question.lower_bound:
            errors["quantile_values"] = f"Values must not be below {question.lower_bound:g}."
        elif question.upper_bound is not None and values[-1] > question.upper_bound:
            errors["quantile_values"] = f"Values must not be above {question.upper_bound:g}."
        elif question.scale is Scale.LOG and values[0] <= 0:
            errors["quantile_values"] = "Values must be positive on a logarithmic scale."
    if answer.confidence is not None and answer.confidence not in range(1, 6):
        errors["confidence"] = "Confidence must be from 1 to 5."
    if len(answer.rationale) > RATIONALE_MAX:
        errors["rationale"] = f"Keep the rationale to at most {RATIONALE_MAX:,} characters."
    return errors


def same_answer(a: Answer | Judgment, b: Answer | Judgment) -> bool:
    """Whether two answers say the same thing (numbers equal to 12 significant digits).

    A value shown in a box and sent back may differ from the stored float in
    its last bits; that is a repeat, not a change, and makes no new revision.
    """

    def close(x: float | None, y: float | None) -> bool:
        """Compare two optional numbers with a relative tolerance."""
        if x is None or y is None:
            return x is y
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15)

    qa, qb = list(a.quantile_values or []), list(b.quantile_values or [])
    return (
        all(close(getattr(a, n), getattr(b, n)) for n in ("probability", "lower", "upper"))
        and len(qa) == len(qb)
        and all(close(x, y) for x, y in zip(qa, qb, strict=True))
        and a.confidence == b.confidence
        and (a.rationale or "").strip() == (b.rationale or "").strip()
    )
