"""The facilitator's dashboard: response rates, who is pending, and each question round by round.

Everything comes from one query of the study's answers and one of its panel,
whatever its size, and every figure from :mod:`elicit.core.consensus`: per
round and question the number of answers, median, quartiles and mean of the
central values (each expert's probability, the best estimate of a three-point
judgment, or the median of a quantity); per round the share of the panel that
answered, overall and in each panel group.

Who is pending is the study's business under its anonymity model: people
who may run the study see the pending experts' names (the panel page shows
the same), with their pseudonyms only in a quasi-anonymous study; analysts see
pseudonyms only. A pending expert has no answer recorded in the current round
(the open one, else the last that opened); drafts do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.judgments.models import Judgment
from elicit.panels.models import Expert, ExpertContact
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Question, QuestionKind, Study


@dataclass(frozen=True)
class Figures:
    """The panel's answers to one question in one round."""

    answers: int
    median: float
    q25: float
    q75: float
    mean: float


@dataclass(frozen=True)
class Response:
    """How many of a part of the panel (all of it, or one group) answered a round."""

    group: str
    answered: int
    size: int

    @property
    def rate(self) -> float:
        """The share that answered, from 0 to 1 (0 for an empty group)."""
        return self.answered / self.size if self.size else 0.0


@dataclass(frozen=True)
class PendingPerson:
    """An expert with no answer in the current round, as the viewer may see them."""

    name: str | None
    pseudonym: str | None
    group: str


@dataclass(frozen=True)
class RoundFigures:
    """One round on the dashboard: its response and every question's figures, by question id."""

    round: Round
    overall: Response
    groups: list[Response]
    questions: dict[int, Figures] = field(default_factory=dict)


@dataclass(frozen=True)
class Dashboard:
    """A study's dashboard: every round that opened, oldest first, and who is pending now."""

    rounds: list[RoundFigures]
    current: Round | None
    pending: list[PendingPerson]


def build_dashboard(
    session: Session, study: Study, questions: list[Question], *, show_names: bool
) -> Dashboard:
    """Compute ``study``'s dashboard over ``questions`` (the study's, already loaded).

    ``show_names`` gives pending experts' names (for whoever may run the
    study); pseudonyms are added only in a quasi-anonymous study, or given
    alone when names are not shown.
    """
    rounds = sorted(
        (r for r in study.rounds if r.state is not RoundState.DRAFT), key=lambda r: r.number
    )
    panel = session.execute(
        sa.select(Expert.id, Expert.pseudonym, Expert.panel_group, ExpertContact.name)
        .outerjoin(ExpertContact, ExpertContact.expert_id == Expert.id)
        .where(Expert.study_id == study.id)
        .order_by(Expert.panel_group, ExpertContact.name, Expert.pseudonym)
    ).all()
    rows = (
        session.execute(
            sa.select(
                Judgment.round_id,
                Judgment.question_id,
                Judgment.expert_id,
                Judgment.probability,
                Judgment.quantile_values,
            ).where(Judgment.round_id.in_([r.id for r in rounds]))
        ).all()
        if rounds
        else []
    )
    answered: dict[int, set[int]] = {r.id: set() for r in rounds}
    for row in rows:
        answered[row.round_id].add(row.expert_id)
    per_question = _question_figures(rounds, questions, rows)
    groups = {expert_id: group for expert_id, _, group, _ in panel}
    figures = [
        RoundFigures(round_, *_responses(groups, answered[round_.id]), per_question[i])
        for i, round_ in enumerate(rounds)
    ]
    current = next((r for r in rounds if r.state is RoundState.OPEN), None)
    current = current or (rounds[-1] if rounds else None)
    quasi = study.anonymity.value == "quasi_anonymous"
    pending = [
        PendingPerson(
            name=name if show_names else None,
            pseudonym=pseudonym if (quasi or not show_names) else None,
            group=group,
        )
        for expert_id, pseudonym, group, name in panel
        if current is not None and expert_id not in answered[current.id]
    ]
    return Dashboard(figures, current, pending)


def _question_figures(
    rounds: list[Round], questions: list[Question], rows: Sequence[Any]
) -> list[dict[int, Figures]]:
    """Return, for each round, every answered question's :class:`Figures`, by question id.

    All rounds and questions are computed at once: each (round, question) is
    one group of :mod:`elicit.core.consensus`'s grouped functions.
    """
    import numpy as np

    from elicit.core.consensus import grouped_count, grouped_mean, grouped_quantiles

    by_id = {q.id: q for q in questions}
    column = {q.id: i for i, q in enumerate(questions)}
    line = {r.id: i for i, r in enumerate(rounds)}
    width = len(questions)
    kept = [row for row in rows if row.question_id in by_id]
    values = np.fromiter(
        (_central(by_id[row.question_id], row.probability, row.quantile_values) for row in kept),
        float,
        len(kept),
    )
    cells = np.fromiter(
        (line[row.round_id] * width + column[row.question_id] for row in kept), np.intp, len(kept)
    )
    n_cells = max(len(rounds) * width, 1)
    counts = grouped_count(cells, n_cells)
    quartiles = grouped_quantiles(values, cells, n_cells, [0.5, 0.25, 0.75])
    means = grouped_mean(values, cells, n_cells)
    return [
        {
            question.id: Figures(
                answers=int(counts[cell]),
                median=float(quartiles[cell][0]),
                q25=float(quartiles[cell][1]),
                q75=float(quartiles[cell][2]),
                mean=float(means[cell]),
            )
            for question in questions
            if counts[cell := r * width + column[question.id]]
        }
        for r in range(len(rounds))
    ]


def _responses(groups: dict[int, str], answered: set[int]) -> tuple[Response, list[Response]]:
    """Return how much of the panel answered, overall and by group (``groups``: id -> group)."""
    import numpy as np

    from elicit.core.consensus import grouped_count

    names = sorted(set(groups.values()))
    index = {name: i for i, name in enumerate(names)}
    members = np.fromiter((index[g] for g in groups.values()), np.intp, len(groups))
    answering = np.fromiter(
        (index[groups[e]] for e in answered if e in groups), np.intp, len(answered & groups.keys())
    )
    sizes = grouped_count(members, len(names))
    counts = grouped_count(answering, len(names))
    by_group = [Response(name, int(counts[i]), int(sizes[i])) for i, name in enumerate(names)]
    return Response("", int(counts.sum()), len(groups)), by_group


def _central(question: Question, probability: float | None, quantiles: list[float] | None) -> float:
    """Return the number a judgment stands for in panel figures (see the module docstring)."""
    if question.kind is QuestionKind.QUANTITY:
        if not quantiles:
            raise ValueError(f"an answer to {question.key} has no quantiles")
        return float(quantiles[question.central_quantile])
    if probability is None:
        raise ValueError(f"an answer to {question.key} has no probability")
    return float(probability)
