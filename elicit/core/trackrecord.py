r"""Track-record weighting: pool binary forecasts with weights earned on questions resolved earlier.

An expert's weight on a forecast made at time :math:`t` comes only from how
well that expert forecast the questions whose outcomes were known before
:math:`t` (resolved strictly before it). Nothing resolved at or after
:math:`t` can move that weight, so a back-test of the weighted pool over a
study's history (:func:`track_record_backtest`) is free of look-ahead: each
question's pooled forecast is the one that could have been computed when its
forecasts were made.

The inputs are the grouped layout of :mod:`elicit.core.layout` with two more
columns, one entry per judgment:

``values``
    probabilities in [0, 1];
``questions``
    the question index of each judgment, in ``[0, n_questions)``;
``experts``
    the expert index of each judgment (non-negative integers; the same index is
    the same person, whichever study a question comes from);
``times``
    when each judgment was made (any increasing clock, such as microseconds
    since 1970);

and, per question, ``outcomes`` (1, 0, or NaN while unresolved or annulled)
and ``resolved_at``, when the outcome became known, on the clock of ``times``.

The steps, each a function of its own:

1. :func:`scored_forecasts`: each expert's score on each resolved question,
   taken on the expert's last forecast made strictly before the question
   resolved (a judgment made once the outcome was known is not a forecast).
2. :func:`as_of_record`: for every judgment, how many such scores its expert
   had earned on *other* questions resolved strictly before the judgment's
   time, and their mean.
3. :func:`track_record_weights`: the weights, from that record, with a minimum
   number of resolved questions and shrinkage towards equal weights.
4. :func:`track_record_pool` pools with them; :func:`track_record_backtest`
   scores the weighted pools against the equal-weight ones.

Defaults
--------
``minimum`` = :data:`DEFAULT_MINIMUM` (5) resolved questions before a record
counts at all, ``shrinkage`` :math:`k` = :data:`DEFAULT_SHRINKAGE` (10), so a
record of :math:`n` questions carries :math:`n / (n + k)` of the weight (a
third at 5, half at 10, three quarters at 30), and ``sharpness``
:math:`\eta` = :data:`DEFAULT_SHARPNESS` (2): an expert whose mean Brier score
is 0.1 (0.4 of always saying 50 %) earns :math:`e^{-0.8}/e^{-2} \approx 3.3`
times the skill of one who scores like a coin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .backtest import BacktestResult, backtest
from .layout import check_real, check_whole, grouped_input
from .pooling import METHODS, pool
from .scoring import brier_score, log_score

REFERENCE_SCORES = {"brier": 0.25, "log": float(np.log(2.0))}
"""Each score's value for always forecasting 50 %: the unit a mean score is measured in."""

DEFAULT_MINIMUM = 5
"""Resolved questions an expert needs before their record weighs anything."""

DEFAULT_SHRINKAGE = 10.0
"""The :math:`k` of the shrinkage :math:`n / (n + k)` towards equal weights."""

DEFAULT_SHARPNESS = 2.0
r"""The :math:`\eta` of the skill :math:`\exp(-\eta\,\bar S / S_{50\%})`."""

LOG_CLIP = 1e-3
"""Probabilities are clipped to [0.001, 0.999] for log scores, so one certain miss is finite."""

WEIGHTED_PREFIX = "track_record_"
"""The back-test's name of a pool run with track-record weights (``track_record_linear``)."""

EQUAL_WEIGHT_POOLS = tuple(name for name in METHODS if name != "recency_weighted_median")
"""The equal-weight pools the back-test compares with (every pool that needs no times)."""

WEIGHTED_POOLS = ("linear", "log_odds", "median")
"""The pools the back-test also runs with track-record weights."""


class ScoredForecasts(NamedTuple):
    """One score per expert and resolved question, ordered by expert, resolution time, question.

    Attributes
    ----------
    expert, question : ndarray of intp
    resolved_at : ndarray of float
        When the question resolved.
    score : ndarray of float
        The score of the expert's last forecast before that (lower is better).
    """

    expert: NDArray[np.intp]
    question: NDArray[np.intp]
    resolved_at: NDArray[np.float64]
    score: NDArray[np.float64]


_Judged = tuple[ArrayLike, ArrayLike, ArrayLike, ArrayLike, int, ArrayLike, ArrayLike]
"""Judgments and outcomes as :func:`scored_forecasts` takes them: values, questions, experts,
times, n_questions, outcomes, resolved_at."""


