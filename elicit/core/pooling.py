r"""Binary probability pools: one aggregate probability per question from many experts' forecasts.

Every pool takes the grouped layout of :mod:`elicit.core.layout`: ``values`` are
probabilities in [0, 1] (one per judgment), ``groups`` the question index of each
value, ``n_groups`` the number of questions, and optionally ``weights``, one
non-negative weight per judgment. Each returns an array of shape ``(n_groups,)``
with NaN for a question nobody answered. Nothing loops over judgments or
questions in Python.

The median-type pools (median, trimmed mean, recency-weighted median) do not sort
every question: they count the judgments (and sum their weights) in about 100 value
bins per question with one ``bincount``, find the bins where the median or the
trimming cuts fall, and sort only the judgments in those bins, a few per question.
Probabilities in whole percent (or per mille, given enough judgments per question)
get a bin each on their grid: every judgment in a bin then has the same value, and
the pools read their cuts off the bin counts without looking at a single judgment.
Otherwise, when the values bunch up so that the cut bins hold much of the data, the
pools sort every question instead (with the ``presorted`` sort if one is given, see
:func:`grouped_sort`). Either way the results are the same up to floating-point
rounding of sums (an unweighted median picks the very same judgments).

The probit pool looks the normal quantiles of whole-percent (and per-mille)
probabilities up in a table of 101 (1001) values computed with
``scipy.special.ndtri``: the same numbers ``ndtri`` gives for each judgment.

Conventions
-----------
* Weights are relative: only their ratios within a question matter. A question
  whose judgments all have weight 0 has no defined pool and is refused.
* The log-odds and probit pools cannot use a probability of exactly 0 or 1; they
  clip probabilities to :math:`[\varepsilon, 1 - \varepsilon]` with
  ``eps=CLIP_EPSILON`` (0.001, the range Metaculus allows for binary forecasts)
  unless another ``eps`` is given. The geometric mean needs no clipping: one
  forecast of 0 makes it 0.
* Weighted medians and weighted trimming compare cumulative weight shares with
  1/2 and with the trimming fraction. Shares within ``TIE_TOLERANCE`` (1e-10) of
  such a cut count as lying exactly on it, so that equal weights reproduce the
  unweighted pool whatever the floating-point rounding of the sums.
* No result depends on the order of the judgments: before weighted trimming, equal
  probabilities on a question share their weight equally, and forecasts made at
  the same time share their recency weights equally.

:data:`METHODS` maps a short name to every pool, each callable as
``pool(values, groups, n_groups, weights)``; :func:`pool` runs one of them by name
(or any pool given) with its parameters, and is the way the bootstrap of
:mod:`elicit.core.consensus` and the back-test reach a pool; :func:`pool_all` runs
them all, sharing the binning (and any sort) among the median-type pools. Sorting
within groups (:func:`grouped_sort`) and the median of sorted groups come from
:mod:`elicit.core.sorting`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .layout import grouped_input, grouped_weights
from .sorting import (
    TIE_TOLERANCE,
    GroupedSort,
    _cumulative_share,
    _group_of,
    _grouped_sort,
    _median_sorted,
    _Rows,
    _running_sum,
    _runs,
    _share_ties,
)
from .sorting import grouped_sort as grouped_sort

CLIP_EPSILON = 1e-3
"""Default clipping of probabilities for the log-odds and probit pools: [0.001, 0.999]."""

DEFAULT_TRIM_FRACTION = 0.1
"""Default fraction of judgments (or of weight) cut from each end by the trimmed mean."""


def neyman_roughgarden_factor(n: ArrayLike) -> NDArray[np.float64]:
    r"""Extremization factor for averaged log-odds of ``n`` forecasts (Neyman & Roughgarden).

    .. math:: d(n) = \frac{n\left(\sqrt{3n^2 - 3n + 1} - 2\right)}{n^2 - n - 1},

    so :math:`d(1) = 1` (a single forecast is left alone), :math:`d(2) = 2(\sqrt 7 - 2)
    \approx 1.29`, and :math:`d(n) \to \sqrt 3` as :math:`n \to \infty`.

    Parameters
    ----------
    n : array_like of int
        Numbers of forecasts, each at least 1.

    Returns
    -------
    ndarray of float
        One factor per entry of ``n``.

    Raises
    ------
    ValueError
        If an entry is not a whole number of at least 1.

    References
    ----------
    E. Neyman and T. Roughgarden, "Are you smarter than a random expert? The robust
    aggregation of substitutable signals", *Proceedings of the 23rd ACM Conference on
    Economics and Computation* (EC '22), 2022; arXiv:2111.03153.
    """
    count = np.asarray(n, dtype=float)
    bad = np.flatnonzero(~np.isfinite(count) | (count < 1) | (count != np.floor(count)))
    if bad.size:
        flat = count.ravel()
        raise ValueError(f"n[{bad[0]}] is {flat[bad[0]]}, not a whole number of at least 1")
    factor: NDArray[np.float64] = (
        count * (np.sqrt(3 * count**2 - 3 * count + 1) - 2) / (count**2 - count - 1)
    )
    return factor


def metaculus_recency_weights(
    groups: ArrayLike, n_groups: int, times: ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""Metaculus's recency weight of every judgment: the newest counts most.

    Within a question with :math:`N` forecasts, ordered by time so that the
    :math:`k`-th oldest has rank :math:`k = 1, \dots, N`,

    .. math:: w_k = \exp\left(\sqrt{k} - \sqrt{N}\right) \quad (N \ge 3),
              \qquad w_k = 1 \quad (N \le 2),

    so the most recent forecast has weight 1.

    Parameters
    ----------
    groups : array_like of int, shape (n,)
        Question index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    times : array_like of float, shape (n,), optional
        When each forecast was made (any increasing clock, e.g. seconds since the
        epoch). Without it, the order of the arrays is the time order. Forecasts made
        at the same time share their recency weights equally (each gets the mean of
        the weights of their ranks), so their order in the arrays does not matter.

    Returns
    -------
    ndarray of float, shape (n,)

    Raises
    ------
    ValueError
        If a group index is out of range, a time is not finite, or the shapes differ.

    References
    ----------
    Metaculus, ``RecencyWeighted`` in ``utils/the_math/aggregations.py``,
    https://github.com/Metaculus/metaculus (the "recency weighted" community prediction).
    """
    _, groups = grouped_input(np.zeros(np.shape(groups)), groups, n_groups)
    stamps = _times(times, groups.size)
    return _recency_weights(_Rows(groups, n_groups), stamps)


def linear_pool(
    values: ArrayLike, groups: ArrayLike, n_groups: int, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""Linear opinion pool: the (weighted) arithmetic mean of the probabilities.

    .. math:: \hat p_g = \frac{\sum_{i \in g} w_i p_i}{\sum_{i \in g} w_i}

    with :math:`w_i = 1` when no weights are given.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        If a probability is outside [0, 1] or not finite, a group index is out of
        range, the shapes differ, a weight is negative or not finite, or the weights
        of a question sum to 0.

    References
    ----------
    M. Stone, "The opinion pool", *The Annals of Mathematical Statistics* 32(4),
    1339-1342, 1961.
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    return _linear(p, g, n_groups, w)


def median_pool(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    presorted: GroupedSort | None = None,
) -> NDArray[np.float64]:
    r"""Median of the probabilities; with weights, the weighted median Metaculus uses.

    Without weights this is ``np.median`` of each question's probabilities. With
    weights, sort a question's probabilities :math:`p_{(1)} \le \dots \le p_{(m)}`,
    let :math:`c_k = \sum_{j \le k} w_{(j)} / \sum_j w_{(j)}` be the cumulative
    weight share, :math:`l` the first :math:`k` with :math:`c_k \ge 1/2` and
    :math:`r` the first with :math:`c_k > 1/2`; then

    .. math:: \hat p = \tfrac12 \left(p_{(l)} + p_{(r)}\right),

    which for equal weights is the ordinary median (see ``TIE_TOLERANCE`` in the
    module notes for shares that land on 1/2).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.
    presorted : GroupedSort, optional
        ``grouped_sort(values, groups, n_groups)``, used if the values are too bunched
        up to bin (see the module notes).

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        As :func:`linear_pool`, or if ``presorted`` does not fit the arrays.

    References
    ----------
    Metaculus, ``weighted_percentile_2d`` in ``utils/the_math/measures.py``,
    https://github.com/Metaculus/metaculus; S. C. Hora, B. R. Fransen, N. Hawkins
    and I. Susel, "Median aggregation of distribution functions", *Decision Analysis*
    10(4), 279-291, 2013.
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    return _median(p, w, _Bins(p, g, n_groups, _presorted(presorted, p, n_groups)))


def trimmed_mean_pool(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    fraction: float = DEFAULT_TRIM_FRACTION,
    presorted: GroupedSort | None = None,
) -> NDArray[np.float64]:
    r"""Trimmed mean: drop the most extreme forecasts at both ends, average the rest.

    Without weights, a question with :math:`m` forecasts sorted as
    :math:`p_{(1)} \le \dots \le p_{(m)}` loses :math:`k = \lfloor \alpha m \rfloor`
    from each end, as in ``scipy.stats.trim_mean``:

    .. math:: \hat p = \frac{1}{m - 2k} \sum_{j = k + 1}^{m - k} p_{(j)}.

    With weights, a forecast is dropped when all of its weight lies in the lowest or
    the highest share :math:`\alpha` of the question's weight (cumulative shares
    :math:`c_{j-1} < c_j` with :math:`c_j \le \alpha` or :math:`c_{j-1} \ge 1 - \alpha`);
    the others are averaged with their weights. Equal probabilities on a question first
    share their weight equally (the same weighted mean, but which of several tied
    forecasts falls in a tail no longer depends on their order). Equal weights give the
    unweighted rule.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.
    fraction : float, default 0.1
        :math:`\alpha`, in [0, 0.5) (at least ``2 * TIE_TOLERANCE`` below 0.5).
    presorted : GroupedSort, optional
        ``grouped_sort(values, groups, n_groups)``, used if the values are too bunched
        up to bin (see the module notes).

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        As :func:`linear_pool`, if ``fraction`` is outside [0, 0.5), or if
        ``presorted`` does not fit the arrays.

    References
    ----------
    V. R. R. Jose, Y. Grushka-Cockayne and K. C. Lichtendahl Jr., "Trimmed opinion
    pools and the crowd's calibration problem", *Management Science* 60(2),
    463-475, 2014.
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    alpha = _fraction(fraction)
    bins = _Bins(p, g, n_groups, _presorted(presorted, p, n_groups))
    return _trimmed_mean(p, w, bins, alpha)


def geometric_mean_pool(
    values: ArrayLike, groups: ArrayLike, n_groups: int, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""Geometric mean of the probabilities (the unnormalized logarithmic pool).

    .. math:: \hat p_g = \exp\left(\frac{\sum_{i \in g} w_i \log p_i}{\sum_{i \in g} w_i}\right)
              = \prod_{i \in g} p_i^{\,w_i / \sum_j w_j},

    which is 0 as soon as one forecast with positive weight is 0. It is not
    renormalized against the geometric mean of :math:`1 - p_i`; for that, use
    :func:`log_odds_pool`.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        As :func:`linear_pool`.

    References
    ----------
    C. Genest and J. V. Zidek, "Combining probability distributions: a critique and an
    annotated bibliography", *Statistical Science* 1(1), 114-135, 1986.
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    with np.errstate(divide="ignore"):
        logs = np.log(p)
    return np.clip(np.exp(_mean(logs, g, n_groups, w)), 0.0, 1.0)


def log_odds_pool(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    eps: float = CLIP_EPSILON,
) -> NDArray[np.float64]:
    r"""Mean log-odds, the same as the geometric mean of odds (normalized logarithmic pool).

    With :math:`\tilde p_i = \min(\max(p_i, \varepsilon), 1 - \varepsilon)`,

    .. math:: \bar z_g = \frac{\sum_{i \in g} w_i \log\frac{\tilde p_i}{1 - \tilde p_i}}
                               {\sum_{i \in g} w_i}, \qquad
              \hat p_g = \frac{1}{1 + e^{-\bar z_g}},

    i.e. the odds :math:`\hat p / (1 - \hat p)` are the weighted geometric mean of the
    forecasts' odds.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.
    eps : float, default ``CLIP_EPSILON`` (0.001)
        Clipping :math:`\varepsilon`, in (0, 0.5).

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        As :func:`linear_pool`, or if ``eps`` is outside (0, 0.5).

    References
    ----------
    V. A. Satopää, J. Baron, D. P. Foster, B. A. Mellers, P. E. Tetlock and L. H.
    Ungar, "Combining multiple probability predictions using a simple logit model",
    *International Journal of Forecasting* 30(2), 344-356, 2014.
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    pooled: NDArray[np.float64] = special.expit(_mean(_logit(p, _eps(eps)), g, n_groups, w))
    return pooled


geometric_mean_of_odds_pool = log_odds_pool


def extremized_log_odds_pool(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    d: float | None = None,
    eps: float = CLIP_EPSILON,
) -> NDArray[np.float64]:
    r"""Extremized mean log-odds: the mean log-odds multiplied by a factor :math:`d`.

    With :math:`\bar z_g` the (weighted) mean of clipped log-odds as in
    :func:`log_odds_pool`,

    .. math:: \hat p_g = \frac{1}{1 + e^{-d\,\bar z_g}},

    where :math:`d` is fixed, or by default the Neyman-Roughgarden factor
    :math:`d(n_g) = n_g(\sqrt{3n_g^2 - 3n_g + 1} - 2) / (n_g^2 - n_g - 1)` of the
    number :math:`n_g` of forecasts (with positive weight) on the question, see
    :func:`neyman_roughgarden_factor`. :math:`d > 1` moves the pool away from 1/2.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.
    d : float, optional
        Fixed extremization factor, positive; default: :math:`d(n_g)` per question.
    eps : float, default ``CLIP_EPSILON`` (0.001)
        Clipping :math:`\varepsilon`, in (0, 0.5).

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        As :func:`log_odds_pool`, or if ``d`` is not a positive finite number.

    References
    ----------
    E. Neyman and T. Roughgarden, "Are you smarter than a random expert? The robust
    aggregation of substitutable signals", EC '22, 2022, arXiv:2111.03153;
    V. A. Satopää et al., "Combining multiple probability predictions using a simple
    logit model", *International Journal of Forecasting* 30(2), 344-356, 2014.
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    factor = _factor(d)
    return _extremized(_mean(_logit(p, _eps(eps)), g, n_groups, w), g, n_groups, w, factor)


def probit_pool(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    eps: float = CLIP_EPSILON,
) -> NDArray[np.float64]:
    r"""Probit mean: average the forecasts' normal quantiles, map the mean back.

    With :math:`\Phi` the standard normal distribution function and clipped
    :math:`\tilde p_i = \min(\max(p_i, \varepsilon), 1 - \varepsilon)`,

    .. math:: \hat p_g = \Phi\left(\frac{\sum_{i \in g} w_i \Phi^{-1}(\tilde p_i)}
                                          {\sum_{i \in g} w_i}\right).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.
    eps : float, default ``CLIP_EPSILON`` (0.001)
        Clipping :math:`\varepsilon`, in (0, 0.5).

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        As :func:`log_odds_pool`.

    References
    ----------
    A. M. Hanea, D. P. Wilkinson, M. McBride et al., "Mathematically aggregating
    experts' predictions of possible futures", *PLoS ONE* 16(9), e0256919, 2021
    (method ProbitArMean).
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    pooled: NDArray[np.float64] = special.ndtr(_mean(_probit(p, _eps(eps)), g, n_groups, w))
    return pooled


def recency_weighted_median_pool(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    times: ArrayLike | None = None,
    presorted: GroupedSort | None = None,
) -> NDArray[np.float64]:
    r"""Metaculus's recency-weighted median: newer forecasts weigh more.

    Each judgment gets the recency weight of :func:`metaculus_recency_weights`,
    :math:`\exp(\sqrt{k} - \sqrt{N})` for the :math:`k`-th oldest of :math:`N \ge 3`
    forecasts on the question and 1 when :math:`N \le 2`, multiplied by its weight
    when ``weights`` are given; the pool is the weighted median of
    :func:`median_pool` with those weights:

    .. math:: \hat p = \tfrac12 \left(p_{(l)} + p_{(r)}\right), \quad
              l = \min\{k : c_k \ge \tfrac12\}, \; r = \min\{k : c_k > \tfrac12\}.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1], each expert's latest forecast on a question.
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Further non-negative weight of each judgment (e.g. a reputation).
    times : array_like of float, shape (n,), optional
        When each forecast was made; without it the array order is the time order.
        Forecasts made at the same time share their recency weights equally.
    presorted : GroupedSort, optional
        ``grouped_sort(values, groups, n_groups)``, used if the values are too bunched
        up to bin (see the module notes).

    Returns
    -------
    ndarray, shape (n_groups,)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        As :func:`median_pool`, or if a time is not finite or the weights of a question
        vanish once multiplied by the recency weights.

    References
    ----------
    Metaculus, ``RecencyWeighted`` in ``utils/the_math/aggregations.py`` and
    ``weighted_percentile_2d`` in ``utils/the_math/measures.py``,
    https://github.com/Metaculus/metaculus
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    stamps = _times(times, p.size)
    bins = _Bins(p, g, n_groups, _presorted(presorted, p, n_groups))
    return _recency_median(p, w, stamps, _Rows(g, n_groups), bins)


def pool_all(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    times: ArrayLike | None = None,
) -> dict[str, NDArray[np.float64]]:
    r"""Run every pool of :data:`METHODS` with default settings, binning the values once.

    The median, trimmed mean and recency-weighted median share one binning of the
    values (and one :func:`grouped_sort` if the values need it, see the module
    notes); the two log-odds pools share one transform
    :math:`z_i = \log(\tilde p_i / (1 - \tilde p_i))`. Results equal calling each
    pool on its own.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Probabilities in [0, 1].
    groups : array_like of int, shape (n,)
        Question index of each probability, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.
    times : array_like of float, shape (n,), optional
        Forecast times, for the recency-weighted median.

    Returns
    -------
    dict of str to ndarray, shape (n_groups,)
        Keyed by the names of :data:`METHODS`, in the same order.

    Raises
    ------
    ValueError
        As the individual pools.

    References
    ----------
    See the individual pools.
    """
    p, g, w = _pool_input(values, groups, n_groups, weights)
    stamps = _times(times, p.size)
    rows = _Rows(g, n_groups)
    bins = _Bins(p, g, n_groups)
    mean_z = _mean(_logit(p, CLIP_EPSILON), g, n_groups, w)
    with np.errstate(divide="ignore"):
        logs = np.log(p)
    e = CLIP_EPSILON
    return {
        "linear": _linear(p, g, n_groups, w),
        "median": _median(p, w, bins),
        "trimmed_mean": _trimmed_mean(p, w, bins, DEFAULT_TRIM_FRACTION),
        "geometric_mean": np.clip(np.exp(_mean(logs, g, n_groups, w)), 0.0, 1.0),
        "log_odds": special.expit(mean_z),
        "extremized_log_odds": _extremized(mean_z, g, n_groups, w, None),
        "probit": special.ndtr(_mean(_probit(p, e), g, n_groups, w)),
        "recency_weighted_median": _recency_median(p, w, stamps, rows, bins),
    }


METHODS: dict[str, Callable[..., NDArray[np.float64]]] = {
    "linear": linear_pool,
    "median": median_pool,
    "trimmed_mean": trimmed_mean_pool,
    "geometric_mean": geometric_mean_pool,
    "log_odds": log_odds_pool,
    "extremized_log_odds": extremized_log_odds_pool,
    "probit": probit_pool,
    "recency_weighted_median": recency_weighted_median_pool,
}
"""Every pool by name; each is callable as ``pool(values, groups, n_groups, weights)``."""

Pool = Callable[..., ArrayLike]
"""A pool in the grouped layout: ``pool(values, groups, n_groups[, weights], **parameters)``."""


def pool(
    method: str | Pool,
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    **parameters: object,
) -> NDArray[np.float64]:
    r"""Run one pool, named or given, on every question: the one way into a pool.

    For the pool :math:`f` named by ``method`` (a key of :data:`METHODS`) or given as a
    callable, with its ``parameters`` :math:`\theta`,

    .. math:: \hat p_g = f_\theta\bigl(\{(p_i, w_i) : i \in g\}\bigr),
              \qquad g = 0, \dots, n_{\text{groups}} - 1,

    computed for all questions in one call. ``weights`` are passed on only when given,
    so a callable that takes none (a statistic such as
    ``lambda v, g, n: grouped_quantiles(v, g, n, [0.5])``) can be run the same way.
    :func:`elicit.core.consensus.grouped_bootstrap_ci` and
    :func:`elicit.core.backtest.backtest` reach their pools through this function.

    Parameters
    ----------
    method : str or callable
        A name in :data:`METHODS`, or a callable
        ``method(values, groups, n_groups[, weights=...], **parameters)`` returning
        one result per group (an array of shape ``(n_groups, ...)``).
    values : array_like of float, shape (n,)
        The judgments (probabilities in [0, 1] for the pools of :data:`METHODS`).
    groups : array_like of int, shape (n,)
        Question index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight of each judgment.
    **parameters
        Keyword arguments of the pool, e.g. ``fraction`` of :func:`trimmed_mean_pool`,
        ``eps`` of :func:`log_odds_pool`, ``times`` of
        :func:`recency_weighted_median_pool`.

    Returns
    -------
    ndarray of float, shape (n_groups, ...)
        The pool's result, NaN for a question with no judgments.

    Raises
    ------
    ValueError
        If ``method`` is a name not in :data:`METHODS`, if the pool returns an array
        whose first axis is not ``n_groups`` long, or as the pool itself.

    References
    ----------
    See the individual pools.
    """
    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"unknown pool {method!r}; known: {', '.join(METHODS)}")
        method = METHODS[method]
    if weights is None:
        out = method(values, groups, n_groups, **parameters)
    else:
        out = method(values, groups, n_groups, weights=weights, **parameters)
    result = np.asarray(out, dtype=float)
    if result.ndim == 0 or result.shape[0] != n_groups:
        raise ValueError(f"pool returned shape {result.shape}, expected ({n_groups}, ...)")
    return result


