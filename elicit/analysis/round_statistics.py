"""Round statistics: how many answered each question of a round, and where the panel stands.

The same figures are the facilitator's study page and the experts' feedback,
so both read them from here (computed by :mod:`elicit.core.consensus`).
:func:`round_arrays` reads a round's answers as columns (no ORM objects), and
:func:`last_change` is the round's last-change marker that results computed
from those answers are kept under (the pooled forecasts' store, the experts'
feedback).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.judgments.models import Judgment
from elicit.rounds.models import Round
from elicit.studies.models import Question, QuestionKind

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class QuestionSummary:
    """The panel's answers to one question in one round: count, median and quartiles.

    For binary kinds the summarised value is the (best) probability; for
    quantities it is each expert's median (the 0.5 quantile, or the middle
    quantile asked for).
    """

    answers: int
    median: float
    q25: float
    q75: float


def central_value(question: Question, judgment: Judgment) -> float:
    """Return the single number of ``judgment`` that panel summaries use.

    Raises
    ------
    ValueError
        If the judgment lacks the value its question's kind needs (the answer
        rules never record one like that).
    """
    if question.kind is QuestionKind.QUANTITY:
        levels = judgment.quantile_values
        value = levels[question.central_quantile] if levels else None
    else:
        value = judgment.probability
    if value is None:
        raise ValueError(f"judgment {judgment.id} has no value for a {question.kind} question")
    return value


@dataclass(frozen=True)
class RoundAnswers:
    """Every judgment of a round with its question, and the per-question summaries.

    ``values[i]`` is the central value of ``rows[i]``; ``summaries`` is keyed by question id.
    """

    rows: list[tuple[Question, Judgment]]
    values: np.ndarray
    summaries: dict[int, QuestionSummary]


def round_answers(session: Session, round_: Round) -> RoundAnswers:
    """Load ``round_``'s judgments in one query and summarise every question in one pass.

    The median and quartiles come from :func:`elicit.core.consensus.grouped_quantiles`
    (NumPy and the core load on the first call, not when the app starts).
    """
    import numpy as np

    from elicit.core.consensus import grouped_count, grouped_quantiles

    rows = [
        (question, judgment)
        for question, judgment in session.execute(
            sa.select(Question, Judgment)
            .join(Judgment, Judgment.question_id == Question.id)
            .where(Judgment.round_id == round_.id)
        )
    ]
    values = np.fromiter((central_value(q, j) for q, j in rows), float, len(rows))
    if not rows:
        return RoundAnswers(rows, values, {})
    question_ids = sorted({question.id for question, _ in rows})
    index = {question_id: i for i, question_id in enumerate(question_ids)}
    groups = np.fromiter((index[q.id] for q, _ in rows), np.intp, len(rows))
    stats = grouped_quantiles(values, groups, len(question_ids), [0.5, 0.25, 0.75])
    counts = grouped_count(groups, len(question_ids))
    summaries = {
        question_id: QuestionSummary(int(counts[i]), *map(float, stats[i]))
        for question_id, i in index.items()
    }
    return RoundAnswers(rows, values, summaries)


def panel_summary(session: Session, round_: Round) -> dict[int, QuestionSummary]:
    """Summarise every question answered in ``round_``, keyed by question id."""
    return round_arrays(session, round_).summaries


def change_columns() -> tuple[sa.ColumnElement[int], sa.ColumnElement[datetime]]:
    """Return the aggregates of a last-change marker: judgments counted, latest ``updated_at``."""
    return sa.func.count(Judgment.id), sa.func.max(Judgment.updated_at)


def last_change(session: Session, round_id: int) -> tuple[int, datetime | None]:
    """Return round ``round_id``'s last-change marker: its number of judgments and latest change.

    Every write of a judgment (a new one, a new version, a rationale hidden or
    shown) sets its ``updated_at``, and removing one lowers the count, so
    anything computed from the round's judgments is current as long as this
    is unchanged.
    """
    count, last = session.execute(
        sa.select(*change_columns()).where(Judgment.round_id == round_id)
    ).one()
    return int(count), last


@dataclass(frozen=True)
class RoundArrays:
    """A round's judgments as columns, one row per judgment, grouped by question.

    Rows are ordered by question id, then expert id. ``values`` holds each
    answer's central value (:func:`central_value`); ``low`` and ``high`` the
    ends of the range an answer gives (NaN where its question asks for none);
    ``rationales`` the texts (``""`` where the facilitator hid one).
    ``summaries`` is keyed by question id.
    """

    question_ids: np.ndarray
    expert_ids: np.ndarray
    values: np.ndarray
    low: np.ndarray
    high: np.ndarray
    rationales: list[str]
    summaries: dict[int, QuestionSummary]


def round_arrays(session: Session, round_: Round) -> RoundArrays:
    """Read ``round_``'s judgments as columns in two queries and summarise every question.

    Only the columns the figures need are selected (no ORM objects), so the
    cost is one pass over the rows, whatever the panel's size.
    """
    import numpy as np

    from elicit.core.consensus import grouped_count, grouped_quantiles

    kinds = {
        question_id: (kind, quantiles)
        for question_id, kind, quantiles in session.execute(
            sa.select(Question.id, Question.kind, Question.quantiles).where(
                Question.study_id == round_.study_id
            )
        )
    }
    rows = session.execute(
        sa.select(
            Judgment.question_id,
            Judgment.expert_id,
            Judgment.probability,
            Judgment.lower,
            Judgment.upper,
            Judgment.quantile_values,
            Judgment.rationale,
            Judgment.rationale_hidden,
        )
        .where(Judgment.round_id == round_.id)
        .order_by(Judgment.question_id, Judgment.expert_id)
    ).all()
    size = len(rows)
    values, low, high = np.empty(size), np.full(size, np.nan), np.full(size, np.nan)
    for i, (question_id, _, probability, lower, upper, levels, _, _) in enumerate(rows):
        kind, quantiles = kinds[question_id]
        if kind is QuestionKind.QUANTITY:
            if not levels:
                raise ValueError(f"an answer to question {question_id} has no quantiles")
            asked = quantiles or []
            values[i] = levels[asked.index(0.5) if 0.5 in asked else len(asked) // 2]
            low[i], high[i] = levels[0], levels[-1]
        else:
            if probability is None:
                raise ValueError(f"an answer to question {question_id} has no probability")
            values[i] = probability
            if kind is QuestionKind.BINARY_INTERVAL and lower is not None and upper is not None:
                low[i], high[i] = lower, upper
    question_ids = np.fromiter((row[0] for row in rows), np.int64, size)
    expert_ids = np.fromiter((row[1] for row in rows), np.int64, size)
    rationales = ["" if row[7] else row[6] for row in rows]
    summaries: dict[int, QuestionSummary] = {}
    if size:
        distinct, groups = np.unique(question_ids, return_inverse=True)
        stats = grouped_quantiles(values, groups, len(distinct), [0.5, 0.25, 0.75])
        counts = grouped_count(groups, len(distinct))
        summaries = {
            int(question_id): QuestionSummary(int(counts[i]), *map(float, stats[i]))
            for i, question_id in enumerate(distinct)
        }
    return RoundArrays(question_ids, expert_ids, values, low, high, rationales, summaries)
