"""Calibration and back-test: how well each expert and each pooling method forecast.

One service for every place that shows these figures: ``elicit score`` and
``elicit cooke`` (from files), the analyst's calibration page, its plots and
``elicit report`` (from a study in the database, through
:mod:`elicit.analysis.study_data`). All of them call the functions here, which
call :mod:`elicit.core`, so a figure cannot read differently in two places.

What is scored
--------------
:func:`score` takes a study's judgments and outcomes as the long CSV's arrays.
An expert's probability of a binary question is their ``p``; of a three-point
(``binary_interval``) question, their best estimate. Each expert gets the
Brier score with its decomposition (Murphy's reliability, resolution and
uncertainty, plus Stephenson et al.'s within-bin terms), the log score, the AUC
and the Metaculus peer score over the resolved questions they answered.

The pooling methods are back-tested (:func:`elicit.core.backtest.backtest`):
every pool of :data:`elicit.core.pooling.METHODS` on those probabilities, the
extremized log-odds pool with its factor fitted leave-one-question-out, and,
when every scored question is a three-point one (the repliCATS layout), the
aggreCAT pools of :data:`elicit.core.aggrecat.METHODS` on the three points.
Ranked by Brier score over one set of questions, so the ranking compares like
with like; in a study that mixes the kinds the aggreCAT pools are left out,
and a note says so. A reliability diagram's bins with Wilson intervals are
computed for the panel's forecasts taken together and for each method.

:func:`classical_model` runs Cooke's classical model (calibration and
information scores, weights, the decision maker, and the item and expert
robustness tables) on quantity questions whose true values are known.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from elicit.analysis import aggregates, longform
from elicit.analysis.methods import parameters
from elicit.analysis.results import Block

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from elicit.core.backtest import BacktestResult
    from elicit.core.cooke import ClassicalModel, DecisionMaker, Robustness, Weighting
    from elicit.core.excalibur import ExcaliburStudy
    from elicit.core.scoring import Reliability
    from elicit.studies.models import Study

LOG_SCORE_CLIP = 1e-3
"""Forecasts are clipped to [0.001, 0.999] for log and peer scores: a certain miss stays finite."""

DEFAULT_BINS = 10
"""Equal-width probability bins of the Brier decomposition and the reliability diagram."""

PANEL = "panel"
"""The name of the reliability diagram's row that pools every expert's forecasts together."""

DECOMPOSITION = (
    "reliability",
    "resolution",
    "uncertainty",
    "within_bin_variance",
    "within_bin_covariance",
)
"""The parts of the Brier score, in the order the results list them."""

SCORE_COLUMNS = (
    "kind",
    "name",
    "parameters",
    "n",
    "brier",
    "log_score",
    "auc",
    *DECOMPOSITION,
    "peer_score",
    "rank",
)
"""The columns of :meth:`Scores.blocks`' rows, in the order their CSV has them."""


class ScoringError(ValueError):
    """Why judgments cannot be scored, in words for the person who asked."""


@dataclass(frozen=True)
class ExpertScores:
    """Each expert's scores over the resolved questions they answered (one entry per expert)."""

    names: list[str]
    n: np.ndarray
    brier: np.ndarray
    log_score: np.ndarray
    auc: np.ndarray
    peer_score: np.ndarray
    parts: dict[str, np.ndarray]

    def rows(self) -> list[dict[str, Any]]:
        """Return one dict per expert, in pseudonym order."""
        return [
            {
                "name": name,
                "n": int(self.n[i]),
                "brier": float(self.brier[i]),
                "log_score": float(self.log_score[i]),
                "auc": float(self.auc[i]),
                "peer_score": float(self.peer_score[i]),
            }
            | {part: float(values[i]) for part, values in self.parts.items()}
            for i, name in enumerate(self.names)
        ]


