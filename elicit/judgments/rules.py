"""The rules every answer must meet, in one place, and when two answers are the same.

:func:`check_answer` says what is wrong with an answer, field by field;
:func:`same_answer` tells a change from a repeat, so that sending the same
answer again (a double click, a resubmitted form) never becomes a new revision.
Recording answers is :mod:`elicit.judgments.submission`.

The messages are shown beside the expert's fields, so they are in the
request's language (English outside a request, as on the command line), with
every number in it written by :mod:`elicit.formatting`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from elicit import formatting
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
    """Record an error if ``value`` is missing, not finite or outside the allowed range.

    An out-of-range value is named as the percentage the expert typed (a
    fraction of 1.5 reads ``150%``), beside the range they may use.
    """
    low = 0.0 if allow_certainty else PROBABILITY_FLOOR
    if value is None:
        errors[name] = gettext("A value is required.")
    elif not math.isfinite(value):
        errors[name] = gettext("Enter a number.")
    elif not low <= value <= 1 - low:
        shown = {
            "value": formatting.typed_probability(value),
            "low": formatting.typed_probability(low),
            "high": formatting.typed_probability(1 - low),
        }
        if allow_certainty:
            # TRANSLATORS: %(value)s, %(low)s and %(high)s are percentages, e.g. 150%.
            errors[name] = gettext(
                "%(value)s is outside the allowed range: %(low)s to %(high)s.", **shown
            )
        else:
            # TRANSLATORS: %(value)s, %(low)s and %(high)s are percentages, e.g. 150%.
            errors[name] = gettext(
                "%(value)s is outside the allowed range: %(low)s to %(high)s "
                "(this question does not allow certainty).",
                **shown,
            )


def _check_quantities(question: Question, values: list[float]) -> str | None:
    """Return what is wrong with a quantity question's ``values``, or ``None``.

    A value outside the question's bounds is named as typed, and the bound
    in the question's unit as the answer page shows it.
    """
    levels = question.quantiles or []
    if len(values) != len(levels):
        return ngettext(
            "Give exactly %(count)s value, one per percentile.",
            "Give exactly %(count)s values, one per percentile.",
            len(levels),
            count=formatting.integer(len(levels)),
        )
    if not all(math.isfinite(v) for v in values):
        return gettext("Every percentile must be a number.")
    too_large = next((v for v in values if abs(v) >= QUANTITY_LIMIT), None)
    if too_large is not None:
        return gettext(
            "%(value)s is too large: every value must be smaller than %(limit)s in size.",
            value=formatting.number(too_large),
            limit=formatting.number(QUANTITY_LIMIT),
        )
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        return gettext("Each percentile must be larger than the one before.")
    if question.lower_bound is not None and values[0] < question.lower_bound:
        # TRANSLATORS: %(value)s is the number typed; %(bound)s a number and unit: "0 people".
        return gettext(
            "%(value)s is below the lowest allowed value, %(bound)s.",
            value=formatting.typed_number(values[0]),
            bound=formatting.figure(question.lower_bound, question),
        )
    if question.upper_bound is not None and values[-1] > question.upper_bound:
        # TRANSLATORS: %(value)s is the number typed; %(bound)s a number and unit: "100 people".
        return gettext(
            "%(value)s is above the highest allowed value, %(bound)s.",
            value=formatting.typed_number(values[-1]),
            bound=formatting.figure(question.upper_bound, question),
        )
    if question.scale is Scale.LOG and values[0] <= 0:
        return gettext(
            "%(value)s is not allowed: on this question's logarithmic scale every value "
            "must be above 0.",
            value=formatting.typed_number(values[0]),
        )
    return None


def check_answer(question: Question, answer: Answer) -> dict[str, str]:
    """Return every rule ``answer`` breaks for ``question``, by field (empty if none)."""
    errors: dict[str, str] = {}
    if question.kind is QuestionKind.BINARY:
        _check_probability(errors, "probability", answer.probability, question.allow_certainty)
    elif question.kind is QuestionKind.BINARY_INTERVAL:
        for name in ("lower", "probability", "upper"):
            _check_probability(errors, name, getattr(answer, name), question.allow_certainty)
        low, best, high = answer.lower, answer.probability, answer.upper
        if (
            not errors
            and low is not None
            and best is not None
            and high is not None
            and not low <= best <= high
        ):
            errors["probability"] = gettext(
                "The best estimate must lie between the lower and upper values."
            )
    else:
        problem = _check_quantities(question, list(answer.quantile_values or []))
        if problem is not None:
            errors["quantile_values"] = problem
    if answer.confidence is not None and answer.confidence not in range(1, 6):
        errors["confidence"] = gettext(
            "Confidence %(value)s is outside the allowed range: 1 to 5.",
            value=formatting.integer(answer.confidence),
        )
    if len(answer.rationale) > RATIONALE_MAX:
        errors["rationale"] = rationale_too_long()
    return errors


def rationale_too_long() -> str:
    """Say how long a rationale may be (the parser and the rules give the same message)."""
    return ngettext(
        "Keep the rationale to at most %(limit)s character.",
        "Keep the rationale to at most %(limit)s characters.",
        RATIONALE_MAX,
        limit=formatting.integer(RATIONALE_MAX),
    )


def _close(x: float | None, y: float | None) -> bool:
    """Whether two optional numbers are equal to 12 significant digits (see :func:`same_answer`)."""
    if x is None or y is None:
        return x is y
    return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15)


def same_answer(a: Answer | Judgment | sa.Row[Any], b: Answer | Judgment | sa.Row[Any]) -> bool:
    """Whether two answers say the same thing (numbers equal to 12 significant digits).

    Each is an answer, a judgment, or a row of a judgment's values (as
    :mod:`elicit.judgments.submission` reads them).

    A value shown in a box and sent back may differ from the stored float in
    its last bits; that is a repeat, not a change, and makes no new revision.
    The exact comparisons come first: a whole round's answers are compared
    under the write lock, and most changed answers differ in their words.
    """
    if a.confidence != b.confidence or (a.rationale or "").strip() != (b.rationale or "").strip():
        return False
    qa, qb = a.quantile_values or (), b.quantile_values or ()
    return (
        len(qa) == len(qb)
        and _close(a.probability, b.probability)
        and _close(a.lower, b.lower)
        and _close(a.upper, b.upper)
        and all(_close(x, y) for x, y in zip(qa, qb, strict=True))
    )
