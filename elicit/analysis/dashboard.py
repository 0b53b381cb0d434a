"""The facilitator's dashboard: response rates, who is pending, and each question round by round.

Everything comes from one query of the study's answers and one of its panel,
whatever its size (the database picks each answer's central value, so four
numbers per answer reach Python), and every figure from :mod:`elicit.core.consensus`: per
round and question the number of answers, median, quartiles and mean of the
central values (each expert's probability, the best estimate of a three-point
judgment, or the median of a quantity); per round the share of the panel that
answered, overall and in each panel group.

Who is pending is the study's business under its anonymity model: people
who may run the study see the pending experts' names (the panel page shows
the same), with their pseudonyms only in a quasi-anonymous study; analysts see
pseudonyms only. A pending expert has no answer recorded in the current round
(the open one, else the last that opened); drafts do not count.

The dashboard shows only the rounds within the viewer's round limit
(:func:`elicit.analysis.visibility.round_limit`): an analyst sees the open
round's answers, counts and who is pending in it only if the study lets
analysts watch it live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.analysis.visibility import visible_rounds
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
    session: Session,
    study: Study,
    questions: list[Question],
    *,
    show_names: bool,
    through_round: int | None = None,
) -> Dashboard:
    """Compute ``study``'s dashboard over ``questions`` (the study's, already loaded).

    ``show_names`` gives pending experts' names (for whoever may run the
    study); pseudonyms are added only in a quasi-anonymous study, or given
    alone when names are not shown. Rounds after ``through_round`` are left
    out (None: none is).
    """
    rounds = visible_rounds(study.rounds, through_round)
    panel = session.execute(
        sa.select(Expert.id, Expert.pseudonym, Expert.panel_group, ExpertContact.name)
        .outerjoin(ExpertContact, ExpertContact.expert_id == Expert.id)
        .where(Expert.study_id == study.id)
        .order_by(Expert.panel_group, ExpertContact.name, Expert.pseudonym)
    ).all()
    values = _central_values(session, rounds, questions)
    line = {r.id: i for i, r in enumerate(rounds)}
    answered = {r.id: set(values.expert[values.line == line[r.id]].tolist()) for r in rounds}
    per_question = _question_figures(len(rounds), questions, values)
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


@dataclass(frozen=True)
class _Values:
    """Each answer's central value, with its round and question (by position) and expert id."""

    line: Any
    column: Any
    expert: Any
    value: Any


def _central_values(session: Session, rounds: list[Round], questions: list[Question]) -> _Values:
    """Read each answer's central value (see the module docstring) in one query.

    The database picks the value out of each answer (a quantity's median from
    its list of quantiles), so only four numbers per answer cross into Python.
    """
    import numpy as np

    column = {q.id: i for i, q in enumerate(questions)}
    if not rounds or not questions:
        empty = np.empty(0, np.intp)
        return _Values(empty, empty, empty, np.empty(0))
    by_index: dict[int, list[int]] = {}
    for question in questions:
        if question.kind is QuestionKind.QUANTITY:
            by_index.setdefault(question.central_quantile, []).append(question.id)
    central: sa.ColumnElement[float | None] = Judgment.probability.expression
    if by_index:
        central = sa.case(
            *(
                (Judgment.question_id.in_(ids), Judgment.quantile_values[index].as_float())
                for index, ids in sorted(by_index.items())
            ),
            else_=Judgment.probability,
        )
    result = session.connection().execute(
        sa.select(Judgment.round_id, Judgment.question_id, Judgment.expert_id, central).where(
            Judgment.round_id.in_([r.id for r in rounds]),
            Judgment.question_id.in_(list(column)),
        )
    )
    # Plain numbers need none of SQLAlchemy's per-row work: read the driver's rows.
    with result:
        rows = result.cursor.fetchall()
    table = np.array(rows, dtype=float).reshape(len(rows), 4)
    missing = np.flatnonzero(np.isnan(table[:, 3]))
    if missing.size:
        key = {q.id: q.key for q in questions}[int(table[missing[0], 1])]
        raise ValueError(f"an answer to {key} has no value to show")
    round_ids = np.array([r.id for r in rounds])
    order = np.argsort(round_ids)
    line = order[np.searchsorted(round_ids, table[:, 0], sorter=order)]
    question_ids = np.array(list(column))
    order = np.argsort(question_ids)
    at = order[np.searchsorted(question_ids, table[:, 1], sorter=order)]
    return _Values(line, at, table[:, 2].astype(np.intp), table[:, 3])


def _question_figures(
    n_rounds: int, questions: list[Question], values: _Values
) -> list[dict[int, Figures]]:
    """Return, for each round, every answered question's :class:`Figures`, by question id.

    All rounds and questions are computed at once: each (round, question) is
    one group of :mod:`elicit.core.consensus`'s grouped functions.
    """
    from elicit.core.consensus import grouped_count, grouped_mean, grouped_quantiles

    width = len(questions)
    cells = values.line * width + values.column
    n_cells = max(n_rounds * width, 1)
    counts = grouped_count(cells, n_cells)
    quartiles = grouped_quantiles(values.value, cells, n_cells, [0.5, 0.25, 0.75])
    means = grouped_mean(values.value, cells, n_cells)
    return [
        {
            question.id: Figures(
                answers=int(counts[cell]),
                median=float(quartiles[cell][0]),
                q25=float(quartiles[cell][1]),
                q75=float(quartiles[cell][2]),
                mean=float(means[cell]),
            )
            for j, question in enumerate(questions)
            if counts[cell := r * width + j]
        }
        for r in range(n_rounds)
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
