"""Backtesting pooling methods on resolved binary questions: which way of pooling forecast best.

A pooling method is any callable in the grouped layout,
``pool(values, groups, n_groups, weights=None) -> probabilities, shape (n_groups,)``
(such as the entries of :data:`elicit.core.pooling.METHODS`), run through
:func:`elicit.core.pooling.pool`. A method with a parameter fitted to outcomes (an
extremising factor, say) must not see the outcome it is scored on: it implements
:class:`FittedPool`, whose ``loo_predict`` gives each question the forecast of a
model fitted on the other resolved questions (leave one question out).
:class:`ExtremizedPool` is such a method. :func:`backtest` scores every method on
the resolved questions and returns them ranked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .layout import check_real, grouped_input, grouped_weights
from .pooling import Pool, pool
from .scoring import grouped_auc, grouped_brier_decomposition, grouped_mean_score, log_score


@runtime_checkable
class FittedPool(Protocol):
    """A pooling method with parameters fitted to outcomes, scored leave-one-question-out."""

    def loo_predict(
        self,
        values: ArrayLike,
        groups: ArrayLike,
        n_groups: int,
        outcomes: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """Pooled probability of each question from a fit that leaves that question out."""
        ...


def _probabilities(
    method: Pool,
    values: NDArray[np.float64],
    groups: NDArray[np.intp],
    n_groups: int,
    weights: NDArray[np.float64] | None,
) -> NDArray[np.float64]:
    """One probability per question from a pool, through :func:`elicit.core.pooling.pool`."""
    return _one_per_question(pool(method, values, groups, n_groups, weights), n_groups)


def _one_per_question(out: ArrayLike, n_groups: int) -> NDArray[np.float64]:
    """Check that a method gave one number per question, shape ``(n_groups,)``."""
    result = np.asarray(out, dtype=float)
    if result.shape != (n_groups,):
        raise ValueError(f"pool returned shape {result.shape}, expected ({n_groups},)")
    return result


def _outcomes(outcomes: ArrayLike, n_groups: int) -> NDArray[np.float64]:
    """Per-question outcomes: 0, 1, or NaN for unresolved; name the first bad entry."""
    o = np.asarray(outcomes, dtype=float)
    if o.shape != (n_groups,):
        raise ValueError(f"outcomes must have shape ({n_groups},), got {o.shape}")
    bad = np.flatnonzero(~np.isnan(o) & (o != 0) & (o != 1))
    if bad.size:
        raise ValueError(f"outcomes[{bad[0]}] = {o[bad[0]]} is not 0, 1 or NaN (unresolved)")
    return o


# --- extremising --------------------------------------------------------------------------


def _solve_factor(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    leave_one_out: bool,
    max_factor: float,
    tol: float = 1e-10,
    max_iter: int = 200,
    chunk: int = 512,
) -> NDArray[np.float64]:
    """Maximise sum y log s(a x) + (1 - y) log(1 - s(a x)) over a in [0, max_factor].

    With ``leave_one_out``, one factor per question j, the sum leaving out j; all
    factors are found together by Newton steps kept inside a shrinking bracket
    (bisection when a step leaves it). The gradient is decreasing in a.
    """
    n_fits = x.size if leave_one_out else 1

    def gradient_and_curvature(
        a: NDArray[np.float64], fits: NDArray[np.intp]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        g = np.empty(a.size)
        h = np.empty(a.size)
        for start in range(0, a.size, chunk):  # memory bound: chunk x n at a time
            s = special.expit(a[start : start + chunk, None] * x[None, :])
            g[start : start + chunk] = ((y - s) * x).sum(axis=1)
            h[start : start + chunk] = (s * (1 - s) * x * x).sum(axis=1)
        if leave_one_out:  # fit j leaves question j out
            xj, yj = x[fits], y[fits]
            s_own = special.expit(a * xj)
            g -= (yj - s_own) * xj
            h -= s_own * (1 - s_own) * xj * xj
        return g, h

    every = np.arange(n_fits)
    lo = np.zeros(n_fits)
    hi = np.full(n_fits, max_factor)
    g_lo = gradient_and_curvature(lo, every)[0]
    g_hi = gradient_and_curvature(hi, every)[0]
    a = np.where(g_lo <= 0, 0.0, np.where(g_hi >= 0, max_factor, min(1.0, max_factor)))
    # the log-likelihood falls from a = 0 on (no signal), or still rises at the cap (separable)
    active = (g_lo > 0) & (g_hi < 0)
    for _ in range(max_iter):
        fits = np.flatnonzero(active)
        if fits.size == 0:
            break
        af = a[fits]
        g, h = gradient_and_curvature(af, fits)
        lo[fits] = np.where(g > 0, af, lo[fits])
        hi[fits] = np.where(g > 0, hi[fits], af)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = af + g / h
        inside = np.isfinite(step) & (step > lo[fits]) & (step < hi[fits])
        new = np.where(g == 0, af, np.where(inside, step, (lo[fits] + hi[fits]) / 2))
        a[fits] = new
        done = (g == 0) | (np.abs(new - af) <= tol) | (hi[fits] - lo[fits] <= tol)
        active[fits[done]] = False
    return a


def fit_extremizing_factor(
    probability: ArrayLike,
    outcome: ArrayLike,
    leave_one_out: bool = False,
    clip: float = 1e-4,
    max_factor: float = 10.0,
) -> NDArray[np.float64]:
    r"""Maximum-likelihood extremising factor for pooled probabilities of binary events.

    The extremised forecast is :math:`\sigma(a\,\mathrm{logit}\,p)`, with
    :math:`\sigma` the logistic function; :math:`a > 1` pushes forecasts away
    from 50 %, :math:`a < 1` towards it. The factor maximises the Bernoulli
    log-likelihood of the outcomes,

    .. math:: \hat a = \arg\max_{0 \le a \le a_{\max}} \sum_q
              o_q \ln\sigma(a x_q) + (1 - o_q)\ln\bigl(1 - \sigma(a x_q)\bigr),
              \qquad x_q = \mathrm{logit}\,p_q,

    a one-parameter logistic regression through the origin (a concave problem,
    solved by safeguarded Newton steps). With ``leave_one_out``, question
    :math:`q` gets the factor fitted on all other questions, every fit solved at
    once.

    Parameters
    ----------
    probability : array_like of float, shape (n,)
        Pooled probabilities, one per resolved question, in [0, 1].
    outcome : array_like of {0, 1}, shape (n,)
        Outcomes.
    leave_one_out : bool, default False
        One factor per question, fitted without it.
    clip : float, default 1e-4
        Probabilities are clipped to ``[clip, 1 - clip]`` before the logit.
    max_factor : float, default 10
        Upper bound on the factor (reached when outcomes are separable).

    Returns
    -------
    ndarray
        Shape (1,), or (n,) with ``leave_one_out``.

    Raises
    ------
    ValueError
        On a probability outside [0, 1], an outcome not 0 or 1 (naming it),
        shapes that differ, or a bad ``clip`` or ``max_factor``.

    References
    ----------
    J. Baron, B. A. Mellers, P. E. Tetlock, E. Stone and L. H. Ungar, "Two
    reasons to make aggregated probability forecasts more extreme", *Decision
    Analysis* 11(2), 133-145, 2014; V. A. Satopää et al., "Combining multiple
    probability predictions using a simple logit model", *International Journal
    of Forecasting* 30(2), 344-356, 2014.
    """
    p = np.asarray(probability, dtype=float)
    y = np.asarray(outcome, dtype=float)
    if p.ndim != 1 or y.shape != p.shape:
        raise ValueError(
            f"probability and outcome must be 1-d of one length, got {p.shape}, {y.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(p) | (p < 0) | (p > 1))
    if bad.size:
        raise ValueError(f"probability[{bad[0]}] = {p[bad[0]]} is not in [0, 1]")
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise ValueError(f"outcome[{bad[0]}] = {y[bad[0]]} is not 0 or 1")
    if not 0 < clip < 0.5:
        raise ValueError(f"clip must be in (0, 0.5), got {clip}")
    if not check_real("max_factor", max_factor) > 0:
        raise ValueError(f"max_factor must be a positive number, got {max_factor}")
    x = special.logit(np.clip(p, clip, 1 - clip))
    if p.size == 0 or (leave_one_out and p.size == 1):
        return np.ones(p.size if leave_one_out else 1)
    return _solve_factor(x, y, leave_one_out, float(max_factor))


@dataclass(frozen=True)
class ExtremizedPool:
    r"""A base pool extremised in log-odds by a factor fitted by maximum likelihood.

    .. math:: \tilde p_q = \sigma\bigl(a\,\mathrm{logit}\,p_q\bigr),

    with :math:`p_q` the base pool's probability and :math:`a` from
    :func:`fit_extremizing_factor`. Call :meth:`fit` on resolved questions to get
    a pool with the factor set (then call it like any pool); :func:`backtest`
    uses :meth:`loo_predict`.

    Parameters
    ----------
    base : callable
        The pool to extremise, ``base(values, groups, n_groups, weights=None)``.
    factor : float, optional
        The extremising factor; needed to call the pool.
    clip : float, default 1e-4
        Base probabilities are clipped to ``[clip, 1 - clip]`` before the logit.
    max_factor : float, default 10
        Upper bound on the fitted factor.

    Raises
    ------
    ValueError
        On creation, if ``factor`` is given and not a positive finite number, ``clip``
        is outside (0, 0.5) or ``max_factor`` is not a positive finite number.

    References
    ----------
    J. Baron et al., "Two reasons to make aggregated probability forecasts more
    extreme", *Decision Analysis* 11(2), 133-145, 2014.
    """

    base: Pool
    factor: float | None = None
    clip: float = 1e-4
    max_factor: float = 10.0

    def __post_init__(self) -> None:
        """Refuse a factor, clip or bound the pool could not use."""
        if self.factor is not None and not check_real("factor", self.factor) > 0:
            raise ValueError(f"factor must be a positive number, got {self.factor}")
        if not 0 < check_real("clip", self.clip) < 0.5:
            raise ValueError(f"clip must be in (0, 0.5), got {self.clip}")
        if not check_real("max_factor", self.max_factor) > 0:
            raise ValueError(f"max_factor must be a positive number, got {self.max_factor}")

    def _extremize(self, p: NDArray[np.float64], a: ArrayLike) -> NDArray[np.float64]:
        x = special.logit(np.clip(p, self.clip, 1 - self.clip))
        return np.where(np.isnan(p), np.nan, special.expit(np.asarray(a) * x))

    def _base_and_outcomes(
        self,
        values: ArrayLike,
        groups: ArrayLike,
        n_groups: int,
        outcomes: ArrayLike,
        weights: ArrayLike | None,
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
        v, g = grouped_input(values, groups, n_groups)
        w = grouped_weights(weights, v.size)
        o = _outcomes(outcomes, n_groups)
        base = _probabilities(self.base, v, g, n_groups, w)
        usable = ~np.isnan(o) & ~np.isnan(base)
        return base, usable, o

    def __call__(
        self,
        values: ArrayLike,
        groups: ArrayLike,
        n_groups: int,
        weights: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """Pool with the base method, then extremise by ``factor``."""
        if self.factor is None:
            raise ValueError("this ExtremizedPool has no factor: fit it first")
        v, g = grouped_input(values, groups, n_groups)
        w = grouped_weights(weights, v.size)
        return self._extremize(_probabilities(self.base, v, g, n_groups, w), self.factor)

    def fit(
        self,
        values: ArrayLike,
        groups: ArrayLike,
        n_groups: int,
        outcomes: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> ExtremizedPool:
        """Return a copy with the factor fitted on the resolved questions (NaN outcome: skipped)."""
        base, usable, o = self._base_and_outcomes(values, groups, n_groups, outcomes, weights)
        a = fit_extremizing_factor(
            base[usable], o[usable], clip=self.clip, max_factor=self.max_factor
        )
        return replace(self, factor=float(a[0]))

    def loo_predict(
        self,
        values: ArrayLike,
        groups: ArrayLike,
        n_groups: int,
        outcomes: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """Extremise each resolved question by the factor fitted on the other resolved ones.

        Unresolved questions (NaN outcome) get the factor fitted on all resolved ones.
        """
        base, usable, o = self._base_and_outcomes(values, groups, n_groups, outcomes, weights)
        factors = np.empty(n_groups)
        factors[usable] = fit_extremizing_factor(
            base[usable], o[usable], True, self.clip, self.max_factor
        )
        factors[~usable] = fit_extremizing_factor(
            base[usable], o[usable], False, self.clip, self.max_factor
        )[0]
        return self._extremize(base, factors)


# --- the backtest ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
    """Scores of each pooling method on the resolved questions, best first.

    Attributes
    ----------
    methods : tuple of str
        Method names, ranked (best first).
    brier, log_score, auc : ndarray, shape (n_methods,)
        Mean Brier score, mean log score (natural log, lower is better) and AUC.
    reliability, resolution, uncertainty, within_bin_variance, within_bin_covariance : ndarray
        The parts of the Brier score (:func:`elicit.core.scoring.grouped_brier_decomposition`).
    forecasts : ndarray, shape (n_methods, n_questions)
        Each method's forecast of every question (leave-one-out for fitted ones);
        NaN where a question has no judgments.
    scored : ndarray of bool, shape (n_questions,)
        The questions scored: resolved and with judgments.
    rank_by : str
        The score the ranking used.
    """

    methods: tuple[str, ...]
    brier: NDArray[np.float64]
    log_score: NDArray[np.float64]
    auc: NDArray[np.float64]
    reliability: NDArray[np.float64]
    resolution: NDArray[np.float64]
    uncertainty: NDArray[np.float64]
    within_bin_variance: NDArray[np.float64]
    within_bin_covariance: NDArray[np.float64]
    forecasts: NDArray[np.float64]
    scored: NDArray[np.bool_]
    rank_by: str

    def rows(self) -> list[dict[str, float | str | int]]:
        """Return the table as one dict per method, best first, with its rank from 1."""
        columns = (
            "brier",
            "log_score",
            "auc",
            "reliability",
            "resolution",
            "uncertainty",
            "within_bin_variance",
            "within_bin_covariance",
        )
        rows: list[dict[str, float | str | int]] = [
            {"rank": i + 1, "method": name, **{c: float(getattr(self, c)[i]) for c in columns}}
            for i, name in enumerate(self.methods)
        ]
        return rows


def backtest(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    outcomes: ArrayLike,
    methods: Mapping[str, Pool | FittedPool],
    weights: ArrayLike | None = None,
    *,
    bins: int | ArrayLike = 10,
    clip: float = 0.0,
    rank_by: str = "brier",
) -> BacktestResult:
    r"""Score pooling methods on resolved binary questions and rank them.

    Each method pools every question's judgments once (a :class:`FittedPool`
    through ``loo_predict``, so that no question is forecast by a model fitted
    on its own outcome); then, over the :math:`Q` resolved questions with
    judgments, with :math:`p_{mq}` method :math:`m`'s forecast,

    .. math:: \mathrm{BS}_m = \frac1Q\sum_q (p_{mq} - o_q)^2, \qquad
              \mathrm{LS}_m = -\frac1Q\sum_q \ln p_{mq,o_q},

    the Brier score's decomposition (reliability, resolution, uncertainty,
    within-bin variance and covariance; Stephenson et al. 2008) and the AUC,
    all methods in one grouped pass. Methods are ranked by ``rank_by``
    (lower first; ties by the other score, then name; NaN last).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Every expert's probability for every question, in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    outcomes : array_like of float, shape (n_groups,)
        1 if the event happened, 0 if not, NaN if unresolved (not scored, and
        not used to fit).
    methods : mapping of str to callable or FittedPool
        Name to pool, ``pool(values, groups, n_groups, weights=None) -> (n_groups,)``,
        e.g. :data:`elicit.core.pooling.METHODS`, or a :class:`FittedPool`.
    weights : array_like of float, shape (n,), optional
        Non-negative weight per judgment, passed to every method.
    bins : int or array_like, default 10
        Bins of the Brier decomposition.
    clip : float, default 0
        Clip forecasts to ``[clip, 1 - clip]`` for the log score only; with 0 a
        certain miss scores :math:`+\infty`.
    rank_by : {"brier", "log_score"}, default "brier"
        The score to rank by.

    Returns
    -------
    BacktestResult

    Raises
    ------
    ValueError
        On bad judgments, weights or outcomes (naming the entry), no methods, an
        unknown ``rank_by``, or a method returning the wrong shape, or NaN or a
        value outside [0, 1] for a question with judgments (naming the method
        and question).

    References
    ----------
    D. B. Stephenson, C. A. S. Coelho and I. T. Jolliffe, "Two extra components
    in the Brier score decomposition", *Weather and Forecasting* 23(4),
    752-757, 2008; T. Hastie, R. Tibshirani and J. Friedman, *The Elements of
    Statistical Learning*, 2nd ed., Springer, 2009, section 7.10
    (leave-one-out cross-validation).
    """
    if rank_by not in {"brier", "log_score"}:
        raise ValueError(f"rank_by must be 'brier' or 'log_score', got {rank_by!r}")
    if not methods:
        raise ValueError("methods is empty")
    v, g = grouped_input(values, groups, n_groups)
    outside = np.flatnonzero((v < 0) | (v > 1))
    if outside.size:
        raise ValueError(f"values[{outside[0]}] = {v[outside[0]]} is outside [0, 1]")
    w = grouped_weights(weights, v.size)
    o = _outcomes(outcomes, n_groups)
    answered = np.bincount(g, minlength=n_groups) > 0
    names = tuple(methods)
    forecasts = np.empty((len(names), n_groups))
    for m, name in enumerate(names):  # one call per method, each over all questions
        method = methods[name]
        try:
            if isinstance(method, FittedPool):
                out = _one_per_question(method.loo_predict(v, g, n_groups, o, weights=w), n_groups)
            else:
                out = _probabilities(method, v, g, n_groups, w)
        except ValueError as error:
            raise ValueError(f"method {name!r}: {error}") from error
        bad = np.flatnonzero(answered & ~((out >= 0) & (out <= 1)))
        if bad.size:
            raise ValueError(
                f"method {name!r} gave {out[bad[0]]} for question {bad[0]}, not a probability"
            )
        forecasts[m] = np.where(answered, out, np.nan)
    scored = answered & ~np.isnan(o)
    n_scored = int(scored.sum())
    p = forecasts[:, scored].ravel()
    y = np.tile(o[scored], len(names))
    method_index = np.repeat(np.arange(len(names)), n_scored)
    decomposition = grouped_brier_decomposition(p, y, method_index, len(names), bins)
    logs = grouped_mean_score(log_score(p, y, clip), method_index, len(names))
    auc = grouped_auc(p, y, method_index, len(names))
    primary = decomposition.brier if rank_by == "brier" else logs
    secondary = logs if rank_by == "brier" else decomposition.brier
    order = sorted(
        range(len(names)),
        key=lambda i: (
            np.isnan(primary[i]),
            np.nan_to_num(primary[i], nan=0.0),
            np.isnan(secondary[i]),
            np.nan_to_num(secondary[i], nan=0.0),
            names[i],
        ),
    )
    rank = np.asarray(order, dtype=np.intp)
    return BacktestResult(
        methods=tuple(names[i] for i in order),
        brier=decomposition.brier[rank],
        log_score=logs[rank],
        auc=auc[rank],
        reliability=decomposition.reliability[rank],
        resolution=decomposition.resolution[rank],
        uncertainty=decomposition.uncertainty[rank],
        within_bin_variance=decomposition.within_bin_variance[rank],
        within_bin_covariance=decomposition.within_bin_covariance[rank],
        forecasts=forecasts[rank],
        scored=scored,
        rank_by=rank_by,
    )
