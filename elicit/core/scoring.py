"""Scoring judgments against what happened: one score per judgment, for many at once.

Per-forecast scores (:func:`brier_score`, :func:`log_score`, :func:`baseline_score`,
:func:`peer_score`) are averaged per expert or per pooling method with
:func:`grouped_mean_score`; the summaries that are not averages of per-forecast
scores take the grouped layout themselves, ``groups`` being an expert or method
index: :func:`grouped_brier_decomposition`, :func:`grouped_auc`,
:func:`grouped_reliability` and :func:`grouped_cooke_calibration`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from .layout import check_whole, grouped_input, grouped_weights
from .sorting import grouped_ranks


def brier_score(probability: ArrayLike, outcome: ArrayLike) -> NDArray[np.float64]:
    r"""Brier score of probability forecasts of binary events (lower is better).

    .. math:: \mathrm{BS}(p, o) = (p - o)^2, \quad o \in \{0, 1\},

    so 0 is a perfect forecast, 0.25 what always saying 50 % earns, and 1 the
    worst possible.

    Parameters
    ----------
    probability : array_like of float
        Forecast probabilities that the event happens, in [0, 1].
    outcome : array_like of {0, 1} or bool
        Whether each event happened; broadcast against ``probability``.

    Returns
    -------
    ndarray of float
        One score per forecast.

    Raises
    ------
    ValueError
        If a probability is outside [0, 1] or not finite, or an outcome is not 0 or 1.

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of probability",
    *Monthly Weather Review* 78(1), 1-3, 1950.
    """
    p = np.asarray(probability, dtype=float)
    o = np.asarray(outcome)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must be finite and in [0, 1]")
    if not np.all((o == 0) | (o == 1)):
        raise ValueError("outcomes must be 0 or 1")
    score: NDArray[np.float64] = (p - o.astype(float)) ** 2
    return score


def interval_hit(lower: ArrayLike, upper: ArrayLike, realization: ArrayLike) -> NDArray[np.bool_]:
    r"""Whether each realization fell inside its stated range :math:`[l, u]` (ends included).

    Over many questions the hit rate of an expert's 5 %-95 % ranges should be
    near 90 %; far fewer hits means overconfident ranges.

    Parameters
    ----------
    lower, upper : array_like of float
        The ends of each range, ``lower <= upper``.
    realization : array_like of float
        The value that came true; all three broadcast together.

    Returns
    -------
    ndarray of bool

    Raises
    ------
    ValueError
        If a value is not finite or a range is reversed.

    References
    ----------
    R. M. Cooke, *Experts in Uncertainty*, Oxford University Press, 1991, ch. 12.
    """
    low, high, x = np.broadcast_arrays(
        np.asarray(lower, dtype=float),
        np.asarray(upper, dtype=float),
        np.asarray(realization, dtype=float),
    )
    if not (np.isfinite(low).all() and np.isfinite(high).all() and np.isfinite(x).all()):
        raise ValueError("ranges and realizations must be finite numbers")
    if np.any(low > high):
        raise ValueError("each range needs lower <= upper")
    return (low <= x) & (x <= high)


# --- shared checks --------------------------------------------------------------------------


def _check_clip(clip: float) -> None:
    if not 0 <= clip < 0.5:
        raise ValueError(f"clip must be in [0, 0.5), got {clip}")


def _forecasts(
    probability: ArrayLike, outcome: ArrayLike, groups: ArrayLike, n_groups: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """Check grouped binary forecasts; name the first bad entry."""
    p, g = grouped_input(probability, groups, n_groups)
    outside = np.flatnonzero((p < 0) | (p > 1))
    if outside.size:
        raise ValueError(f"probability[{outside[0]}] = {p[outside[0]]} is outside [0, 1]")
    o = np.asarray(outcome)
    if o.shape != p.shape:
        raise ValueError(f"outcome must have shape {p.shape}, got {o.shape}")
    o = o.astype(float)
    bad = np.flatnonzero((o != 0) & (o != 1))
    if bad.size:
        raise ValueError(f"outcome[{bad[0]}] = {o[bad[0]]} is not 0 or 1")
    return p, o, g


def _bin_index(
    p: NDArray[np.float64], bins: int | ArrayLike
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Bin of each probability and the bin edges: [e_k, e_k+1), the last bin closed."""
    if np.ndim(bins) == 0:
        k = check_whole("bins", bins, 1)
        # p * k rounded first so that e.g. 0.3 falls in [0.3, 0.4) as written
        index = np.minimum(np.floor(np.round(p * k, 9)).astype(np.intp), k - 1)
        return index, np.linspace(0.0, 1.0, k + 1)
    edges = np.asarray(bins, dtype=float)
    if (
        edges.ndim != 1
        or edges.size < 2
        or not np.isfinite(edges).all()
        or edges[0] != 0
        or edges[-1] != 1
        or np.any(np.diff(edges) <= 0)
    ):
        raise ValueError(f"bin edges must increase strictly from 0 to 1, got {edges}")
    return np.searchsorted(edges[1:-1], p, side="right").astype(np.intp), edges


