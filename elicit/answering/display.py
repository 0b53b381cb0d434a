"""How the expert's pages write an answer and its numbers (template filters ``answer``, ...)."""

from __future__ import annotations

from typing import Any

from elicit.answering.blueprint import bp
from elicit.feedback.charts import format_percent, format_quantity
from elicit.judgments import parsing
from elicit.studies.models import Question, QuestionKind


@bp.app_template_filter("answer")
def describe_answer(values: Any, question: Question) -> str:
    """Show a recorded answer exactly as stored: ``35 %``, ``20 % to 50 %, best 35 %``, ..."""
    if question.kind is QuestionKind.QUANTITY:
        levels = question.quantiles or []
        parts = [
            f"{ordinal(level)}: {parsing.plain_number(value)}"
            for level, value in zip(levels, values.quantile_values or [], strict=False)
        ]
        return "; ".join(parts) + (f" {question.unit}" if question.unit else "")
    if question.kind is QuestionKind.BINARY_INTERVAL:
        return (
            f"{parsing.percent(values.lower)} % to {parsing.percent(values.upper)} %, "
            f"best {parsing.percent(values.probability)} %"
        )
    return f"{parsing.percent(values.probability)} %"


@bp.app_template_filter("ordinal")
def ordinal(level: float) -> str:
    """Name a quantile level as a percentile: 0.05 -> ``5th``, 0.333 -> ``33.3rd``."""
    number = round(level * 100, 1)
    whole = int(number)
    if number != whole or 10 <= whole % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{number:g}{suffix}"


@bp.app_template_filter("figure")
def figure(value: float, question: Question) -> str:
    """Show one number of ``question``'s answers: a percentage, or a quantity in its unit."""
    if question.kind is QuestionKind.QUANTITY:
        return format_quantity(value) + (f" {question.unit}" if question.unit else "")
    return format_percent(value)
