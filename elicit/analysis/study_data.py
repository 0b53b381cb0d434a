"""A study's judgments and outcomes from the database, as the arrays the offline commands read.

:func:`judgments` gives exactly the :class:`~elicit.analysis.longform.Judgments`
that :func:`~elicit.analysis.longform.read_judgments` reads from the study's
exported long CSV: the same ids (question keys, the study's pseudonymous
expert ids), the same rows in the same order, the same coarsened times. So a
figure computed here for a page and one computed by ``elicit pool`` from the
download are computed from identical arrays, and agree to the last digit.

Rows are ordered by round number, question key, expert pseudonym, then element
(``p``; ``lower``, ``best``, ``upper``; quantiles by level). Pseudonyms are
ordered as the export writes them (:func:`elicit.analysis.formula.neutralise`:
``=x`` as ``'=x``), so that the experts are in the order ``elicit pool`` reads
them in from the download, however they begin. Times are when the
answer was last changed, truncated to :data:`TIME_RESOLUTION` so that an export
cannot be matched to other records by the second an expert pressed "submit".
Withdrawn questions are left out unless asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.analysis import longform
from elicit.analysis.formula import neutralise
from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.studies.models import Outcome, Question, QuestionKind, Resolution, Study

TIME_RESOLUTION = timedelta(hours=1)
"""How finely exported and pooled judgment times are kept."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def study_questions(session: Session, study: Study, *, withdrawn: bool = False) -> list[Question]:
    """Return ``study``'s questions by key (without the withdrawn ones unless ``withdrawn``)."""
    query = sa.select(Question).where(Question.study_id == study.id).order_by(Question.key)
    if not withdrawn:
        query = query.where(Question.withdrawn_at.is_(None))
    return list(session.scalars(query))


def coarse_time(moment: datetime) -> datetime:
    """Return ``moment`` truncated to :data:`TIME_RESOLUTION` (in UTC)."""
    step = TIME_RESOLUTION // timedelta(microseconds=1)
    micro = (moment - EPOCH) // timedelta(microseconds=1)
    return EPOCH + timedelta(microseconds=micro - micro % step)


def judgments(
    session: Session,
    study: Study,
    questions: Sequence[Question] | None = None,
    *,
    through_round: int | None = None,
) -> longform.Judgments:
    """Return the judgments of ``study`` on ``questions`` (default: :func:`study_questions`).

    Drafts are not judgments and are never included. ``questions`` and
    ``experts`` list only the ids that have a judgment, as in the exported CSV.
    ``through_round`` keeps rounds 1 to that one (the user's round limit,
    :func:`elicit.analysis.visibility.round_limit`); None keeps every round.
    """
    chosen = list(questions) if questions is not None else study_questions(session, study)
    by_id = {q.id: q for q in chosen}
    query = (
        sa.select(
            Round.number,
            Judgment.question_id,
            Expert.pseudonym,
            Judgment.probability,
            Judgment.lower,
            Judgment.upper,
            Judgment.quantile_values,
            Judgment.updated_at,
        )
        .join(Round, Round.id == Judgment.round_id)
        .join(Expert, Expert.id == Judgment.expert_id)
        .where(Round.study_id == study.id, Judgment.question_id.in_(list(by_id)))
    )
    if through_round is not None:
        query = query.where(Round.number <= through_round)
    rows = session.execute(query).all()
    keys = sorted({by_id[r.question_id].key for r in rows})
    experts = sorted({r.pseudonym for r in rows}, key=_written)
    question_at = {k: i for i, k in enumerate(keys)}
    expert_at = {e: i for i, e in enumerate(experts)}
    columns: dict[str, list] = {n: [] for n in ("q", "e", "r", "kind", "level", "value", "time")}
    ordered = sorted(
        rows, key=lambda r: (r.number, by_id[r.question_id].key, _written(r.pseudonym))
    )
    for row in ordered:
        question = by_id[row.question_id]
        time = (coarse_time(row.updated_at) - EPOCH) // timedelta(microseconds=1)
        for kind, level, value in _elements(question, row):
            columns["q"].append(question_at[question.key])
            columns["e"].append(expert_at[row.pseudonym])
            columns["r"].append(row.number)
            columns["kind"].append(kind)
            columns["level"].append(level)
            columns["value"].append(value)
            columns["time"].append(time)
    return longform.Judgments(
        questions=keys,
        experts=experts,
        question=np.array(columns["q"], dtype=np.intp),
        expert=np.array(columns["e"], dtype=np.intp),
        round=np.array(columns["r"], dtype=np.int64),
        kind=np.array(columns["kind"], dtype=np.int8),
        level=np.array(columns["level"], dtype=float),
        value=np.array(columns["value"], dtype=float),
        time=np.array(columns["time"], dtype=float),
    )


def _written(pseudonym: str) -> tuple[str, str]:
    """Order pseudonyms as the export writes them (neutralised), then as stored."""
    return neutralise(pseudonym), pseudonym


def _elements(question: Question, row: sa.Row) -> list[tuple[int, float, float]]:
    """Return a judgment's long rows as ``(kind, level, value)``, in the export's order."""
    nan = float("nan")
    if question.kind is QuestionKind.BINARY:
        return [(longform.P, nan, row.probability)]
    if question.kind is QuestionKind.BINARY_INTERVAL:
        return [
            (longform.LOWER, nan, row.lower),
            (longform.BEST, nan, row.probability),
            (longform.UPPER, nan, row.upper),
        ]
    return [
        (longform.QUANTILE, float(level), float(value))
        for level, value in zip(question.quantiles or [], row.quantile_values or [], strict=True)
    ]


def outcomes(session: Session, study: Study, keys: Sequence[str]) -> longform.Outcomes:
    """Return the outcome of each question key in ``keys`` (NaN where unresolved or annulled).

    A binary question's outcome is 1 (yes) or 0 (no); a quantity's is its
    recorded value, or a calibration question's realization.
    """
    found = session.execute(
        sa.select(Question.key, Question.realization, Resolution.outcome, Resolution.value)
        .outerjoin(Resolution, Resolution.question_id == Question.id)
        .where(Question.study_id == study.id, Question.key.in_(list(keys)))
    ).all()
    at = {k: i for i, k in enumerate(keys)}
    value = np.full(len(keys), np.nan)
    annulled = np.zeros(len(keys), dtype=bool)
    for key, realization, outcome, resolved in found:
        if outcome is Outcome.ANNULLED:
            annulled[at[key]] = True
        elif outcome is not None:
            value[at[key]] = 1.0 if outcome is Outcome.YES else 0.0
        elif resolved is not None:
            value[at[key]] = resolved
        elif realization is not None:
            value[at[key]] = realization
    return longform.Outcomes(value, annulled)