def _probability_of_outcome(
    p: NDArray[np.float64], o: NDArray[np.float64], clip: float
) -> NDArray[np.float64]:
    p = np.clip(p, clip, 1 - clip) if clip else p
    return np.where(o == 1, p, 1 - p)


# --- per-forecast scores --------------------------------------------------------------------


def log_score(probability: ArrayLike, outcome: ArrayLike, clip: float = 0.0) -> NDArray[np.float64]:
    r"""Logarithmic score of probability forecasts of binary events, as a loss (lower is better).

    .. math:: \mathrm{LS}(p, o) = -\ln p_o, \qquad p_1 = p,\ p_0 = 1 - p,

    so 0 is a perfect forecast, :math:`\ln 2 \approx 0.693` what always saying
    50 % earns, and a certain forecast that fails scores :math:`+\infty`
    (divide by :math:`\ln 2` for bits, the "ignorance" score).

    Parameters
    ----------
    probability : array_like of float
        Forecast probabilities that the event happens, in [0, 1].
    outcome : array_like of {0, 1} or bool
        Whether each event happened; broadcast against ``probability``.
    clip : float, default 0
        Clip probabilities to ``[clip, 1 - clip]`` first (e.g. 0.001 as Metaculus
        bounds forecasts); 0 keeps infinite scores for certain misses.

    Returns
    -------
    ndarray of float
        One score per forecast.

    Raises
    ------
    ValueError
        As :func:`brier_score`, or ``clip`` outside [0, 0.5).

    References
    ----------
    I. J. Good, "Rational decisions", *Journal of the Royal Statistical Society B*
    14(1), 107-114, 1952.
    """
    _check_clip(clip)
    p = np.asarray(probability, dtype=float)
    o = np.asarray(outcome)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must be finite and in [0, 1]")
    if not np.all((o == 0) | (o == 1)):
        raise ValueError("outcomes must be 0 or 1")
    p, o = np.broadcast_arrays(p, o.astype(float))
    with np.errstate(divide="ignore"):
        return -np.log(_probability_of_outcome(p, o, clip))


def baseline_score(
    probability: ArrayLike, outcome: ArrayLike, clip: float = 0.0
) -> NDArray[np.float64]:
    r"""Metaculus baseline score of binary forecasts (higher is better).

    .. math:: \mathrm{Baseline}(p, o) = 100\,\bigl(\log_2 p_o + 1\bigr)
              = 100 \log_2 \frac{p_o}{1/2},

    the log score against a forecaster who always says 50 %: 0 for 50 %, +100
    for certainty on the right side, about -232 for 20 % on what happened.
    Metaculus averages it over the time a question is open; do that with
    :func:`grouped_mean_score` weighting each forecast by the time it stood.

    Parameters
    ----------
    probability : array_like of float
        Forecast probabilities of the event, in [0, 1].
    outcome : array_like of {0, 1} or bool
        Whether each event happened; broadcast against ``probability``.
    clip : float, default 0
        Clip probabilities to ``[clip, 1 - clip]`` first (Metaculus bounds binary
        forecasts to [0.001, 0.999]).

    Returns
    -------
    ndarray of float
        One score per forecast; :math:`-\infty` for a certain miss without ``clip``.

    Raises
    ------
    ValueError
        As :func:`log_score`.

    References
    ----------
    Metaculus, "Scores FAQ: What is the Baseline score?",
    https://www.metaculus.com/help/scores-faq/ (binary case: ``100 * log2(2 p)``,
    as in ``scoring/score_math.py`` of github.com/Metaculus/metaculus).
    """
    score: NDArray[np.float64] = 100.0 * (1.0 - log_score(probability, outcome, clip) / np.log(2.0))
    return score