# Checking input ###########################################################


def _pool_input(
    values: ArrayLike, groups: ArrayLike, n_groups: int, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.float64] | None]:
    p, g = grouped_input(values, groups, n_groups)
    if p.size and not (p.min() >= 0.0 and p.max() <= 1.0):
        outside = np.flatnonzero((p < 0) | (p > 1))
        raise ValueError(f"values[{outside[0]}] is {p[outside[0]]}, outside [0, 1]")
    w = grouped_weights(weights, p.size)
    with np.errstate(over="ignore"):
        overflows = w is not None and w.size and not np.isfinite(w.sum())
    if overflows:
        raise ValueError("the weights are so large that their sum overflows; scale them down")
    if w is not None and w.size and not w.min() > 0.0:  # else every group has weight
        _check_totals(w, g, n_groups)
    return p, g, w


def _check_totals(w: NDArray[np.float64], g: NDArray[np.intp], n_groups: int) -> None:
    counts = np.bincount(g, minlength=n_groups)
    totals = np.bincount(g, weights=w, minlength=n_groups)
    empty = np.flatnonzero((counts > 0) & ~(totals > 0))
    if empty.size:
        raise ValueError(f"the weights of group {empty[0]} sum to 0; give one a positive weight")


def _times(times: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    if times is None:
        return None
    t = np.asarray(times, dtype=float)
    if t.shape != (n,):
        raise ValueError(f"times must have shape ({n},), got {t.shape}")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise ValueError(f"times[{bad[0]}] is {t[bad[0]]}, not a finite number")
    return t


def _eps(eps: float) -> float:
    e = float(eps)
    if not 0 < e < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    return e


def _fraction(fraction: float) -> float:
    alpha = float(fraction)
    if not 0 <= alpha < 0.5:
        raise ValueError(f"fraction must be in [0, 0.5), got {fraction}")
    if alpha + TIE_TOLERANCE >= 1.0 - alpha - TIE_TOLERANCE:  # the two cuts would meet
        raise ValueError(
            f"fraction must be in [0, 0.5) and at least {2 * TIE_TOLERANCE:g} below 0.5, "
            f"got {fraction}"
        )
    return alpha


def _factor(d: float | None) -> float | None:
    if d is None:
        return None
    factor = float(d)
    if not (np.isfinite(factor) and factor > 0):
        raise ValueError(f"d must be a positive finite number, got {d}")
    return factor


def _presorted(
    presorted: GroupedSort | None, p: NDArray[np.float64], n_groups: int
) -> GroupedSort | None:
    if presorted is None:
        return None
    if presorted.order.shape != p.shape or presorted.counts.shape != (n_groups,):
        raise ValueError(
            "presorted does not fit these values: pass grouped_sort(values, groups, n_groups)"
        )
    return presorted


# Building blocks on checked arrays ########################################


def _mean(
    x: NDArray[np.float64], g: NDArray[np.intp], n_groups: int, w: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """Weighted mean of ``x`` per group; NaN for an empty group; zero weight hides -inf."""
    if w is None:
        total = np.bincount(g, weights=x, minlength=n_groups)
        size = np.bincount(g, minlength=n_groups).astype(float)
    else:
        with np.errstate(invalid="ignore"):
            terms = w * x
        if not np.isfinite(x).all():
            terms[w == 0] = 0.0
        total = np.bincount(g, weights=terms, minlength=n_groups)
        size = np.bincount(g, weights=w, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: NDArray[np.float64] = total / size
    return mean


def _linear(
    p: NDArray[np.float64], g: NDArray[np.intp], n_groups: int, w: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    return np.clip(_mean(p, g, n_groups, w), 0.0, 1.0)


def _logit(p: NDArray[np.float64], eps: float) -> NDArray[np.float64]:
    clipped = np.clip(p, eps, 1.0 - eps)
    return np.log(clipped / (1.0 - clipped))  # scipy.special.logit's formula, faster


def _probit(p: NDArray[np.float64], eps: float) -> NDArray[np.float64]:
    """``ndtri(clip(p, eps, 1 - eps))``, looked up in a table when ``p`` are whole percents.

    Elicited probabilities are usually whole percents (or per mille): then each is
    exactly ``k / steps`` and the normal quantile of the 101 (1001) possible values,
    computed once, is the same number ``ndtri`` gives for each judgment, in a fraction of
    the time.
    """
    for steps in _GRID_STEPS:
        k = _grid_index(p, steps)
        if k is not None:
            table: NDArray[np.float64] = special.ndtri(
                np.clip(np.arange(steps + 1) / steps, eps, 1.0 - eps)
            )
            return table[k]
    quantiles: NDArray[np.float64] = special.ndtri(np.clip(p, eps, 1.0 - eps))
    return quantiles


_GRID_STEPS = (100, 1000)
"""Grids of probabilities (whole percents, per mille) that :func:`_probit` looks up."""


def _grid_index(p: NDArray[np.float64], steps: int) -> NDArray[np.intp] | None:
    """``k`` with ``p == k / steps`` exactly (as floats) for every entry, or None."""
    if p.size < 4096:  # not worth it
        return None
    sample = p[:: p.size // 512]
    if not np.array_equal(np.rint(sample * steps) / steps, sample):
        return None
    k = p * steps
    np.rint(k, out=k)
    if not np.array_equal(k / steps, p):
        return None
    return k.astype(np.intp)


def _extremized(
    mean_z: NDArray[np.float64],
    g: NDArray[np.intp],
    n_groups: int,
    w: NDArray[np.float64] | None,
    d: float | None,
) -> NDArray[np.float64]:
    factor: NDArray[np.float64] | float
    if d is None:
        counts = np.bincount(g if w is None else g[w > 0], minlength=n_groups)
        factor = np.full(n_groups, np.nan)
        present = counts > 0
        factor[present] = neyman_roughgarden_factor(counts[present])
    else:
        factor = d
    pooled: NDArray[np.float64] = special.expit(factor * mean_z)
    return pooled


class _Bins:
    """The judgments spread over value bins, ``width + 1`` per group: sorting without sorting.

    A judgment with probability :math:`p` on question :math:`g` lies in the flat bin
    ``key = g * (width + 1) + floor((p - lo) * width / (hi - lo) + 1/2)``, with ``lo`` and
    ``hi`` the smallest and largest probability. The bin is a non-decreasing function of
    :math:`p`, so every judgment in a bin of a question is at most every judgment in a
    later bin of it, and one ``bincount`` of the keys (of weights, of values) tells how
    many judgments (how much weight, what total) come before each bin in the sorted order.
    A pool then needs the exact order only inside the one or two bins where its cut
    points fall (:meth:`members`): a few judgments per question instead of all of them.

    Probabilities that are all whole percents (or per mille, if that makes at most about
    four bins per judgment) are binned on that grid instead: ``key = g * 101 + 100 p``,
    and ``steps`` is 100 (1000). Every judgment of a bin then has the bin's value
    (:meth:`value`), so a pool needs no members at all. Otherwise ``steps`` is None and,
    with about 200 judgments per question, there are 100 bins. If the values bunch up in
    a few bins (a consensus, a narrow range) the members would be many; then
    (:meth:`choose`) a pool sorts every group instead (:meth:`sorted`, or the
    ``presorted`` sort it was given), so it is never much slower than sorting.
    """

    def __init__(
        self,
        p: NDArray[np.float64],
        g: NDArray[np.intp],
        n_groups: int,
        presorted: GroupedSort | None = None,
    ) -> None:
        n = p.size
        self.p, self.g, self.n_groups, self._sorted = p, g, n_groups, presorted
        width = min(_MAX_BINS, max(1, n // (2 * max(n_groups, 1))))
        # a handful of judgments per group: the chosen bins would hold most of them
        self.direct = width < _MIN_BINS and n > _FEW_MEMBERS
        self.steps: int | None = None
        if self.direct:
            return
        for steps in _GRID_STEPS:
            if n_groups * (steps + 1) > 4 * n + _FEW_MEMBERS:
                break
            grid = _grid_index(p, steps)
            if grid is not None:
                self.steps, self.size = steps, steps + 1
                key = g * self.size
                key += grid
                self._count(key)
                return
        self.size = size = width + 1
        lo, hi = (float(p.min()), float(p.max())) if n else (0.0, 0.0)
        scale = width / (hi - lo) if hi > lo else 0.0
        if not np.isfinite(scale):  # a range below ~1e-305: one bin
            scale = 0.0
        if lo * scale <= 2.0**20:  # p * scale + shift rounds off less than 2**-30
            position = p * scale
            position += 0.5 - lo * scale
        else:  # p - lo is exact to a rounding, so position stays in [0, width + 1)
            position = p - lo
            position *= scale
            position += 0.5
        key = g * size
        key += position.astype(np.intp)
        self._count(key)

    def _count(self, key: NDArray[np.intp]) -> None:
        """Count the judgments of every flat bin, given each judgment's bin."""
        size = self.size
        self.key = key
        self.counts = np.bincount(key, minlength=self.n_groups * size)
        self.cum = np.cumsum(self.counts)  # judgments up to and including each bin
        ends = self.cum[size - 1 :: size]
        self.m = np.diff(ends, prepend=0)  # judgments per group
        self.starts = ends - self.m  # sorted position of each group's first judgment
        self.present = np.flatnonzero(self.m)

    def value(self, bins: NDArray[np.intp]) -> NDArray[np.float64]:
        """Give the probability of every judgment in each flat bin, when the bins are a grid."""
        assert self.steps is not None  # called on a grid only
        return (bins % self.size) / self.steps

    def totals(self, table: NDArray[np.float64]) -> NDArray[np.float64]:
        """Flat ``table`` (one number per judgment, summed per bin) times each bin's value.

        On a grid every judgment of a bin has the bin's value, so the sum of ``x * p``
        over a bin is the bin's sum of ``x`` times that value.
        """
        assert self.steps is not None  # called on a grid only
        return (
            table.reshape(self.n_groups, self.size) * (np.arange(self.size) / self.steps)
        ).ravel()

    def sums(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum of ``x`` over every bin, shape ``(n_groups, size)``."""
        sums = np.bincount(self.key, weights=x, minlength=self.counts.size)
        # np.bincount with weights gives float64; NumPy's stub types it intp
        return sums.reshape(self.n_groups, self.size)  # type: ignore[return-value]

    def at(self, position: NDArray[np.intp]) -> NDArray[np.intp]:
        """Flat bin of the judgment at each sorted position (all groups end to end)."""
        return np.searchsorted(self.cum, position, side="right")

    def choose(self, bins: NDArray[np.intp]) -> NDArray[np.bool_] | None:
        """Mark the given flat bins; None if they hold too many judgments to sort apart."""
        flag = np.zeros(self.counts.size, dtype=bool)
        flag[bins] = True
        if int(self.counts[flag].sum()) > max(self.p.size // 3, _FEW_MEMBERS):
            return None
        return flag

    def sorted(self) -> GroupedSort:
        """Sort every group once (or take the sort given) and return that sort."""
        if self._sorted is None:
            self._sorted = _grouped_sort(self.p, self.g, self.n_groups)
        return self._sorted

    def members(
        self, flag: NDArray[np.bool_]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
        """Find the judgments in the bins marked by :meth:`choose`, sorted by group and value.

        Returns their indices, their groups and their flat bins.
        """
        index = np.flatnonzero(flag[self.key])
        order = _grouped_sort(self.p[index], self.g[index], self.n_groups).order
        index = index[order]
        g = self.g[index]
        return index, g, self.key[index]


_MAX_BINS = 4096
"""Most bins per group in :class:`_Bins` (questions with very many judgments)."""

_MIN_BINS = 8
"""Fewer bins per group than this (under 16 judgments per group): sort instead."""

_FEW_MEMBERS = 4096
"""So many members of chosen bins are always sorted apart, however few the judgments."""


def _between(
    table: NDArray[np.float64], low: NDArray[np.intp], high: NDArray[np.intp]
) -> NDArray[np.float64]:
    """Sum of the flat ``table`` strictly between each pair of flat bins ``low < high``."""
    out = np.zeros(low.size)
    gap = np.flatnonzero(low + 1 < high)
    if gap.size:
        bounds = np.empty(2 * gap.size, dtype=np.intp)
        bounds[0::2], bounds[1::2] = low[gap] + 1, high[gap]
        out[gap] = np.add.reduceat(table, bounds)[0::2]
    return out


def _median(
    p: NDArray[np.float64], w: NDArray[np.float64] | None, bins: _Bins
) -> NDArray[np.float64]:
    if bins.direct:
        return _median_sorted(p, w, bins.sorted())
    result = np.full(bins.n_groups, np.nan)
    present = bins.present
    if not present.size:
        return result
    if w is None:
        m, first = bins.m[present], bins.starts[present]
        low, high = first + (m - 1) // 2, first + m // 2  # sorted positions
        low_bin, high_bin = bins.at(low), bins.at(high)
        if bins.steps:
            result[present] = 0.5 * (bins.value(low_bin) + bins.value(high_bin))
            return result
        chosen = bins.choose(np.concatenate([low_bin, high_bin]))
        if chosen is None:
            return _median_sorted(p, None, bins.sorted())
        index, g, _ = bins.members(chosen)
        # the members of a group are consecutive in its sorted order (nothing lies
        # between the two bins), starting at the first judgment of low_bin
        offset = np.searchsorted(g, present) - (bins.cum[low_bin] - bins.counts[low_bin])
        ordered = p[index]
        result[present] = 0.5 * (ordered[offset + low] + ordered[offset + high])
    else:
        pooled = _weighted_median(p, w, bins)
        if pooled is None:
            return _median_sorted(p, w, bins.sorted())
        result[present] = pooled
    return result


def _weighted_median(
    p: NDArray[np.float64], w: NDArray[np.float64], bins: _Bins
) -> NDArray[np.float64] | None:
    r"""Weighted median of every present group, :math:`l` and :math:`r` as in median_pool.

    None if the bins to look into hold too many judgments: sort them all instead.
    """
    present, size = bins.present, bins.size
    weight = bins.sums(w)
    upto = np.cumsum(weight, axis=1)
    total = upto[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = upto / total[:, None]
    low, high = 0.5 - TIE_TOLERANCE, 0.5 + TIE_TOLERANCE
    rows = present * size
    left_bin = rows + np.argmax(share[present] >= low, axis=1)
    right_bin = rows + np.argmax(share[present] > high, axis=1)
    if bins.steps:
        return 0.5 * (bins.value(left_bin) + bins.value(right_bin))
    chosen = bins.choose(np.concatenate([left_bin, right_bin]))
    if chosen is None:
        return None
    index, g, key = bins.members(chosen)
    cum_share = _member_shares(w[index], key, upto.ravel(), weight.ravel(), total[g])
    first = np.searchsorted(g, present)
    reach = np.flatnonzero(cum_share >= low)
    past = np.flatnonzero(cum_share > high)
    ordered = p[index]
    left = reach[np.searchsorted(reach, first)]
    right = past[np.searchsorted(past, first)]
    return 0.5 * (ordered[left] + ordered[right])


def _member_shares(
    w_members: NDArray[np.float64],
    key: NDArray[np.intp],
    upto: NDArray[np.float64],
    weight: NDArray[np.float64],
    total: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Inclusive cumulative weight share of sorted members, given the bins' running sums.

    Shares, not weights, are summed (as in sorting every group), so that questions
    whose weights differ in scale by many orders of magnitude do not round off each
    other. The last member of a bin gets exactly the share of the bin's end,
    ``upto / total``, the share the bin was chosen by.
    """
    firsts = _runs(key)
    end = upto[key] / total
    cum = (end - weight[key] / total) + _running_sum(w_members / total, firsts)
    last = np.append(firsts[1:], key.size) - 1
    cum[last] = end[last]
    return cum


def _trimmed_mean(
    p: NDArray[np.float64], w: NDArray[np.float64] | None, bins: _Bins, alpha: float
) -> NDArray[np.float64]:
    if bins.direct:
        return _trimmed_mean_sorted(p, w, bins.sorted(), alpha)
    result = np.full(bins.n_groups, np.nan)
    present = bins.present
    if not present.size:
        return result
    if w is None:
        m = bins.m[present]
        cut = np.floor(alpha * m).astype(np.intp)  # as scipy.stats.trim_mean
        first = bins.starts[present] + cut  # sorted positions of the first and last kept
        last = bins.starts[present] + m - cut - 1
        first_bin, last_bin = bins.at(first), bins.at(last)
        size = (m - 2 * cut).astype(float)
        if bins.steps:
            total = _grid_trimmed_sum(bins, first, last, first_bin, last_bin)
            with np.errstate(invalid="ignore", divide="ignore"):
                result[present] = np.clip(total / size, 0.0, 1.0)
            return result
        chosen = bins.choose(np.concatenate([first_bin, last_bin]))
        if chosen is None:
            return _trimmed_mean_sorted(p, None, bins.sorted(), alpha)
        total = _between(bins.sums(p).ravel(), first_bin, last_bin)
        index, g, key = bins.members(chosen)
        firsts = _runs(key)
        lengths = np.diff(firsts, append=key.size)
        position = (bins.cum[key] - bins.counts[key]) + (
            np.arange(key.size) - np.repeat(firsts, lengths)
        )
        slot = np.searchsorted(present, g)
        keep = (position >= first[slot]) & (position <= last[slot])
        total += np.bincount(slot, weights=np.where(keep, p[index], 0.0), minlength=m.size)
    else:
        sums = _weighted_trimmed_sums(p, w, bins, alpha)
        if sums is None:
            return _trimmed_mean_sorted(p, w, bins.sorted(), alpha)
        total, size = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        result[present] = np.clip(total / size, 0.0, 1.0)
    return result


def _weighted_trimmed_sums(
    p: NDArray[np.float64], w: NDArray[np.float64], bins: _Bins, alpha: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Kept weight and weighted sum of every present group, as in trimmed_mean_pool.

    A judgment is kept when its cumulative share ``upto`` (inclusive) exceeds
    ``alpha`` and the share before it is below ``1 - alpha`` (both by TIE_TOLERANCE).
    Bins wholly between the bin crossing ``alpha`` and the bin crossing ``1 - alpha`` are
    kept whole; only the judgments of those two bins are looked at one by one, after
    equal probabilities share their weight (equal values lie in one bin).
    """
    present, size = bins.present, bins.size
    weight = bins.sums(w)
    upto = np.cumsum(weight, axis=1)
    total = upto[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = upto / total[:, None]
    low, high = alpha + TIE_TOLERANCE, 1.0 - alpha - TIE_TOLERANCE
    rows = present * size
    low_bin = rows + np.argmax(share[present] > low, axis=1)
    high_bin = rows + np.argmax(share[present] >= high, axis=1)
    if bins.steps:
        return _grid_weighted_trimmed_sums(
            bins, weight.ravel(), upto.ravel(), total, low_bin, high_bin, alpha
        )
    chosen = bins.choose(np.concatenate([low_bin, high_bin]))
    if chosen is None:
        return None
    kept = _between(weight.ravel(), low_bin, high_bin)
    kept_sum = _between(bins.sums(w * p).ravel(), low_bin, high_bin)
    index, g, key = bins.members(chosen)
    ordered = p[index]
    w_members = _share_ties(ordered, w[index], g)
    t = total[g]
    cum = _member_shares(w_members, key, upto.ravel(), weight.ravel(), t)
    keep = (cum > low) & (cum - w_members / t < high)
    slot = np.searchsorted(present, g)
    kept_w = np.where(keep, w_members, 0.0)
    kept += np.bincount(slot, weights=kept_w, minlength=present.size)
    kept_sum += np.bincount(slot, weights=kept_w * ordered, minlength=present.size)
    return kept_sum, kept


def _grid_trimmed_sum(
    bins: _Bins,
    first: NDArray[np.intp],
    last: NDArray[np.intp],
    first_bin: NDArray[np.intp],
    last_bin: NDArray[np.intp],
) -> NDArray[np.float64]:
    """Sum of the judgments at sorted positions ``first`` to ``last`` of each group, on a grid.

    Bins wholly between the two edge bins count whole; of an edge bin, only the judgments
    at kept positions, each with the bin's value.
    """
    total = _between(bins.totals(bins.counts.astype(float)), first_bin, last_bin)
    one_bin = first_bin == last_bin
    in_first = np.where(one_bin, last + 1, bins.cum[first_bin]) - first
    in_last = np.where(one_bin, 0, last + 1 - (bins.cum[last_bin] - bins.counts[last_bin]))
    return total + in_first * bins.value(first_bin) + in_last * bins.value(last_bin)


def _grid_weighted_trimmed_sums(
    bins: _Bins,
    weight: NDArray[np.float64],
    upto: NDArray[np.float64],
    total: NDArray[np.float64],
    low_bin: NDArray[np.intp],
    high_bin: NDArray[np.intp],
    alpha: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Kept weight and weighted sum of every present group, as in trimmed_mean_pool, on a grid.

    The ``c`` judgments of a bin tie, so they share its weight :math:`W` equally: with
    :math:`T` the group's weight, :math:`s = W / (c T)` and :math:`u` the share before
    the bin, the ``j``-th ends at the cumulative share :math:`u + j s` and is kept when
    :math:`u + j s > \alpha` and :math:`u + (j - 1) s < 1 - \alpha` (by TIE_TOLERANCE),
    a range of ``j`` counted without looking at the judgments. Bins between the two
    edge bins are kept whole.
    """
    t = total[bins.present]
    kept = _between(weight, low_bin, high_bin)
    kept_sum = _between(bins.totals(weight), low_bin, high_bin)
    low, high = alpha + TIE_TOLERANCE, 1.0 - alpha - TIE_TOLERANCE
    for edge, counted in (
        (low_bin, np.ones(low_bin.size, dtype=bool)),
        (high_bin, high_bin != low_bin),
    ):
        count = bins.counts[edge]
        each = weight[edge] / count
        share, before = each / t, (upto[edge] - weight[edge]) / t
        first = np.maximum(1.0, np.floor((low - before) / share) + 1.0)
        last = np.minimum(count, np.ceil((high - before) / share))
        n_kept = np.where(counted, np.maximum(last - first + 1.0, 0.0), 0.0)
        kept += n_kept * each
        kept_sum += n_kept * each * bins.value(edge)
    return kept_sum, kept


# The same pools from a sort of every group: for values bunched into a few bins ##########


def _trimmed_mean_sorted(
    p: NDArray[np.float64], w: NDArray[np.float64] | None, sorted_: GroupedSort, alpha: float
) -> NDArray[np.float64]:
    n_groups = sorted_.counts.size
    ordered = p[sorted_.order]
    rows = _group_of(sorted_)
    if w is None:
        m = sorted_.counts
        cut = np.floor(alpha * m).astype(np.intp)  # as scipy.stats.trim_mean
        position = np.arange(ordered.size) - np.repeat(sorted_.starts, m)
        keep = (position >= np.repeat(cut, m)) & (position < np.repeat(m - cut, m))
        total = np.bincount(rows, weights=np.where(keep, ordered, 0.0), minlength=n_groups)
        size = (m - 2 * cut).astype(float)
    else:
        w_sorted = _share_ties(ordered, w[sorted_.order], rows)
        upto, share = _cumulative_share(w_sorted, sorted_)
        before = upto - share
        keep = (upto > alpha + TIE_TOLERANCE) & (before < 1.0 - alpha - TIE_TOLERANCE)
        kept = np.where(keep, w_sorted, 0.0)
        total = np.bincount(rows, weights=kept * ordered, minlength=n_groups)
        size = np.bincount(rows, weights=kept, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: NDArray[np.float64] = np.clip(total / size, 0.0, 1.0)
    return mean


def _recency_weights(rows: _Rows, stamps: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """Metaculus's recency weights; forecasts made at the same time share theirs equally."""
    # exp(sqrt(k) - sqrt(N)) for the k-th oldest of N, in place: fewer passes over n
    in_time_order = np.arange(1.0, rows.n + 1.0)
    in_time_order -= rows.row_start
    np.sqrt(in_time_order, out=in_time_order)
    in_time_order -= np.repeat(np.sqrt(rows.counts.astype(float)), rows.counts)
    np.exp(in_time_order, out=in_time_order)
    few = rows.counts <= 2
    if few.any():
        in_time_order[np.repeat(few, rows.counts)] = 1.0
    if stamps is None:
        by_time = rows.by_group
    else:
        sorted_, ordered = rows.sort_keys(stamps)
        by_time = sorted_.order
        in_time_order = _share_ties(ordered, in_time_order, rows.row_start)
    recency = np.empty(rows.n)
    recency[by_time] = in_time_order
    return recency


def _recency_median(
    p: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    stamps: NDArray[np.float64] | None,
    rows: _Rows,
    bins: _Bins,
) -> NDArray[np.float64]:
    recency = _recency_weights(rows, stamps)
    combined = recency if w is None else recency * w
    if w is not None and not recency.all():  # exp(1 - sqrt(N)) underflows for N > 555,000
        _check_totals(combined, rows.groups, rows.n_groups)
    return _median(p, combined, bins)