@dataclass(frozen=True)
class Scores:
    """Everything :func:`score` found: experts, ranked methods and reliability bins.

    Attributes
    ----------
    questions : list of str
        The scored questions' ids (resolved, not annulled, with a forecast).
    experts : ExpertScores
    backtest : BacktestResult
        The methods, best first.
    method_peer_score : ndarray
        Each ranked method's mean peer score against the panel's forecasts.
    method_parameters : list of dict
        Each ranked method's parameters.
    reliability : Reliability
        Rows: :data:`PANEL` (every expert's forecast), then each ranked method.
    reliability_names : list of str
    bins : int
    notes : list of str
        What was left out and why.
    """

    questions: list[str]
    experts: ExpertScores
    backtest: BacktestResult
    method_peer_score: np.ndarray
    method_parameters: list[dict[str, Any]]
    reliability: Reliability
    reliability_names: list[str]
    bins: int
    notes: list[str] = field(default_factory=list)

    @property
    def settings(self) -> dict[str, object]:
        """The scoring's own parameters, recorded with every row."""
        return {"bins": self.bins, "log_score_clip": LOG_SCORE_CLIP}

    def method_rows(self) -> list[dict[str, Any]]:
        """Return one dict per method, best first, with its rank, scores and parameters."""
        rows: list[dict[str, Any]] = list(self.backtest.rows())
        for row, peer, own in zip(
            rows, self.method_peer_score, self.method_parameters, strict=True
        ):
            row["peer_score"] = float(peer)
            row["parameters"] = self.settings | own
        return rows

    def reliability_rows(self, name: str) -> list[dict[str, float | int]]:
        """Return the reliability diagram's non-empty bins of the row ``name``."""
        r = self.reliability
        g = self.reliability_names.index(name)
        return [
            {
                "low": float(r.edges[k]),
                "high": float(r.edges[k + 1]),
                "n": int(r.count[g, k]),
                "mean_forecast": float(r.mean_forecast[g, k]),
                "observed": float(r.observed_frequency[g, k]),
                "lower": float(r.lower[g, k]),
                "upper": float(r.upper[g, k]),
            }
            for k in range(r.edges.size - 1)
            if r.count[g, k]
        ]

    def blocks(self) -> list[Block]:
        """Return the result as the offline commands write it: expert rows, then method rows."""
        e = self.experts
        scored = np.flatnonzero(e.n)
        blocks = [
            Block(
                scored.size,
                {
                    "kind": "expert",
                    "name": [e.names[i] for i in scored.tolist()],
                    "parameters": self.settings,
                    "n": e.n[scored],
                    "brier": e.brier[scored],
                    "log_score": e.log_score[scored],
                    "auc": e.auc[scored],
                }
                | {part: e.parts[part][scored] for part in DECOMPOSITION}
                | {"peer_score": e.peer_score[scored]},
            )
        ]
        n_scored = int(self.backtest.scored.sum())
        for row in self.method_rows():
            blocks.append(
                Block(
                    1,
                    {
                        "kind": "method",
                        "name": row.pop("method"),
                        "parameters": row.pop("parameters"),
                        "n": n_scored,
                        "rank": row.pop("rank"),
                    }
                    | row,
                )
            )
        return blocks


@dataclass(frozen=True)
class _Fixed:
    """A pool whose forecasts were computed beforehand (an aggreCAT pool of three points).

    The back-test hands every pool the probabilities; aggreCAT's pools need the
    lower and upper points too, so they are run first and this returns their result.
    """

    forecasts: np.ndarray

    def __call__(self, values: object, groups: object, n_groups: int) -> np.ndarray:
        """Return the precomputed forecasts."""
        return self.forecasts