def peer_score(
    probability: ArrayLike,
    questions: ArrayLike,
    outcomes: ArrayLike,
    panel_probability: ArrayLike | None = None,
    panel_questions: ArrayLike | None = None,
    clip: float = 0.0,
) -> NDArray[np.float64]:
    r"""Metaculus peer score of binary forecasts: log score relative to the other forecasters.

    Without a panel, each forecast :math:`i` on a question with :math:`N`
    forecasts is compared with the :math:`N - 1` others:

    .. math:: \mathrm{Peer}_i = \frac{100}{N-1} \sum_{j \ne i} \bigl(\ln p_{i,o} - \ln p_{j,o}\bigr)
              = 100\,\frac{N}{N-1}\Bigl(\ln p_{i,o} - \frac1N \sum_{j=1}^{N} \ln p_{j,o}\Bigr),

    the form of Metaculus's scoring code (log of the ratio to the geometric mean
    of all :math:`N`, times :math:`N/(N-1)`); peer scores on a question sum to 0.
    With a panel (e.g. to score a pooled forecast, which is not one of the
    experts), each forecast is compared with the mean over the panel's
    forecasts on its question: :math:`100(\ln p_{i,o} - \frac1M\sum_j \ln p_{j,o})`.

    Parameters
    ----------
    probability : array_like of float, shape (n,)
        Forecast probabilities of the event, in [0, 1].
    questions : array_like of int, shape (n,)
        Question index of each forecast, in ``[0, len(outcomes))``.
    outcomes : array_like of {0, 1}, shape (n_questions,)
        The outcome of each question.
    panel_probability, panel_questions : array_like, shape (m,), optional
        The forecasts to compare with, and their question indices; both or neither.
    clip : float, default 0
        Clip probabilities (forecasts and panel) to ``[clip, 1 - clip]`` first.

    Returns
    -------
    ndarray of float, shape (n,)
        ``NaN`` where nobody else forecast the question; infinite or ``NaN``
        where certain misses meet without ``clip``.

    Raises
    ------
    ValueError
        On a probability outside [0, 1], an outcome not 0 or 1, a bad question
        index (naming it), only one of the panel arrays, or a bad ``clip``.

    References
    ----------
    Metaculus, "Scores FAQ: What is the Peer score?",
    https://www.metaculus.com/help/scores-faq/ and ``scoring/score_math.py`` of
    github.com/Metaculus/metaculus (``100 * N/(N-1) * ln(p / geometric mean)``).
    """
    _check_clip(clip)
    out = np.asarray(outcomes)
    if out.ndim != 1:
        raise ValueError(f"outcomes must be 1-d, got shape {out.shape}")
    n_q = out.size
    out_f = out.astype(float)
    bad = np.flatnonzero((out_f != 0) & (out_f != 1))
    if bad.size:
        raise ValueError(f"outcomes[{bad[0]}] = {out[bad[0]]} is not 0 or 1")
    q = np.asarray(questions)
    p, o, q = _forecasts(probability, out_f[q] if _valid_index(q, n_q) else q, q, n_q)
    with np.errstate(divide="ignore"):
        own = np.log(_probability_of_outcome(p, o, clip))
    if (panel_probability is None) != (panel_questions is None):
        raise ValueError("give both panel_probability and panel_questions, or neither")
    with np.errstate(invalid="ignore", divide="ignore"):
        if panel_probability is None:
            finite = np.isfinite(own)
            f_sum = np.bincount(q, weights=np.where(finite, own, 0.0), minlength=n_q)
            n_inf = np.bincount(q, weights=~finite, minlength=n_q)
            count = np.bincount(q, minlength=n_q)
            others = count[q] - 1
            others_sum = f_sum[q] - np.where(finite, own, 0.0)
            others_inf = n_inf[q] - ~finite
            mean_others = np.where(others_inf > 0, -np.inf, others_sum / others)
            score = 100.0 * (own - mean_others)
            return np.where(others > 0, score, np.nan)
        pq = np.asarray(panel_questions)
        pp, po, pq = _forecasts(
            panel_probability, out_f[pq] if _valid_index(pq, n_q) else pq, pq, n_q
        )
        ref = np.log(_probability_of_outcome(pp, po, clip))
        m = np.bincount(pq, minlength=n_q)
        finite = np.isfinite(ref)
        ref_mean = np.bincount(pq, weights=np.where(finite, ref, 0.0), minlength=n_q) / m
        ref_mean[np.bincount(pq, weights=~finite, minlength=n_q) > 0] = -np.inf
        return np.where(m[q] > 0, 100.0 * (own - ref_mean[q]), np.nan)


