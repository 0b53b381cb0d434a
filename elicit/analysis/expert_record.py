"""An expert's own record: answers round by round and, once questions resolve, scores."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.studies.models import Outcome, Question, QuestionKind


@dataclass
class RecordEntry:
    """One round's answer to a question, with its score if the question has resolved.

    ``brier`` is set for probability questions resolved yes or no; ``hit``
    (whether the realization fell inside the range) for resolved quantities.
    """

    round_number: int
    judgment: Judgment
    brier: float | None = None
    hit: bool | None = None


@dataclass
class QuestionRecord:
    """Everything the expert answered to one question."""

    question: Question
    entries: list[RecordEntry] = field(default_factory=list)


def expert_record(session: Session, expert: Expert) -> list[QuestionRecord]:
    """Return the expert's answers across rounds, in question order, scored where resolved.

    Scores are computed in one call per kind: Brier scores with
    :func:`elicit.core.scoring.brier_score`, range hits with
    :func:`elicit.core.scoring.interval_hit`. Annulled questions are never scored.
    """
    import numpy as np

    from elicit.core.scoring import brier_score, interval_hit

    rows = session.execute(
        sa.select(Question, Round.number, Judgment)
        .join(Judgment, Judgment.question_id == Question.id)
        .join(Round, Round.id == Judgment.round_id)
        .where(Judgment.expert_id == expert.id)
        .order_by(Question.position, Round.number)
    ).all()
    records: dict[int, QuestionRecord] = {}
    binary, ranged = [], []
    for question, number, judgment in rows:
        record = records.setdefault(question.id, QuestionRecord(question))
        entry = RecordEntry(number, judgment)
        record.entries.append(entry)
        resolution = question.resolution
        if resolution is None or resolution.outcome is Outcome.ANNULLED:
            continue
        if question.kind is QuestionKind.QUANTITY:
            if judgment.quantile_values and resolution.value is not None:
                ranged.append((entry, judgment.quantile_values, resolution.value))
        elif resolution.outcome is not None and judgment.probability is not None:
            binary.append((entry, judgment.probability, resolution.outcome is Outcome.YES))
    if binary:
        scores = brier_score([p for _, p, _ in binary], np.array([o for _, _, o in binary], int))
        for (entry, _, _), score in zip(binary, scores, strict=True):
            entry.brier = float(score)
    if ranged:
        hits = interval_hit(
            [v[0] for _, v, _ in ranged], [v[-1] for _, v, _ in ranged], [x for _, _, x in ranged]
        )
        for (entry, _, _), hit in zip(ranged, hits, strict=True):
            entry.hit = bool(hit)
    return list(records.values())
