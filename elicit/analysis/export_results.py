"""The computed tables of a study's export: pooled aggregates, consensus statistics, scores.

Each is what the offline commands compute from the exported ``judgments.csv``
(and ``resolutions.csv``), so anyone can recompute it from the files alone:

- ``aggregates``: for each round with judgments, the rows
  :func:`elicit.analysis.aggregates.pool_round` gives with the pages' bootstrap
  (:data:`~elicit.analysis.aggregates.DEFAULT_RESAMPLES` resamples, seed
  :data:`~elicit.analysis.aggregates.DEFAULT_SEED`): those of
  ``elicit pool judgments.csv --round N --bootstrap 1000 --seed 12``. They are the
  pools page's own figures, read from its store
  (:func:`elicit.analysis.round_pools.current_pools`) when still current.
- ``consensus``: each round's :func:`elicit.analysis.aggregates.consensus`, as
  the pools page shows it.
- ``scores``: :func:`elicit.analysis.calibration.score` of the last round with
  judgments (``elicit score judgments.csv resolutions.csv --round N``), if a
  judged binary or three-point question has resolved; else no rows.

Rows are plain Python values (as the JSON of :mod:`elicit.analysis.results`
reads back: floats exactly as computed, None for a missing figure), so
:mod:`elicit.analysis.exports` writes them as it writes every table. Each
table also says how it was made (:attr:`Computed.method`), for the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.analysis import aggregates, calibration, round_pools
from elicit.analysis.visibility import visible_rounds
from elicit.judgments.models import Judgment
from elicit.rounds.models import Round
from elicit.studies.models import Question, Study

WHAT = ("aggregates", "consensus", "scores")
"""The computed tables."""


@dataclass(frozen=True)
class Computed:
    """A computed table: its columns, its rows and how it was made.

    ``method`` is the manifest's entry for the file: the function, its
    methods, parameters and seeds, the command that recomputes it from the
    exported files, and notes on what was left out.
    """

    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    method: dict[str, Any]


def computed(
    session: Session, study: Study, what: str, *, through_round: int | None = None
) -> Computed:
    """Return computed table ``what`` (one of :data:`WHAT`) of ``study``.

    Only rounds 1 to ``through_round`` count (None: every round), as in
    :func:`pools` and :func:`scores`.

    Raises
    ------
    ValueError
        If ``what`` is not one of :data:`WHAT`.
    """
    if what == "scores":
        return scores(session, study, through_round=through_round)
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}, not {what!r}")
    pooled, consensus = pools(session, study, through_round=through_round)
    return pooled if what == "aggregates" else consensus


def pools(
    session: Session, study: Study, *, through_round: int | None = None
) -> tuple[Computed, Computed]:
    """Return the aggregates and the consensus statistics of every round with judgments.

    Rounds after ``through_round`` are left out (None: none is). A round's
    pools depend on its own judgments and round 1's only, so the rows of the
    rounds kept are those of every round's, and ``elicit pool`` recomputes
    them from a judgments file that stops at ``through_round``.
    """
    rows: list[dict[str, Any]] = []
    consensus: list[dict[str, Any]] = []
    notes: dict[str, list[str]] = {}
    rounds: list[int] = []
    for round_ in visible_rounds(study.rounds, through_round):
        payload = round_pools.current_pools(session, study, round_)
        if not payload["aggregates"] and not payload["consensus"]:
            continue
        rounds.append(round_.number)
        rows += payload["aggregates"]
        consensus += payload["consensus"]
        if payload["notes"]:
            notes[str(round_.number)] = payload["notes"]
    bootstrap = aggregates.Bootstrap(aggregates.DEFAULT_RESAMPLES, aggregates.DEFAULT_SEED)
    pooled_method = {
        "function": "elicit.analysis.aggregates.pool_round",
        "rounds": rounds,
        "bootstrap": bootstrap.parameters(),
        "methods": _methods(rows),
        "reproduce": (
            f"elicit pool judgments.csv --round N --bootstrap {bootstrap.resamples} "
            f"--seed {bootstrap.seed} --format csv  (N: each of rounds)"
        ),
        "notes": notes,
    }
    consensus_method = {
        "function": "elicit.analysis.aggregates.consensus",
        "rounds": rounds,
        "statistics": list(aggregates.CONSENSUS[2:]),
    }
    return (
        Computed(aggregates.COLUMNS, rows, pooled_method),
        Computed(aggregates.CONSENSUS, consensus, consensus_method),
    )


def scores(session: Session, study: Study, *, through_round: int | None = None) -> Computed:
    """Return the scores of the last round with judgments (no rows if nothing can be scored).

    Rounds after ``through_round`` do not count (None: every round does).
    """
    from elicit.analysis import results

    query = (
        sa.select(sa.func.max(Round.number))
        .join(Judgment, Judgment.round_id == Round.id)
        .join(Question, Question.id == Judgment.question_id)
        .where(Round.study_id == study.id, Question.withdrawn_at.is_(None))
    )
    if through_round is not None:
        query = query.where(Round.number <= through_round)
    last = session.scalar(query)
    found, notes = (
        (None, [])
        if last is None
        else calibration.study_scores(session, study, last, through_round=through_round)
    )
    method: dict[str, Any] = {
        "function": "elicit.analysis.calibration.score",
        "round": last,
        "parameters": {
            "bins": calibration.DEFAULT_BINS,
            "log_score_clip": calibration.LOG_SCORE_CLIP,
        },
        "methods": [],
        "reproduce": None,
        "notes": notes,
    }
    if found is None:
        if last is not None and not notes:
            notes.append("no judged binary or three-point question has resolved")
        return Computed(calibration.SCORE_COLUMNS, [], method)
    rows = results.rows(found.blocks())
    method["parameters"] = found.settings
    method["methods"] = _methods([row for row in rows if row["kind"] == "method"], "name")
    method["reproduce"] = (
        f"elicit score judgments.csv resolutions.csv --round {last} --bins {found.bins} "
        "--format csv"
    )
    method["notes"] = notes + found.notes
    return Computed(calibration.SCORE_COLUMNS, rows, method)


def _methods(rows: list[dict[str, Any]], key: str = "method") -> list[dict[str, Any]]:
    """List each method of ``rows`` once, with its parameters, in the order of the rows."""
    listed: dict[str, dict[str, Any]] = {}
    for row in rows:
        listed.setdefault(row[key], row["parameters"])
    return [{"method": name, "parameters": parameters} for name, parameters in listed.items()]