def _valid_index(index: NDArray[Any], n: int) -> bool:
    """Whether ``index`` can index an array of length ``n`` (else the checks name the entry)."""
    return (
        index.ndim == 1
        and np.issubdtype(index.dtype, np.integer)
        and bool(np.all((index >= 0) & (index < n)))
    )


def grouped_mean_score(
    scores: ArrayLike, groups: ArrayLike, n_groups: int, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""Weighted mean of per-forecast scores for each expert or pooling method.

    .. math:: \bar S_g = \frac{\sum_{i \in g} w_i S_i}{\sum_{i \in g} w_i},

    e.g. the mean Brier or log score of each expert, or, weighting each forecast
    by the time it stood (divided by the question's open time), Metaculus's
    time-averaged baseline or peer score. (Metaculus counts time without a
    forecast as 0; this mean is over the time covered.)

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One score per forecast; :math:`\pm\infty` is allowed, ``NaN`` is not.
    groups : array_like of int, shape (n,)
        Expert (or method) index of each forecast.
    n_groups : int
        Number of experts (methods).
    weights : array_like of float, shape (n,), optional
        Non-negative weight per forecast.

    Returns
    -------
    ndarray, shape (n_groups,)
        ``NaN`` for a group with no forecasts or zero total weight.

    Raises
    ------
    ValueError
        On a ``NaN`` score, a bad index or weight (naming the first).

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of probability",
    *Monthly Weather Review* 78(1), 1-3, 1950 (scores averaged over forecasts).
    """
    s = np.asarray(scores, dtype=float)
    _, g = grouped_input(np.zeros(s.shape), groups, n_groups)
    bad = np.flatnonzero(np.isnan(s))
    if bad.size:
        raise ValueError(f"scores[{bad[0]}] is nan")
    w = grouped_weights(weights, s.size)
    ww = np.ones_like(s) if w is None else w
    total = np.bincount(g, weights=ww, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = np.where(ww > 0, ww * s, 0.0)
        return np.where(
            total > 0, np.bincount(g, weights=weighted, minlength=n_groups) / total, np.nan
        )


# --- Brier decomposition ----------------------------------------------------------------------


class BrierDecomposition(NamedTuple):
    """Brier score and its five parts per group (see :func:`grouped_brier_decomposition`)."""

    brier: NDArray[np.float64]
    reliability: NDArray[np.float64]
    resolution: NDArray[np.float64]
    uncertainty: NDArray[np.float64]
    within_bin_variance: NDArray[np.float64]
    within_bin_covariance: NDArray[np.float64]
    count: NDArray[np.intp]  # type: ignore[assignment]  # shadows tuple.count; callers read it


def grouped_brier_decomposition(
    probability: ArrayLike,
    outcome: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    bins: int | ArrayLike = 10,
) -> BrierDecomposition:
    r"""Mean Brier score of each expert or method, decomposed exactly into five parts.

    With a group's :math:`N` forecasts :math:`p_i` of outcomes :math:`o_i`
    sorted into bins :math:`k` (:math:`n_k` forecasts, mean forecast
    :math:`\bar p_k`, observed frequency :math:`\bar o_k`; overall frequency
    :math:`\bar o`),

    .. math::
        \mathrm{BS} = \frac1N\sum_i (p_i - o_i)^2
        = \underbrace{\frac1N\sum_k n_k(\bar p_k - \bar o_k)^2}_{\text{REL}}
        - \underbrace{\frac1N\sum_k n_k(\bar o_k - \bar o)^2}_{\text{RES}}
        + \underbrace{\bar o(1 - \bar o)}_{\text{UNC}}
        + \underbrace{\frac1N\sum_k\sum_{i \in k}(p_i - \bar p_k)^2}_{\text{WBV}}
        - \underbrace{\frac2N\sum_k\sum_{i \in k}(p_i - \bar p_k)(o_i - \bar o_k)}_{\text{WBC}},

    Murphy's reliability, resolution and uncertainty plus the within-bin
    variance and covariance of Stephenson, Coelho & Jolliffe, which make the
    identity exact for any binning (Murphy's three parts alone add up only when
    every forecast in a bin is the same).

    Parameters
    ----------
    probability : array_like of float, shape (n,)
        Forecast probabilities, in [0, 1].
    outcome : array_like of {0, 1}, shape (n,)
        Outcomes.
    groups : array_like of int, shape (n,)
        Expert or method index of each forecast.
    n_groups : int
        Number of experts or methods.
    bins : int or array_like of float, default 10
        Number of equal-width bins on [0, 1], or the edges (from 0 to 1,
        strictly increasing); bins are :math:`[e_k, e_{k+1})`, the last closed.

    Returns
    -------
    BrierDecomposition
        ``brier``, ``reliability``, ``resolution``, ``uncertainty``,
        ``within_bin_variance``, ``within_bin_covariance`` (arrays of shape
        (n_groups,), ``NaN`` for an empty group) and ``count``; ``brier ==
        reliability - resolution + uncertainty + within_bin_variance -
        within_bin_covariance`` up to rounding.

    Raises
    ------
    ValueError
        On a probability outside [0, 1], an outcome not 0 or 1, a bad index
        (naming it) or bad bins.

    References
    ----------
    A. H. Murphy, "A new vector partition of the probability score", *Journal
    of Applied Meteorology* 12(4), 595-600, 1973; D. B. Stephenson, C. A. S.
    Coelho and I. T. Jolliffe, "Two extra components in the Brier score
    decomposition", *Weather and Forecasting* 23(4), 752-757, 2008.
    """
    p, o, g = _forecasts(probability, outcome, groups, n_groups)
    b, edges = _bin_index(p, bins)
    n_bins = edges.size - 1
    cell = g * n_bins + b
    n_cells = n_groups * n_bins
    n_k = np.bincount(cell, minlength=n_cells).astype(float)
    count = np.bincount(g, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_k = np.bincount(cell, weights=p, minlength=n_cells) / n_k
        o_k = np.bincount(cell, weights=o, minlength=n_cells) / n_k
        o_bar = np.bincount(g, weights=o, minlength=n_groups) / count
    dp, do = p - p_k[cell], o - o_k[cell]
    cell_group = np.repeat(np.arange(n_groups), n_bins)
    filled = n_k > 0

    def per_group(x: NDArray[np.float64]) -> NDArray[np.float64]:
        # np.bincount with weights gives float64; NumPy's stub types it intp
        return np.bincount(cell_group[filled], weights=x[filled], minlength=n_groups)  # type: ignore[return-value]

    with np.errstate(invalid="ignore", divide="ignore"):
        brier = np.bincount(g, weights=(p - o) ** 2, minlength=n_groups) / count
        rel = per_group(n_k * (p_k - o_k) ** 2) / count
        res = per_group(n_k * (o_k - o_bar[cell_group]) ** 2) / count
        unc = o_bar * (1 - o_bar)
        wbv = np.bincount(g, weights=dp * dp, minlength=n_groups) / count
        wbc = 2 * np.bincount(g, weights=dp * do, minlength=n_groups) / count
    return BrierDecomposition(brier, rel, res, unc, wbv, wbc, count)


# --- discrimination ---------------------------------------------------------------------------


def grouped_auc(
    probability: ArrayLike, outcome: ArrayLike, groups: ArrayLike, n_groups: int
) -> NDArray[np.float64]:
    r"""Area under the ROC curve of each expert or method (Mann-Whitney form, ties as 1/2).

    .. math:: \mathrm{AUC} = \frac{1}{n_1 n_0} \sum_{i: o_i = 1} \sum_{j: o_j = 0}
              \Bigl([p_i > p_j] + \tfrac12 [p_i = p_j]\Bigr)
              = \frac{R_1 - n_1(n_1 + 1)/2}{n_1 n_0},

    with :math:`R_1` the sum of the midranks of the forecasts of events that
    happened among all the group's forecasts: the probability that a random
    event that happened got a higher forecast than one that did not. 0.5 is no
    discrimination, 1 perfect.

    Parameters
    ----------
    probability : array_like of float, shape (n,)
        Forecast probabilities (any scores: only their order matters), in [0, 1].
    outcome : array_like of {0, 1}, shape (n,)
        Outcomes.
    groups : array_like of int, shape (n,)
        Expert or method index of each forecast.
    n_groups : int
        Number of experts or methods.

    Returns
    -------
    ndarray, shape (n_groups,)
        ``NaN`` for a group without both outcomes.

    Raises
    ------
    ValueError
        On a probability outside [0, 1], an outcome not 0 or 1 or a bad index.

    References
    ----------
    J. A. Hanley and B. J. McNeil, "The meaning and use of the area under a
    receiver operating characteristic (ROC) curve", *Radiology* 143(1), 29-36,
    1982.
    """
    p, o, g = _forecasts(probability, outcome, groups, n_groups)
    ranks = grouped_ranks(p, g, n_groups)
    n1 = np.bincount(g, weights=o, minlength=n_groups)
    n0 = np.bincount(g, minlength=n_groups) - n1
    r1 = np.bincount(g, weights=ranks * o, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (r1 - n1 * (n1 + 1) / 2) / (n1 * n0)
    return np.where((n1 > 0) & (n0 > 0), auc, np.nan)


# --- calibration ------------------------------------------------------------------------------


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Wilson score confidence interval for a binomial proportion, elementwise.

    With :math:`\hat p = k/n` and :math:`z` the :math:`(1+\text{level})/2`
    standard normal quantile,

    .. math:: \frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}} \pm
              \frac{z}{1 + \frac{z^2}{n}}\sqrt{\frac{\hat p(1 - \hat p)}{n} + \frac{z^2}{4n^2}},

    which stays inside [0, 1] and, unlike the Wald interval, does not collapse
    at 0 or :math:`n` successes.

    Parameters
    ----------
    successes, trials : array_like of float
        Counts :math:`k` and :math:`n` with :math:`0 \le k \le n` (broadcast together).
    level : float, default 0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (lower, upper) : tuple of ndarray
        ``NaN`` where ``trials`` is 0.

    Raises
    ------
    ValueError
        On a count that is negative, not finite or more than the trials, or a
        level outside (0, 1).

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical
    inference", *JASA* 22(158), 209-212, 1927; R. G. Newcombe, "Two-sided
    confidence intervals for the single proportion: comparison of seven
    methods", *Statistics in Medicine* 17(8), 857-872, 1998 (method 3).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    k, n = np.broadcast_arrays(np.asarray(successes, dtype=float), np.asarray(trials, dtype=float))
    bad = ~np.isfinite(k) | ~np.isfinite(n) | (k < 0) | (k > n)
    if bad.any():
        first = tuple(int(i) for i in np.unravel_index(np.flatnonzero(bad)[0], bad.shape))
        raise ValueError(
            f"successes {k[first]} and trials {n[first]} at {first} need 0 <= successes <= trials"
        )
    z = stats.norm.ppf((1 + level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        phat = k / n
        denominator = 1 + z * z / n
        center = (phat + z * z / (2 * n)) / denominator
        half = z / denominator * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    # at 0 (n) successes the lower (upper) end is 0 (1) exactly, not a rounding error away
    lower = np.where(n > 0, np.where(k == 0, 0.0, np.clip(center - half, 0, 1)), np.nan)
    upper = np.where(n > 0, np.where(k == n, 1.0, np.clip(center + half, 0, 1)), np.nan)
    return lower, upper


class Reliability(NamedTuple):
    """Reliability-diagram bins per group (see :func:`grouped_reliability`)."""

    edges: NDArray[np.float64]
    count: NDArray[np.intp]  # type: ignore[assignment]  # shadows tuple.count; callers read it
    mean_forecast: NDArray[np.float64]
    observed_frequency: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]


def grouped_reliability(
    probability: ArrayLike,
    outcome: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    bins: int | ArrayLike = 10,
    level: float = 0.95,
) -> Reliability:
    r"""Reliability-diagram bins of each expert or method, with Wilson intervals.

    For group :math:`g` and bin :math:`k` (:math:`n_{gk}` forecasts):

    .. math:: \bar p_{gk} = \frac{1}{n_{gk}}\sum_{i \in gk} p_i, \qquad
              \bar o_{gk} = \frac{1}{n_{gk}}\sum_{i \in gk} o_i,

    and the Wilson score interval (:func:`wilson_interval`) of
    :math:`\bar o_{gk}` from :math:`n_{gk}\bar o_{gk}` events in :math:`n_{gk}`.
    A calibrated forecaster's points :math:`(\bar p, \bar o)` lie on the
    diagonal, within their intervals.

    Parameters
    ----------
    probability : array_like of float, shape (n,)
        Forecast probabilities, in [0, 1].
    outcome : array_like of {0, 1}, shape (n,)
        Outcomes.
    groups : array_like of int, shape (n,)
        Expert or method index of each forecast.
    n_groups : int
        Number of experts or methods.
    bins : int or array_like of float, default 10
        As :func:`grouped_brier_decomposition`: bins :math:`[e_k, e_{k+1})`,
        the last closed.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    Reliability
        ``edges`` (n_bins + 1,), and arrays of shape (n_groups, n_bins):
        ``count``, ``mean_forecast``, ``observed_frequency``, ``lower``,
        ``upper`` (``NaN`` in empty bins).

    Raises
    ------
    ValueError
        On bad forecasts, outcomes, indices, bins or level.

    References
    ----------
    A. H. Murphy and R. L. Winkler, "Diagnostic verification of probability
    forecasts", *International Journal of Forecasting* 7(4), 435-455, 1992;
    E. B. Wilson, *JASA* 22(158), 209-212, 1927.
    """
    p, o, g = _forecasts(probability, outcome, groups, n_groups)
    b, edges = _bin_index(p, bins)
    n_bins = edges.size - 1
    cell = g * n_bins + b
    size = n_groups * n_bins
    count = np.bincount(cell, minlength=size)
    events = np.bincount(cell, weights=o, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_forecast = np.bincount(cell, weights=p, minlength=size) / count
        frequency = events / count
    lower, upper = wilson_interval(events, count, level)
    shape = (n_groups, n_bins)
    return Reliability(
        edges,
        count.reshape(shape),
        mean_forecast.reshape(shape),
        frequency.reshape(shape),
        lower.reshape(shape),
        upper.reshape(shape),
    )


class CookeCalibration(NamedTuple):
    """Cooke's calibration of binary forecasts per group (see :func:`grouped_cooke_calibration`)."""

    calibration: NDArray[np.float64]
    statistic: NDArray[np.float64]
    df: NDArray[np.intp]
    information: NDArray[np.float64]
    count: NDArray[np.intp]  # type: ignore[assignment]  # shadows tuple.count; callers read it


def grouped_cooke_calibration(
    probability: ArrayLike,
    outcome: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    bins: int | ArrayLike = 10,
) -> CookeCalibration:
    r"""Cooke's calibration score for probability forecasts of binary events, per expert.

    The forecasts are put into probability bins; in bin :math:`k` there are
    :math:`n_k` forecasts with mean stated probability :math:`p_k` of which a
    fraction :math:`s_k` came true. If the expert is perfectly calibrated (each
    event in bin :math:`k` happens independently with probability :math:`p_k`),

    .. math:: 2\sum_k n_k\, I(s_k, p_k) \;\dot\sim\; \chi^2_{B}, \qquad
              I(s, p) = s \ln\frac{s}{p} + (1 - s)\ln\frac{1 - s}{1 - p},

    with :math:`B` the number of non-empty bins (each term is a likelihood-ratio
    G statistic with one degree of freedom). The calibration score is the
    p-value :math:`1 - F_{\chi^2_B}(2\sum_k n_k I(s_k, p_k))`: near 1 for
    good calibration, near 0 for bad. The information score is the mean
    relative information of the forecasts with respect to 50 %,
    :math:`\frac1N\sum_i I(p_i, \tfrac12)` (0 for always 50 %, :math:`\ln 2` for
    certainty).

    Cooke lets experts choose among a few fixed probabilities (10 %, 20 %, ...);
    with free probabilities the bin's mean stated probability plays that role.

    Parameters
    ----------
    probability : array_like of float, shape (n,)
        Stated probabilities of the events, in [0, 1].
    outcome : array_like of {0, 1}, shape (n,)
        Outcomes.
    groups : array_like of int, shape (n,)
        Expert (or method) index of each forecast.
    n_groups : int
        Number of experts.
    bins : int or array_like of float, default 10
        As :func:`grouped_brier_decomposition`.

    Returns
    -------
    CookeCalibration
        Arrays of shape (n_groups,): ``calibration``, ``statistic``, ``df``
        (non-empty bins), ``information``, ``count``. ``NaN`` for an empty group;
        calibration 0 when a bin's stated probability is 0 or 1 and missed.

    Raises
    ------
    ValueError
        On bad forecasts, outcomes, indices or bins.

    References
    ----------
    R. M. Cooke, *Experts in Uncertainty: Opinion and Subjective Probability in
    Science*, Oxford University Press, 1991, ch. 9 and 12; R. M. Cooke, M. E.
    Mendel and W. Thijs, "Calibration and information in expert resolution",
    *Automatica* 24(1), 87-93, 1988.
    """
    p, o, g = _forecasts(probability, outcome, groups, n_groups)
    b, edges = _bin_index(p, bins)
    n_bins = edges.size - 1
    cell = g * n_bins + b
    size = n_groups * n_bins
    n_k = np.bincount(cell, minlength=size).astype(float)
    filled = n_k > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        p_k = np.bincount(cell, weights=p, minlength=size) / n_k
        s_k = np.bincount(cell, weights=o, minlength=size) / n_k
        info_k = special.rel_entr(s_k, p_k) + special.rel_entr(1 - s_k, 1 - p_k)
    cell_group = np.repeat(np.arange(n_groups), n_bins)
    g_statistic = 2 * np.bincount(
        cell_group[filled], weights=(n_k * info_k)[filled], minlength=n_groups
    )
    df = np.bincount(cell_group[filled], minlength=n_groups)
    count = np.bincount(g, minlength=n_groups)
    own_info = special.rel_entr(p, 0.5) + special.rel_entr(1 - p, 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):
        information = np.bincount(g, weights=own_info, minlength=n_groups) / count
        calibration = np.where(count > 0, stats.chi2.sf(g_statistic, df), np.nan)
    statistic = np.where(count > 0, g_statistic, np.nan)
    return CookeCalibration(calibration, statistic, df, information, count)
