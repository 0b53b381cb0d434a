"""Round statistics: how many answered each question of a round, and where the panel stands.

The same figures are the facilitator's study page and the experts' feedback,
so both read them from here (computed by :mod:`elicit.core.consensus`).
"""

from __future__ import annotations

from dataclasses import dataclass
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
    return round_answers(session, round_).summaries