class AsOfRecord(NamedTuple):
    """Each judgment's expert's record as of the judgment's time.

    Attributes
    ----------
    count : ndarray of intp, shape (n,)
        Other questions the expert had a scored forecast on, resolved strictly
        before the judgment was made.
    mean : ndarray of float, shape (n,)
        Their mean score; NaN where ``count`` is 0.
    """

    count: NDArray[np.intp]  # type: ignore[assignment]  # shadows tuple.count; callers read it
    mean: NDArray[np.float64]


def _judgments(
    values: ArrayLike,
    questions: ArrayLike,
    experts: ArrayLike,
    times: ArrayLike,
    n_questions: int,
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Check the judgment columns; name the first bad entry."""
    p, q = grouped_input(values, questions, n_questions)
    outside = np.flatnonzero((p < 0) | (p > 1))
    if outside.size:
        raise ValueError(f"values[{outside[0]}] = {p[outside[0]]} is outside [0, 1]")
    e = np.asarray(experts)
    if e.shape != p.shape:
        raise ValueError(f"experts must have shape {p.shape}, got {e.shape}")
    if e.size and not np.issubdtype(e.dtype, np.integer):
        raise ValueError(f"experts must be integers, got dtype {e.dtype}")
    if e.size and e.min() < 0:
        bad = np.flatnonzero(e < 0)[0]
        raise ValueError(f"experts[{bad}] = {e[bad]} is negative")
    t = np.asarray(times, dtype=float)
    if t.shape != p.shape:
        raise ValueError(f"times must have shape {p.shape}, got {t.shape}")
    if not np.isfinite(t).all():
        bad = np.flatnonzero(~np.isfinite(t))[0]
        raise ValueError(f"times[{bad}] is {t[bad]}, not a finite number")
    return p, q, e.astype(np.intp, copy=False), t


def _resolutions(
    outcomes: ArrayLike, resolved_at: ArrayLike, n_questions: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Check per-question outcomes (0, 1, NaN) and resolution times (a number where resolved)."""
    o = np.asarray(outcomes, dtype=float)
    r = np.asarray(resolved_at, dtype=float)
    for name, column in (("outcomes", o), ("resolved_at", r)):
        if column.shape != (n_questions,):
            raise ValueError(f"{name} must have shape ({n_questions},), got {column.shape}")
    bad = np.flatnonzero(~np.isnan(o) & (o != 0) & (o != 1))
    if bad.size:
        raise ValueError(f"outcomes[{bad[0]}] = {o[bad[0]]} is not 0, 1 or NaN (unresolved)")
    bad = np.flatnonzero(~np.isnan(o) & np.isnan(r))
    if bad.size:
        raise ValueError(f"question {bad[0]} has an outcome but no resolved_at")
    return o, r


def _score_name(score: str) -> str:
    if score not in REFERENCE_SCORES:
        raise ValueError(f"score must be one of {', '.join(REFERENCE_SCORES)}, got {score!r}")
    return score


def _scores(
    p: NDArray[np.float64], o: NDArray[np.float64], score: str, clip: float
) -> NDArray[np.float64]:
    if score == "brier":
        return brier_score(p, o)
    return log_score(p, o, clip)


def scored_forecasts(
    values: ArrayLike,
    questions: ArrayLike,
    experts: ArrayLike,
    times: ArrayLike,
    n_questions: int,
    outcomes: ArrayLike,
    resolved_at: ArrayLike,
    *,
    score: str = "brier",
    clip: float = LOG_CLIP,
) -> ScoredForecasts:
    r"""Each expert's score on each resolved question, on their last forecast before it resolved.

    For expert :math:`e` and question :math:`q` resolved at :math:`r_q` with
    outcome :math:`o_q`, the forecast scored is the expert's latest judgment
    with :math:`t_i < r_q` (judgments tied at that time: their scores' mean),

    .. math:: S_{eq} = (p_i - o_q)^2 \ \text{(Brier)} \quad\text{or}\quad
              S_{eq} = -\ln \tilde p_{i,o_q} \ \text{(log)},

    :math:`\tilde p` clipped to ``[clip, 1 - clip]``. Judgments made at or
    after the resolution are never scored: they were not forecasts.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    questions : array_like of int, shape (n,)
        Question index of each judgment, in ``[0, n_questions)``.
    experts : array_like of int, shape (n,)
        Expert index of each judgment (non-negative).
    times : array_like of float, shape (n,)
        When each judgment was made.
    n_questions : int
        Number of questions.
    outcomes : array_like of float, shape (n_questions,)
        1, 0, or NaN (unresolved or annulled: never scored).
    resolved_at : array_like of float, shape (n_questions,)
        When each outcome became known; any value (NaN) where unresolved.
    score : {"brier", "log"}, default "brier"
        The score: Brier or log (natural log, as a loss).
    clip : float, default :data:`LOG_CLIP`
        Clipping for the log score (unused for Brier).

    Returns
    -------
    ScoredForecasts
        Ordered by expert, then resolution time, then question.

    Raises
    ------
    ValueError
        On a probability outside [0, 1], a bad index, time, outcome or shape
        (naming the first bad entry), a resolved question without
        ``resolved_at``, an unknown ``score`` or a bad ``clip``.

    See Also
    --------
    as_of_record : the scores an expert had earned by a given time.
    elicit.core.scoring.brier_score, elicit.core.scoring.log_score

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of probability",
    *Monthly Weather Review* 78(1), 1-3, 1950; I. J. Good, "Rational decisions",
    *Journal of the Royal Statistical Society B* 14(1), 107-114, 1952.
    """
    p, q, e, t = _judgments(values, questions, experts, times, n_questions)
    o, r = _resolutions(outcomes, resolved_at, n_questions)
    score = _score_name(score)
    if not 0 <= check_real("clip", clip) < 0.5:
        raise ValueError(f"clip must be in [0, 0.5), got {clip}")
    rows = np.flatnonzero(~np.isnan(o[q]) & (t < r[q]))
    if not rows.size:
        nothing = np.zeros(0, dtype=np.intp)
        return ScoredForecasts(nothing, nothing, np.zeros(0), np.zeros(0))
    pair = e[rows].astype(np.int64) * n_questions + q[rows]
    order = np.lexsort((t[rows], pair))
    rows, pair = rows[order], pair[order]
    distinct, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    last = np.r_[first[1:], pair.size] - 1
    latest = t[rows][last][inverse]
    keep = t[rows] == latest
    rows, inverse = rows[keep], inverse[keep]
    each = _scores(p[rows], o[q[rows]], score, float(clip))
    counts = np.bincount(inverse, minlength=distinct.size)
    mean = np.bincount(inverse, weights=each, minlength=distinct.size) / np.maximum(counts, 1)
    expert = (distinct // max(n_questions, 1)).astype(np.intp)
    question = (distinct % max(n_questions, 1)).astype(np.intp)
    order = np.lexsort((question, r[question], expert))
    return ScoredForecasts(expert[order], question[order], r[question][order], mean[order])


def as_of_record(
    values: ArrayLike,
    questions: ArrayLike,
    experts: ArrayLike,
    times: ArrayLike,
    n_questions: int,
    outcomes: ArrayLike,
    resolved_at: ArrayLike,
    *,
    score: str = "brier",
    clip: float = LOG_CLIP,
) -> AsOfRecord:
    r"""Every judgment's expert's record on the questions resolved strictly before it was made.

    For judgment :math:`i` by expert :math:`e` on question :math:`q_i` at time
    :math:`t_i`, with :math:`S_{eq}` from :func:`scored_forecasts`,

    .. math:: R_i = \{q \ne q_i : S_{eq}\ \text{exists},\ r_q < t_i\}, \qquad
              n_i = |R_i|, \qquad \bar S_i = \frac{1}{n_i}\sum_{q \in R_i} S_{eq}.

    Only outcomes with :math:`r_q < t_i` enter: changing, removing or
    permuting outcomes resolved at or after :math:`t_i` leaves :math:`n_i` and
    :math:`\bar S_i` exactly as they were (each expert's scores are summed in
    resolution order, in a row of their own, so not even rounding can change).
    A question's own outcome never weighs its judgments.

    Parameters
    ----------
    values, questions, experts, times, n_questions, outcomes, resolved_at
        As :func:`scored_forecasts`.
    score : {"brier", "log"}, default "brier"
        As :func:`scored_forecasts`.
    clip : float, default :data:`LOG_CLIP`
        As :func:`scored_forecasts`.

    Returns
    -------
    AsOfRecord

    Raises
    ------
    ValueError
        As :func:`scored_forecasts`.

    See Also
    --------
    scored_forecasts : the scores counted.
    track_record_weights : the weights made from the record.

    References
    ----------
    N. Cesa-Bianchi and G. Lugosi, *Prediction, Learning, and Games*, Cambridge
    University Press, 2006, chapter 2 (weights from the losses suffered so far).
    """
    judged = (values, questions, experts, times, n_questions, outcomes, resolved_at)
    scored = scored_forecasts(*judged, score=score, clip=clip)
    _, q, e, t = _judgments(values, questions, experts, times, n_questions)
    r = np.asarray(resolved_at, dtype=float)
    count = np.zeros(t.size, dtype=np.intp)
    total = np.zeros(t.size)
    if scored.score.size:
        moments, rank = np.unique(np.r_[scored.resolved_at, t], return_inverse=True)
        rank = rank.reshape(-1)
        span = np.int64(moments.size + 1)
        key = scored.expert.astype(np.int64) * span + rank[: scored.score.size]
        query = e.astype(np.int64) * span + rank[scored.score.size :]
        start = np.searchsorted(key, e.astype(np.int64) * span, side="left")
        count = (np.searchsorted(key, query, side="left") - start).astype(np.intp)
        # each expert's running sums in a row of their own: bit-for-bit independent of the others
        owners, first, row = np.unique(scored.expert, return_index=True, return_inverse=True)
        column = np.arange(scored.score.size) - first[row]
        table = np.zeros((owners.size, int(column.max()) + 1))
        table[row, column] = scored.score
        running = np.cumsum(table, axis=1)
        has = count > 0
        which = np.searchsorted(owners, e[has])
        total[has] = running[which, count[has] - 1]
        # a question's own score (if it resolved before its judgment) is taken back out
        pair = scored.expert.astype(np.int64) * n_questions + scored.question
        by_pair = np.argsort(pair, kind="stable")
        mine = e.astype(np.int64) * n_questions + q
        at = np.minimum(np.searchsorted(pair[by_pair], mine), pair.size - 1)
        own = (pair[by_pair][at] == mine) & (r[q] < t)
        total[own] -= scored.score[by_pair][at[own]]
        count[own] -= 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    return AsOfRecord(count, mean)


def track_record_weights(
    count: ArrayLike,
    mean: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    score: str = "brier",
    minimum: int = DEFAULT_MINIMUM,
    shrinkage: float = DEFAULT_SHRINKAGE,
    sharpness: float = DEFAULT_SHARPNESS,
) -> NDArray[np.float64]:
    r"""Weights from each judgment's record, shrunk towards equal weights; they sum to 1 per group.

    A judgment whose record covers :math:`n_i \ge` ``minimum`` questions with
    mean score :math:`\bar S_i` has skill and credibility

    .. math:: s_i = \exp\!\bigl(-\eta\,\bar S_i / S_{50\%}\bigr), \qquad
              \lambda_i = \frac{n_i}{n_i + k},

    with :math:`S_{50\%}` the score of always saying 50 % (0.25 Brier,
    :math:`\ln 2` log); below the minimum, :math:`\lambda_i = 0`. With
    :math:`\bar s_g` the mean skill of the judgments in group :math:`g` that
    have a record,

    .. math:: w_i \propto \lambda_i s_i + (1 - \lambda_i)\,\bar s_g,

    normalised to sum to 1 in each group. When every record has the same
    :math:`n`, this is :math:`w_i = \lambda\,s_i / \sum_j s_j + (1 - \lambda)/m`,
    the mix of skill weights and equal weights :math:`1/m`; a judgment without
    a record gets the group's average, so newcomers are neither rewarded nor
    punished. With no record in a group, or :math:`\eta = 0`, the weights are
    equal.

    Parameters
    ----------
    count : array_like of int, shape (n,)
        Resolved questions in each judgment's record (:func:`as_of_record`).
    mean : array_like of float, shape (n,)
        Mean score of the record (NaN, or anything, where ``count`` is 0).
    groups : array_like of int, shape (n,)
        The pool each judgment belongs to (its question), in ``[0, n_groups)``.
    n_groups : int
        Number of groups.
    score : {"brier", "log"}, default "brier"
        The score ``mean`` is in, for :math:`S_{50\%}`.
    minimum : int, default :data:`DEFAULT_MINIMUM`
        Resolved questions needed before a record counts (at least 1).
    shrinkage : float, default :data:`DEFAULT_SHRINKAGE`
        :math:`k \ge 0`; 0 trusts any record of ``minimum`` questions fully.
    sharpness : float, default :data:`DEFAULT_SHARPNESS`
        :math:`\eta \ge 0`; larger separates good from poor records more.

    Returns
    -------
    ndarray of float, shape (n,)
        Positive weights summing to 1 over each group.

    Raises
    ------
    ValueError
        On shapes that differ, a bad group index, a negative count, a counted
        record whose mean is NaN or negative, an unknown ``score``, ``minimum``
        below 1, or a negative or non-finite ``shrinkage`` or ``sharpness``.

    See Also
    --------
    as_of_record : the records these weights are made from.
    track_record_pool : pooling with them.

    References
    ----------
    N. Cesa-Bianchi and G. Lugosi, *Prediction, Learning, and Games*, Cambridge
    University Press, 2006, section 2.1 (exponential weights); H. Bühlmann and
    A. Gisler, *A Course in Credibility Theory and its Applications*, Springer,
    2005, chapter 3 (credibility :math:`n / (n + k)`).
    """
    score = _score_name(score)
    n = np.asarray(count)
    s_bar, g = grouped_input(
        np.nan_to_num(np.asarray(mean, dtype=float), nan=0.0), groups, n_groups
    )
    if n.shape != g.shape:
        raise ValueError(f"count must have shape {g.shape}, got {n.shape}")
    if n.size and (not np.issubdtype(n.dtype, np.integer) or n.min() < 0):
        raise ValueError("count must be non-negative integers")
    minimum = check_whole("minimum", minimum, 1)
    k = check_real("shrinkage", shrinkage)
    eta = check_real("sharpness", sharpness)
    if k < 0 or eta < 0:
        raise ValueError(f"shrinkage and sharpness must be at least 0, got {k} and {eta}")
    raw = np.asarray(mean, dtype=float)
    counted = n >= minimum
    bad = np.flatnonzero(counted & ~(raw >= 0))
    if bad.size:
        raise ValueError(f"mean[{bad[0]}] = {raw[bad[0]]} is not a score, with count {n[bad[0]]}")
    skill = np.where(counted, np.exp(-eta * s_bar / REFERENCE_SCORES[score]), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        credibility = np.where(counted, n / (n + k), 0.0)
        recorded = np.bincount(g, weights=counted.astype(float), minlength=n_groups)
        average = np.bincount(g, weights=skill, minlength=n_groups) / recorded
    average = np.where(recorded > 0, average, 1.0)
    raw_weight = credibility * skill + (1 - credibility) * average[g]
    total = np.bincount(g, weights=raw_weight, minlength=n_groups)
    members = np.bincount(g, minlength=n_groups)
    # every skill in a group underflowed to 0 (certain misses with clip 0): equal weights
    weights: NDArray[np.float64] = np.where(
        total[g] > 0, raw_weight / np.where(total > 0, total, 1.0)[g], 1.0 / members[g]
    )
    return weights


def _parameters(minimum: int, shrinkage: float, sharpness: float) -> None:
    """Refuse bad weighting parameters before any work is done."""
    track_record_weights(
        np.zeros(0, dtype=np.intp),
        np.zeros(0),
        np.zeros(0, dtype=np.intp),
        0,
        minimum=minimum,
        shrinkage=shrinkage,
        sharpness=sharpness,
    )


def track_record_pool(
    values: ArrayLike,
    questions: ArrayLike,
    experts: ArrayLike,
    times: ArrayLike,
    n_questions: int,
    outcomes: ArrayLike,
    resolved_at: ArrayLike,
    *,
    method: str = "linear",
    score: str = "brier",
    minimum: int = DEFAULT_MINIMUM,
    shrinkage: float = DEFAULT_SHRINKAGE,
    sharpness: float = DEFAULT_SHARPNESS,
    clip: float = LOG_CLIP,
) -> NDArray[np.float64]:
    r"""Pool each question's forecasts weighted by their experts' track records as of then.

    .. math:: \hat p_q = f\bigl(\{(p_i, w_i) : q_i = q\}\bigr),

    with :math:`f` the pool ``method`` of :data:`elicit.core.pooling.METHODS` and
    :math:`w_i` from :func:`track_record_weights` on :func:`as_of_record`. The
    judgments given are both scored (on resolved questions) and pooled: give
    one forecast per expert and question (the last round's, say). Every
    weight uses only outcomes resolved strictly before its own forecast, so a
    question's pool does not depend on any outcome resolved at or after the
    latest of its forecasts.

    Parameters
    ----------
    values, questions, experts, times, n_questions, outcomes, resolved_at
        As :func:`scored_forecasts`.
    method : str, default "linear"
        A pool of :data:`elicit.core.pooling.METHODS` that takes weights.
    score, minimum, shrinkage, sharpness
        As :func:`track_record_weights`.
    clip : float, default :data:`LOG_CLIP`
        As :func:`scored_forecasts`.

    Returns
    -------
    ndarray of float, shape (n_questions,)
        NaN for a question without judgments.

    Raises
    ------
    ValueError
        As :func:`scored_forecasts` and :func:`track_record_weights`, or an
        unknown ``method``.

    See Also
    --------
    track_record_backtest : whether the weights beat equal weights.
    elicit.core.pooling.pool : the pools.

    References
    ----------
    R. M. Cooke, *Experts in Uncertainty*, Oxford University Press, 1991,
    chapter 12 (performance-based weights); N. Cesa-Bianchi and G. Lugosi,
    *Prediction, Learning, and Games*, 2006, chapter 2.
    """
    _parameters(minimum, shrinkage, sharpness)
    if method not in METHODS:
        raise ValueError(f"unknown pool {method!r}; known: {', '.join(METHODS)}")
    judged = (values, questions, experts, times, n_questions, outcomes, resolved_at)
    weighting = _Weighting(score, minimum, shrinkage, sharpness, clip)
    _, weights = weighting.weights(judged, keep=slice(None))
    return pool(method, values, questions, n_questions, weights)


@dataclass(frozen=True)
class _Weighting:
    """How judgments are weighted by track record: the parameters of :func:`track_record_weights`.

    :meth:`weights` is the one path from judgments to weights that
    :func:`track_record_pool` and :func:`track_record_backtest` share.
    """

    score: str
    minimum: int
    shrinkage: float
    sharpness: float
    clip: float

    def weights(
        self, judged: _Judged, *, keep: NDArray[np.bool_] | slice
    ) -> tuple[AsOfRecord, NDArray[np.float64]]:
        """Return every judgment's record as of its time, and the weights of those ``keep`` picks.

        ``judged`` is what :func:`as_of_record` takes first, in its order. The
        weights sum to 1 over the kept judgments of each question.
        """
        record = as_of_record(*judged, score=self.score, clip=self.clip)
        questions, n_questions = judged[1], judged[4]
        weights = track_record_weights(
            record.count[keep],
            record.mean[keep],
            np.asarray(questions)[keep],
            n_questions,
            score=self.score,
            minimum=self.minimum,
            shrinkage=self.shrinkage,
            sharpness=self.sharpness,
        )
        return record, weights


@dataclass(frozen=True)
class _Weighted:
    """A pool run with fixed per-judgment weights (those of the judgments it is given)."""

    method: str
    weights: NDArray[np.float64]

    def __call__(
        self,
        values: ArrayLike,
        groups: ArrayLike,
        n_groups: int,
        weights: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        return pool(self.method, values, groups, n_groups, self.weights)


@dataclass(frozen=True)
class TrackRecordBacktest:
    """The back-test of track-record weighting against equal weights.

    Attributes
    ----------
    result : elicit.core.backtest.BacktestResult
        Every pool's scores, best first; weighted pools are named
        :data:`WEIGHTED_PREFIX` + the pool.
    record : AsOfRecord
        Each judgment's record as of its time (for the judgments given).
    weights : ndarray, shape (n,)
        Each judgment's weight in its question's pool.
    forecast : ndarray of bool, shape (n,)
        The judgments made strictly before their question resolved (the only
        ones pooled).
    minimum, shrinkage, sharpness : the weighting's parameters.
    score : str
        The score the weights come from.
    """

    result: BacktestResult
    record: AsOfRecord
    weights: NDArray[np.float64]
    forecast: NDArray[np.bool_]
    minimum: int
    shrinkage: float
    sharpness: float
    score: str


def track_record_backtest(
    values: ArrayLike,
    questions: ArrayLike,
    experts: ArrayLike,
    times: ArrayLike,
    n_questions: int,
    outcomes: ArrayLike,
    resolved_at: ArrayLike,
    *,
    scored: ArrayLike | None = None,
    equal: tuple[str, ...] = EQUAL_WEIGHT_POOLS,
    weighted: tuple[str, ...] = WEIGHTED_POOLS,
    score: str = "brier",
    minimum: int = DEFAULT_MINIMUM,
    shrinkage: float = DEFAULT_SHRINKAGE,
    sharpness: float = DEFAULT_SHARPNESS,
    clip: float = LOG_CLIP,
    rank_by: str = "brier",
) -> TrackRecordBacktest:
    r"""Back-test track-record-weighted pools against equal-weight pools, with no look-ahead.

    Only forecasts (judgments made strictly before their question resolved)
    are pooled. Each judgment's weight comes from :func:`as_of_record`, so the
    pooled forecast of question :math:`q` uses only outcomes with
    :math:`r_{q'} < \max_{i: q_i = q} t_i`; then every pool is scored on the
    resolved questions (among ``scored``) by
    :func:`elicit.core.backtest.backtest`:

    .. math:: \mathrm{BS}_m = \frac1Q\sum_q (\hat p_{mq} - o_q)^2, \qquad
              \mathrm{LS}_m = -\frac1Q\sum_q \ln \hat p_{mq,o_q}.

    Pools fitted to outcomes (an extremising factor fitted leave-one-out) are
    not offered: their fit would see later outcomes.

    Parameters
    ----------
    values, questions, experts, times, n_questions, outcomes, resolved_at
        As :func:`scored_forecasts`; one forecast per expert and question.
    scored : array_like of bool, shape (n_questions,), optional
        The questions to score (default: all); the others still build records,
        e.g. another study's questions answered by the same people.
    equal : tuple of str, default :data:`EQUAL_WEIGHT_POOLS`
        Pools run with equal weights, by their name in
        :data:`elicit.core.pooling.METHODS`.
    weighted : tuple of str, default :data:`WEIGHTED_POOLS`
        Pools run with track-record weights.
    score, minimum, shrinkage, sharpness
        As :func:`track_record_weights`.
    clip : float, default :data:`LOG_CLIP`
        For the log scores of experts' records and of the pools.
    rank_by : {"brier", "log_score"}, default "brier"
        The score the pools are ranked by.

    Returns
    -------
    TrackRecordBacktest

    Raises
    ------
    ValueError
        As :func:`track_record_pool` and :func:`elicit.core.backtest.backtest`,
        an unknown pool name, no pools, or ``scored`` of the wrong shape.

    See Also
    --------
    elicit.core.backtest.backtest : the scoring and ranking.
    track_record_pool : the weighted pool on its own.

    References
    ----------
    Hastie, Tibshirani and Friedman, *The Elements of Statistical Learning*,
    2nd ed., Springer, 2009, section 7.10 (evaluating on data not used to fit);
    R. J. Hyndman and G. Athanasopoulos, *Forecasting: Principles and
    Practice*, 3rd ed., OTexts, 2021, section 5.10 (evaluation on a rolling
    forecasting origin).
    """
    _parameters(minimum, shrinkage, sharpness)
    unknown = [m for m in (*equal, *weighted) if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown pool {unknown[0]!r}; known: {', '.join(METHODS)}")
    if not equal and not weighted:
        raise ValueError("no pools to back-test")
    p, q, e, t = _judgments(values, questions, experts, times, n_questions)
    o, r = _resolutions(outcomes, resolved_at, n_questions)
    chosen = np.ones(n_questions, dtype=bool) if scored is None else np.asarray(scored, dtype=bool)
    if chosen.shape != (n_questions,):
        raise ValueError(f"scored must have shape ({n_questions},), got {chosen.shape}")
    forecast = ~(t >= r[q])
    weighting = _Weighting(score, minimum, shrinkage, sharpness, clip)
    record, weights = weighting.weights((p, q, e, t, n_questions, o, r), keep=forecast)
    methods = {name: METHODS[name] for name in equal}
    methods |= {WEIGHTED_PREFIX + name: _Weighted(name, weights) for name in weighted}
    result = backtest(
        p[forecast],
        q[forecast],
        n_questions,
        np.where(chosen, o, np.nan),
        methods,
        clip=clip,
        rank_by=rank_by,
    )
    every = np.full(t.size, np.nan)
    every[forecast] = weights
    return TrackRecordBacktest(
        result, record, every, forecast, minimum, float(shrinkage), float(sharpness), score
    )