def score(
    table: longform.Judgments,
    outcomes: longform.Outcomes,
    *,
    full: longform.Judgments | None = None,
    bins: int = DEFAULT_BINS,
) -> Scores:
    """Score every expert and back-test every pooling method (see the module docstring).

    Parameters
    ----------
    table : Judgments
        The judgments scored: one round, or each expert's last.
    outcomes : Outcomes
        Of ``table.questions``: 1, 0, NaN (unresolved); quantities' values are ignored.
    full : Judgments, optional
        Every round, for the aggreCAT pools that weigh how experts moved since round 1.
    bins : int
        Bins of the Brier decomposition and reliability diagram.

    Raises
    ------
    ScoringError
        No probability to score, an outcome of a binary question that is not 0
        or 1, or no judged question resolved.
    longform.FormatError
        A three-point judgment that is incomplete or out of order.
    """
    from elicit.core import aggrecat, pooling
    from elicit.core.backtest import ExtremizedPool, backtest
    from elicit.core.scoring import (
        grouped_auc,
        grouped_brier_decomposition,
        grouped_mean_score,
        grouped_reliability,
        log_score,
    )

    rows = (table.kind == longform.P) | (table.kind == longform.BEST)
    values, groups, experts = table.value[rows], table.question[rows], table.expert[rows]
    if not values.size:
        raise ScoringError("no probabilities (p, or the best of three points) to score")
    n_questions = len(table.questions)
    judged = np.bincount(groups, minlength=n_questions) > 0
    notes = []
    if outcomes.annulled.any():
        names = ", ".join(repr(table.questions[q]) for q in np.flatnonzero(outcomes.annulled))
        notes.append(f"annulled, so not scored: {names}")
    outcome = np.where(judged, outcomes.value, np.nan)
    bad = np.flatnonzero(~np.isnan(outcome) & (outcome != 0) & (outcome != 1))
    if bad.size:
        raise ScoringError(
            f"outcome of binary question {table.questions[bad[0]]!r} is "
            f"{outcome[bad[0]]:g}, not yes or no (1 or 0)"
        )
    keep = ~np.isnan(outcome)[groups]
    if not keep.any():
        raise ScoringError("none of the judged questions has an outcome")
    p, o, who, where = values[keep], outcome[groups[keep]], experts[keep], groups[keep]
    n_experts = len(table.experts)
    parts = grouped_brier_decomposition(p, o, who, n_experts, bins=bins)
    scored = np.flatnonzero(~np.isnan(outcome))
    at = np.full(n_questions, -1)
    at[scored] = np.arange(scored.size)
    peers = _peer_scores(p, at[where], outcome[scored])
    usable = ~np.isnan(peers)
    expert_scores = ExpertScores(
        names=list(table.experts),
        n=parts.count,
        brier=parts.brier,
        log_score=grouped_mean_score(log_score(p, o, clip=LOG_SCORE_CLIP), who, n_experts),
        auc=grouped_auc(p, o, who, n_experts),
        peer_score=grouped_mean_score(peers[usable], who[usable], n_experts),
        parts={name: getattr(parts, name) for name in DECOMPOSITION},
    )

    times = None if table.time is None else table.time[rows]
    methods: dict[str, Any] = dict(pooling.METHODS) | {
        "recency_weighted_median": functools.partial(
            pooling.recency_weighted_median_pool, times=times
        ),
        "extremized_log_odds_fitted": ExtremizedPool(pooling.log_odds_pool),
    }
    own: dict[str, dict[str, Any]] = {
        name: parameters(function) for name, function in pooling.METHODS.items()
    }
    own["recency_weighted_median"]["recency"] = (
        "time column" if table.time is not None else "row order"
    )
    point_questions = np.bincount(
        table.question[table.kind == longform.BEST], minlength=n_questions
    )
    if (point_questions[scored] > 0).all():
        found = _aggrecat_forecasts(table, full, n_questions, notes)
        for name, forecast in found.items():
            if np.isnan(forecast[scored]).any():
                notes.append(f"{name} gives no forecast of some scored claims; left out")
                continue
            methods[name] = _Fixed(forecast)
            own[name] = parameters(aggrecat.METHODS[name])
    elif point_questions.any():
        notes.append(
            "the aggreCAT pools are not back-tested: some scored questions are not three-point"
        )
    result = backtest(values, groups, n_questions, outcome, methods, bins=bins, clip=LOG_SCORE_CLIP)
    forecasts = result.forecasts[:, result.scored]
    n_methods = len(result.methods)
    method_peers = np.array(
        [
            np.mean(
                _peer_scores(
                    forecasts[m], np.arange(scored.size), outcome[scored], panel=(p, at[where])
                )
            )
            for m in range(n_methods)
        ]
    )
    row_names = [PANEL, *result.methods]
    reliability = grouped_reliability(
        np.concatenate([p, forecasts.ravel()]),
        np.concatenate([o, np.tile(outcome[scored], n_methods)]),
        np.concatenate(
            [np.zeros(p.size, dtype=np.intp), np.repeat(np.arange(n_methods) + 1, scored.size)]
        ),
        len(row_names),
        bins=bins,
    )
    return Scores(
        questions=[table.questions[q] for q in scored.tolist()],
        experts=expert_scores,
        backtest=result,
        method_peer_score=method_peers,
        method_parameters=[own.get(name, {}) for name in result.methods],
        reliability=reliability,
        reliability_names=row_names,
        bins=bins,
        notes=notes,
    )


def _peer_scores(
    p: np.ndarray,
    question: np.ndarray,
    outcome: np.ndarray,
    panel: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Peer score of each forecast against the others (or against ``panel``) on its question."""
    from elicit.core.scoring import peer_score

    if panel is None:
        return peer_score(p, question, outcome, clip=LOG_SCORE_CLIP)
    return peer_score(
        p,
        question,
        outcome,
        panel_probability=panel[0],
        panel_questions=panel[1],
        clip=LOG_SCORE_CLIP,
    )


def _aggrecat_forecasts(
    table: longform.Judgments,
    full: longform.Judgments | None,
    n_questions: int,
    notes: list[str],
) -> dict[str, np.ndarray]:
    """Run every aggreCAT pool on the three-point judgments of ``table``.

    The Shift methods need each judgment's round-1 values from ``full``; they
    are left out (with a note) when there is no later round or a judgment has none.
    """
    points, groups, experts = longform.three_points(table)
    round1 = None if full is None else aggregates.round_one(full, groups, experts)
    return {
        name: np.asarray(
            aggregates.aggrecat_pool(
                name, points, groups, n_questions, experts=experts, round1=round1
            ),
            dtype=float,
        )
        for name in aggregates.aggrecat_methods(lambda _: True, round1, notes)
    }


# --- Cooke's classical model -------------------------------------------------------------------


@dataclass(frozen=True)
class Cooke:
    """Cooke's classical model on one study: experts, decision maker, robustness.

    Attributes
    ----------
    experts, items : list of str
        Expert ids and item (question) ids, in the arrays' order.
    realizations : ndarray, shape (n_items,)
        NaN for a target item.
    levels : ndarray
        The quantile levels.
    weighting : str
        ``global``, ``item``, ``equal`` or ``user``.
    model : ClassicalModel or None
        The performance-weighted model (None for equal or user weights).
    dm : DecisionMaker
    parameters : dict
    item_robustness, expert_robustness : Robustness or None
        When asked for and defined (two seeds, two experts).
    answers : ndarray, shape (n_experts, n_items, n_levels)
    notes : list of str
    """

    experts: list[str]
    items: list[str]
    realizations: np.ndarray
    levels: np.ndarray
    weighting: str
    model: ClassicalModel | None
    dm: DecisionMaker
    parameters: dict[str, object]
    answers: np.ndarray
    item_robustness: Robustness | None = None
    expert_robustness: Robustness | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def method(self) -> str:
        """The method's name in result rows."""
        return f"cooke_{self.weighting}"

    @property
    def seeds(self) -> list[str]:
        """The seed (calibration) items' ids."""
        return [self.items[i] for i in np.flatnonzero(~np.isnan(self.realizations)).tolist()]

    def blocks(self) -> list[Block]:
        """Return the rows ``elicit cooke`` writes: experts, the decision maker, its quantiles."""
        params, method, dm = self.parameters, self.method, self.dm
        blocks = []
        if self.model is not None:
            m = self.model
            blocks.append(
                Block(
                    len(self.experts),
                    {
                        "record": "expert",
                        "method": method,
                        "parameters": params,
                        "name": list(self.experts),
                        "calibration": m.calibration,
                        "information_seeds": m.information_seeds,
                        "information_all": m.information_all,
                        "combined": m.combined,
                        "weight": m.weights,
                    },
                )
            )
        blocks.append(
            Block(
                1,
                {
                    "record": "decision_maker",
                    "method": method,
                    "parameters": params,
                    "name": "DM",
                    "calibration": dm.calibration,
                    "information_seeds": dm.information_seeds,
                    "information_all": dm.information_all,
                    "combined": dm.combined,
                },
            )
        )
        blocks.append(
            Block(
                len(self.items),
                {
                    "record": "dm_quantiles",
                    "method": method,
                    "parameters": params,
                    "name": list(self.items),
                }
                | {
                    f"q{level * 100:g}": dm.quantiles[:, i]
                    for i, level in enumerate(self.levels.tolist())
                }
                | {"realization": self.realizations},
            )
        )
        for record, table, ids in (
            ("item_robustness", self.item_robustness, self.items),
            ("expert_robustness", self.expert_robustness, self.experts),
        ):
            if table is not None:
                blocks.append(
                    Block(
                        table.left_out.size,
                        {
                            "record": record,
                            "method": method,
                            "parameters": params,
                            "name": [ids[i] for i in table.left_out.tolist()],
                            "calibration": table.calibration,
                            "information_seeds": table.information_seeds,
                            "information_all": table.information_all,
                            "combined": table.combined,
                            "alpha": table.alpha,
                        },
                    )
                )
        return blocks


def classical_model(
    answers: np.ndarray,
    realizations: np.ndarray,
    levels: np.ndarray,
    log_scale: np.ndarray | None,
    *,
    experts: Sequence[str],
    items: Sequence[str],
    weighting: str = "global",
    alpha: float | None = None,
    overshoot: float | None = None,
    user_weights: Mapping[str, float] | None = None,
    robustness: bool = False,
) -> Cooke:
    """Run Cooke's classical model (or an equal- or user-weight decision maker).

    ``weighting`` is ``global`` or ``item`` (performance weights, ``alpha``
    optimised unless given), ``equal``, or ``user`` with ``user_weights`` (one
    per expert id). With ``robustness``, the decision maker is recomputed with
    each seed item and each expert left out (where two of them exist).

    Raises
    ------
    ValueError
        As :func:`elicit.core.cooke.classical_model`, or an alpha with equal
        or user weights.
    """
    from elicit.core import cooke

    k = cooke.DEFAULT_OVERSHOOT if overshoot is None else overshoot
    if weighting in ("equal", "user") and alpha is not None:
        raise ValueError(
            f"alpha applies to global and item weighting; {weighting} weighting has none"
        )
    args = (answers, realizations, levels, log_scale)
    model = None
    if weighting == "equal":
        dm = cooke.equal_weight_dm(*args, overshoot=k)
    elif weighting == "user":
        given = np.array([(user_weights or {})[e] for e in experts], dtype=float)
        dm = cooke.user_weight_dm(*args[:3], given, log_scale, overshoot=k)
    else:
        chosen: Weighting = "item" if weighting == "item" else "global"
        model = cooke.classical_model(*args, weighting=chosen, alpha=alpha, overshoot=k)
        dm = model.dm
    params: dict[str, object] = {
        "weighting": weighting,
        "alpha": None if model is None else model.alpha,
        "alpha_optimised": alpha is None and model is not None,
        "overshoot": k,
    } | ({"weights": dict(user_weights)} if user_weights else {})
    notes: list[str] = []
    tables: dict[str, Robustness | None] = {"item": None, "expert": None}
    if robustness and model is not None:
        for name, function in (
            ("item", cooke.item_robustness),
            ("expert", cooke.expert_robustness),
        ):
            try:
                tables[name] = function(
                    *args,
                    weighting=chosen,
                    alpha=alpha,
                    overshoot=k,
                )
            except ValueError as error:
                notes.append(f"no {name} robustness table: {error}")
    return Cooke(
        experts=list(experts),
        items=list(items),
        realizations=np.asarray(realizations, dtype=float),
        levels=np.asarray(levels, dtype=float),
        weighting=weighting,
        model=model,
        dm=dm,
        parameters=params,
        answers=np.asarray(answers, dtype=float),
        item_robustness=tables["item"],
        expert_robustness=tables["expert"],
        notes=notes,
    )


def read_excalibur(dtt: Path, rls: Path) -> ExcaliburStudy:
    """Read an EXCALIBUR study (``STUDY.dtt`` and ``STUDY.rls``).

    Raises
    ------
    ValueError
        On a file EXCALIBUR's format does not allow.
    """
    from elicit.core import excalibur

    return excalibur.read_excalibur(dtt, rls)


def excalibur_model(
    study: ExcaliburStudy,
    *,
    weighting: str = "global",
    alpha: float | None = None,
    overshoot: float | None = None,
    user_weights: Mapping[str, float] | None = None,
) -> Cooke:
    """Run :func:`classical_model` on an EXCALIBUR study read by :func:`read_excalibur`.

    Raises
    ------
    ValueError
        As :func:`classical_model`.
    """
    return classical_model(
        study.answers,
        study.realizations,
        study.quantiles,
        study.log_scale,
        experts=study.expert_ids,
        items=study.item_ids,
        weighting=weighting,
        alpha=alpha,
        overshoot=overshoot,
        user_weights=user_weights,
    )


# --- a study in the database -------------------------------------------------------------------


@dataclass(frozen=True)
class StudyCalibration:
    """A study's calibration report: what :func:`for_study` found.

    ``scores`` is None when no judged binary question has resolved; ``cooke``
    when no quantity question has a known true value (or the model is undefined:
    ``notes`` say why).
    """

    round: int | None
    scores: Scores | None
    cooke: Cooke | None
    table: longform.Judgments
    full: longform.Judgments
    quantities: dict[str, QuantityQuestion]
    notes: list[str] = field(default_factory=list)

    def quantity_view(self, key: str) -> QuantityView:
        """Return :func:`quantity_view` of the quantity question ``key`` (KeyError if none)."""
        question = self.quantities[key]
        return quantity_view(
            self.table, key, lower=question.lower, upper=question.upper, unit=question.unit
        )


@dataclass(frozen=True)
class QuantityQuestion:
    """What the plots need to know of a quantity question: its title, bounds and unit."""

    title: str
    lower: float | None
    upper: float | None
    unit: str | None


def for_study(
    session: Session,
    study: Study,
    round_: int | None = None,
    *,
    bins: int = DEFAULT_BINS,
    through_round: int | None = None,
) -> StudyCalibration:
    """Score ``study``'s judgments of round ``round_`` (default: each expert's last).

    Only rounds 1 to ``through_round`` are read (None: every round), so
    "each expert's last" is their last round within it.

    Binary and three-point questions are scored by :func:`score`. Cooke's model
    runs on the quantity questions that share the calibration questions' quantile
    levels: calibration questions whose true value is known (their realization,
    or their resolution) are the seeds, the others the targets; experts who
    answered no seed are left out of it (a note says so).
    """
    from elicit.studies.models import QuestionKind

    full, table, outcomes, by_key, binary = _study_arrays(session, study, round_, through_round)
    notes: list[str] = []
    scores = _resolved_scores(table, full, outcomes, binary, bins, notes)
    cooke = _study_cooke(table, outcomes, by_key, notes)
    return StudyCalibration(
        round=round_,
        scores=scores,
        cooke=cooke,
        table=table,
        full=full,
        quantities={
            k: QuantityQuestion(q.title, q.lower_bound, q.upper_bound, q.unit)
            for k, q in by_key.items()
            if q.kind is QuestionKind.QUANTITY and k in table.questions
        },
        notes=notes,
    )


def study_scores(
    session: Session,
    study: Study,
    round_: int | None = None,
    *,
    bins: int = DEFAULT_BINS,
    through_round: int | None = None,
) -> tuple[Scores | None, list[str]]:
    """Score ``study``'s judgments of round ``round_`` as :func:`for_study` does, without Cooke.

    Returns the scores (None when no judged binary question has resolved, or
    they cannot be computed) and notes saying what was left out and why.
    """
    full, table, outcomes, _, binary = _study_arrays(session, study, round_, through_round)
    notes: list[str] = []
    return _resolved_scores(table, full, outcomes, binary, bins, notes), notes


def _study_arrays(
    session: Session, study: Study, round_: int | None, through_round: int | None
) -> tuple[Any, ...]:
    """Read what scoring round ``round_`` needs, of rounds 1 to ``through_round``.

    Returns every such round's judgments, the round's, the outcomes of its
    questions, the questions by key, and which of its questions are binary
    (or three-point).
    """
    from elicit.analysis import study_data
    from elicit.studies.models import QuestionKind

    questions = study_data.study_questions(session, study)
    full = study_data.judgments(session, study, questions, through_round=through_round)
    table = full.select(round_)
    outcomes = study_data.outcomes(session, study, table.questions)
    by_key = {q.key: q for q in questions}
    binary = np.array(
        [by_key[k].kind is not QuestionKind.QUANTITY for k in table.questions], dtype=bool
    )
    return full, table, outcomes, by_key, binary


def _resolved_scores(
    table: longform.Judgments,
    full: longform.Judgments,
    outcomes: longform.Outcomes,
    binary: np.ndarray,
    bins: int,
    notes: list[str],
) -> Scores | None:
    """Score the binary questions (``binary``) if any has resolved; a note if none can be."""
    resolved = binary & ~np.isnan(outcomes.value)
    if not resolved.any():
        return None
    kept = longform.Outcomes(np.where(binary, outcomes.value, np.nan), outcomes.annulled)
    try:
        return score(table, kept, full=full, bins=bins)
    except ScoringError as error:
        notes.append(str(error))
        return None


def _study_cooke(
    table: longform.Judgments,
    outcomes: longform.Outcomes,
    by_key: Mapping[str, Any],
    notes: list[str],
) -> Cooke | None:
    """Run the classical model on a study's quantity questions, if it has seeds."""
    from elicit.studies.models import QuestionKind as kind
    from elicit.studies.models import Scale as scale

    seeds = [
        k
        for i, k in enumerate(table.questions)
        if by_key[k].kind is kind.QUANTITY
        and by_key[k].calibration
        and not np.isnan(outcomes.value[i])
    ]
    if not seeds:
        return None
    levels = tuple(by_key[seeds[0]].quantiles or [])
    items = [
        i
        for i, k in enumerate(table.questions)
        if by_key[k].kind is kind.QUANTITY and tuple(by_key[k].quantiles or []) == levels
    ]
    found, grid = longform.quantiles(table)
    columns = [int(np.flatnonzero(found == level)[0]) for level in levels]
    answers = grid[:, items][:, :, columns]
    realizations = np.array(
        [outcomes.value[i] if table.questions[i] in seeds else np.nan for i in items]
    )
    seed_items = ~np.isnan(realizations)
    answered = ~np.isnan(answers).any(axis=2)
    experts = np.flatnonzero(answered[:, seed_items].any(axis=1))
    if experts.size < answers.shape[0]:
        left = [table.experts[e] for e in np.flatnonzero(~answered[:, seed_items].any(axis=1))]
        notes.append(
            f"answered no calibration question, so not in Cooke's model: {', '.join(left)}"
        )
    if not experts.size:
        return None
    log_scale = np.array([by_key[table.questions[i]].scale is scale.LOG for i in items])
    try:
        return classical_model(
            answers[experts],
            realizations,
            np.array(levels, dtype=float),
            log_scale,
            experts=[table.experts[e] for e in experts.tolist()],
            items=[table.questions[i] for i in items],
            robustness=True,
        )
    except ValueError as error:
        notes.append(f"Cooke's model is undefined here: {error}")
        return None


# --- rounds and quantities, for the plots ------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How a study's answers moved from round to round.

    Attributes
    ----------
    rounds : ndarray of int
        The round numbers with judgments.
    answers : ndarray of int
        Judgments (one per expert and question) in each round.
    questions : list of str
        The probability questions (``p`` or the best of three points).
    median, q25, q75 : ndarray, shape (n_questions, n_rounds)
        Each question's panel median and quartiles per round; NaN where unanswered.
    """

    rounds: np.ndarray
    answers: np.ndarray
    questions: list[str]
    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray

    @property
    def iqr(self) -> np.ndarray:
        """Each question's interquartile range per round (the panel's spread)."""
        return self.q75 - self.q25


def progress(full: longform.Judgments) -> Progress:
    """Count each round's judgments and summarise each probability question by round.

    A judgment is one expert's answer to one question in one round: its ``p``,
    its best estimate, or its median quantile (counted once, whatever its elements).
    """
    from elicit.core.sorting import grouped_quantiles

    rounds = np.unique(full.round)
    n_rounds, n_questions = rounds.size, len(full.questions)
    at = np.searchsorted(rounds, full.round)
    cells = np.unique((at * n_questions + full.question) * len(full.experts) + full.expert)
    answers = np.bincount(cells // (n_questions * len(full.experts)), minlength=n_rounds)
    rows = (full.kind == longform.P) | (full.kind == longform.BEST)
    asked = np.unique(full.question[rows])
    index = np.searchsorted(asked, full.question[rows])
    stats = grouped_quantiles(
        full.value[rows], index * n_rounds + at[rows], asked.size * n_rounds, [0.5, 0.25, 0.75]
    ).reshape(asked.size, n_rounds, 3)
    return Progress(
        rounds=rounds,
        answers=answers,
        questions=[full.questions[q] for q in asked.tolist()],
        median=stats[:, :, 0],
        q25=stats[:, :, 1],
        q75=stats[:, :, 2],
    )


@dataclass(frozen=True)
class QuantityView:
    """One quantity question: each expert's quantiles and fitted distribution, and their pool.

    SHELF's picture: every expert's fitted CDF beside the linear pool of them.

    Attributes
    ----------
    question : str
    experts : list of str
    levels : ndarray, shape (k,)
    values : ndarray, shape (n_experts, k)
        Each expert's quantiles.
    families : list of str
        Each expert's best-fitting family.
    x : ndarray, shape (m,)
        Where the CDFs are evaluated.
    expert_cdf : ndarray, shape (n_experts, m)
    pooled_cdf : ndarray, shape (m,)
        The equal-weight linear pool of the fitted distributions.
    unit : str or None
    """

    question: str
    experts: list[str]
    levels: np.ndarray
    values: np.ndarray
    families: list[str]
    x: np.ndarray
    expert_cdf: np.ndarray
    pooled_cdf: np.ndarray
    unit: str | None = None


def quantity_view(
    table: longform.Judgments,
    question: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    unit: str | None = None,
    points: int = 200,
) -> QuantityView:
    """Fit every expert's quantiles of ``question`` (SHELF's families) and pool them linearly.

    Raises
    ------
    ValueError
        If ``question`` has no complete quantile judgment in ``table``, or as
        :func:`elicit.core.distributions.fit_quantiles`.
    """
    from elicit.core import distributions

    if question not in table.questions:
        raise ValueError(f"question {question!r} has no judgments")
    q = table.questions.index(question)
    levels, grid = longform.quantiles(table.take(table.question == q))
    values = grid[:, q]
    complete = np.flatnonzero(~np.isnan(values).any(axis=1)) if levels.size else np.zeros(0, int)
    if not complete.size:
        raise ValueError(f"question {question!r} has no quantile judgments")
    values = values[complete]
    low = -np.inf if lower is None else lower
    high = np.inf if upper is None else upper
    fitted = distributions.fit_quantiles(values, levels, low, high)
    codes, params, lo, hi = fitted.distributions()
    span = values.max() - values.min() or abs(values.max()) or 1.0
    start = max(values.min() - 0.25 * span, low) if np.isfinite(low) else values.min() - 0.25 * span
    stop = (
        min(values.max() + 0.25 * span, high) if np.isfinite(high) else values.max() + 0.25 * span
    )
    x = np.linspace(start, stop, points)
    n = complete.size
    expert_cdf = distributions.distribution_cdf(
        np.broadcast_to(x, (n, points)), codes, params, lo, hi
    )
    pooled = distributions.linear_pool_cdf(x, codes, params, lo, hi, np.zeros(n, dtype=np.intp), 1)
    return QuantityView(
        question=question,
        experts=[table.experts[e] for e in complete.tolist()],
        levels=levels,
        values=values,
        families=[str(f) for f in fitted.best_family.tolist()],
        x=x,
        expert_cdf=expert_cdf,
        pooled_cdf=pooled[0],
        unit=unit,
    )
