r"""Cooke's classical model: calibration, information, performance weights and decision makers.

Layout
------
Every function takes a study as whole arrays:

``answers``
    shape ``(n_experts, n_items, n_quantiles)``: each expert's quantiles for
    each item, increasing along the last axis; NaN for a quantile not given.
    An answer counts (for scores and pooling) only when all its quantiles are
    given; the quantiles of a partly given answer still widen the item's
    intrinsic range, as in ANDURYL.
``realizations``
    shape ``(n_items,)``: the true value of each seed (calibration) item, NaN
    for a target item.
``quantiles``
    shape ``(n_quantiles,)``: the quantile levels, increasing in (0, 1), e.g.
    ``[0.05, 0.5, 0.95]``. They split the real line into ``n_quantiles + 1``
    inter-quantile bins with probabilities
    :math:`p = (q_1, q_2 - q_1, \dots, 1 - q_n)`.
``log_scale``
    optional, shape ``(n_items,)``: True for an item scored on a logarithmic
    background measure (answers and realization then must be positive).

Conventions follow EXCALIBUR as reproduced by ANDURYL 1.2.2 (checked on all 57
studies of the TU Delft database, see ``benchmarks/bench_cooke.py``): the
intrinsic range with a 10 % overshoot, on logarithms for log items; the number
of seeds :math:`N` in the calibration statistic is the smallest number of seed
items any expert answered; the decision maker is the linear pool of the
experts' piecewise-uniform distributions on the intrinsic range; alpha is
chosen among the experts' calibration scores to maximise the decision maker's
calibration x information score. Everything is computed for all experts,
items and alpha candidates at once; Python loops only over the studies of a
robustness table.

References
----------
R. M. Cooke, *Experts in Uncertainty: Opinion and Subjective Probability in
Science*, Oxford University Press, 1991, chapters 12-15.
R. M. Cooke and L. L. H. J. Goossens, "TU Delft expert judgment data base",
*Reliability Engineering & System Safety* 93(5), 657-674, 2008.
G. Rongen, M. 't Hart, G. Leontaris, O. Morales Napoles, ANDURYL
documentation and source, github.com/grongen/anduryl (version 1.2.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .layout import check_real

#: EXCALIBUR's and ANDURYL's default overshoot k of the intrinsic range.
DEFAULT_OVERSHOOT = 0.1

Weighting = Literal["global", "item"]

#: Calibration scores this close (relative) count as equal when choosing alpha: they
#: are equal up to rounding, e.g. when two experts' hits differ by a swap between bins
#: of equal probability, and must not be split by a threshold.
TIE_RTOL = 1e-10


class _Study(NamedTuple):
    """A checked study; ``scored`` is ``answers`` on the scoring scale (log for log items)."""

    answers: NDArray[np.float64]
    scored: NDArray[np.float64]
    realizations: NDArray[np.float64]
    scored_realizations: NDArray[np.float64]
    quantiles: NDArray[np.float64]
    log_scale: NDArray[np.bool_]
    answered: NDArray[np.bool_]
    seed: NDArray[np.bool_]
    p: NDArray[np.float64]  # inter-quantile bin probabilities


def _where(mask: NDArray[np.bool_]) -> str:
    return ", ".join(str(int(k)) for k in np.argwhere(mask)[0])


def _check_quantiles(quantiles: ArrayLike) -> NDArray[np.float64]:
    levels = np.asarray(quantiles, dtype=float)
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(f"quantiles must be a non-empty 1-d array, got shape {levels.shape}")
    bad = ~((levels > 0) & (levels < 1))
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"quantiles[{k}] = {levels[k]} is not a level in (0, 1)")
    if np.any(np.diff(levels) <= 0):
        k = int(np.argmax(np.diff(levels) <= 0)) + 1
        raise ValueError(f"quantiles[{k}] = {levels[k]} does not increase")
    return levels


def _check_study(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike | None,
    log_scale: ArrayLike | None = None,
    *,
    need_levels: bool = True,
) -> _Study:
    if quantiles is None and need_levels:
        raise ValueError("quantiles must give the quantile levels, e.g. [0.05, 0.5, 0.95]")
    a = np.asarray(answers, dtype=float)
    if a.ndim != 3 or 0 in a.shape:
        raise ValueError(
            f"answers must have shape (n_experts, n_items, n_quantiles), all non-zero; "
            f"got {a.shape}"
        )
    n_experts, n_items, n_quantiles = a.shape
    levels = np.full(n_quantiles, np.nan) if quantiles is None else _check_quantiles(quantiles)
    if levels.shape != (n_quantiles,):
        raise ValueError(f"quantiles has {levels.size} levels but answers give {n_quantiles}")
    r = np.asarray(realizations, dtype=float)
    if r.shape != (n_items,):
        raise ValueError(f"realizations must have shape ({n_items},), got {r.shape}")
    if np.isinf(r).any():
        raise ValueError(f"realizations[{_where(np.isinf(r))}] is infinite")
    if log_scale is None:
        log = np.zeros(n_items, dtype=bool)
    else:
        raw = np.asarray(log_scale)
        if raw.shape != (n_items,) or not ((raw == 0) | (raw == 1)).all():
            raise ValueError(f"log_scale must be {n_items} booleans, got {raw!r}")
        log = raw.astype(bool)
    if np.isinf(a).any():
        raise ValueError(f"answers[{_where(np.isinf(a))}] is infinite")
    given = ~np.isnan(a)
    running = np.fmax.accumulate(a, axis=-1)
    previous = np.concatenate([np.full((n_experts, n_items, 1), -np.inf), running[..., :-1]], -1)
    previous = np.where(np.isnan(previous), -np.inf, previous)
    bad = given & ~(a > previous)
    if bad.any():
        e, i, _ = np.argwhere(bad)[0]
        raise ValueError(f"answers[{e}, {i}] = {a[e, i]} does not increase strictly")
    bad = given & log[None, :, None] & (a <= 0)
    if bad.any():
        raise ValueError(f"answers[{_where(bad)}] = {a[bad][0]} is not positive on a log item")
    bad = np.isfinite(r) & log & (r <= 0)
    if bad.any():
        raise ValueError(f"realizations[{_where(bad)}] = {r[bad][0]} is not positive on a log item")
    with np.errstate(invalid="ignore", divide="ignore"):
        scored = np.where(log[None, :, None], np.log(np.where(given, a, 1.0)), a)
        scored_r = np.where(log, np.log(np.where(np.isfinite(r), r, 1.0)), r)
    scored[~given] = np.nan
    scored_r[~np.isfinite(r)] = np.nan
    p = _bin_probabilities(levels)
    return _Study(a, scored, r, scored_r, levels, log, given.all(-1), np.isfinite(r), p)


def _bin_probabilities(quantiles: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inter-quantile probabilities; bins equal up to rounding get one value (1 - 0.95 = 0.05)."""
    p = np.diff(np.concatenate([[0.0], quantiles, [1.0]]))
    same = np.abs(p[:, None] - p[None, :]) <= TIE_RTOL * p[:, None]
    merged: NDArray[np.float64] = p[np.argmax(same, axis=1)]
    return merged


def _tie_groups(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distinct values, sorted, merging values within ``TIE_RTOL``; each group's smallest."""
    ordered = np.sort(values)
    new = np.concatenate([[True], np.diff(ordered) > TIE_RTOL * np.abs(ordered[1:])])
    distinct: NDArray[np.float64] = ordered[new]
    return distinct


def _check_overshoot(overshoot: float) -> float:
    k = float(overshoot)
    if not (np.isfinite(k) and k > 0):
        raise ValueError(f"overshoot must be a positive number, got {overshoot!r}")
    return k


def _range(
    study: _Study, overshoot: float, strict: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Intrinsic range per item on the scoring scale; NaN for an item with no values.

    An item whose values are all equal has no range: an error, or (``strict=False``,
    for the sub-studies of a robustness table) NaN like an item without values.
    """
    values = np.concatenate([study.scored.transpose(1, 0, 2).reshape(study.seed.size, -1),
                             study.scored_realizations[:, None]], axis=1)  # fmt: skip
    low, high = np.fmin.reduce(values, axis=1), np.fmax.reduce(values, axis=1)
    span = high - low
    empty = span <= 0
    if empty.any() and not strict:
        low[empty] = high[empty] = span[empty] = np.nan
    elif empty.any():
        raise ValueError(
            f"item {_where(empty)}: all its values are equal ({low[empty][0]}), "
            f"so its intrinsic range is empty"
        )
    return low - overshoot * span, high + overshoot * span


# ---------------------------------------------------------------------------
# scores on arrays with any leading (batch) axes
# ---------------------------------------------------------------------------


def _counts(
    values: NDArray[np.float64], realizations: NDArray[np.float64], answered: NDArray[np.bool_]
) -> NDArray[np.intp]:
    """Hits per inter-quantile bin: values (..., n_seeds, Q) -> (..., Q + 1)."""
    n_quantiles = values.shape[-1]
    bins = (values < realizations[:, None]).sum(-1)  # realization <= q_k falls below q_k
    onehot = (bins[..., None] == np.arange(n_quantiles + 1)) & answered[..., None]
    counts: NDArray[np.intp] = onehot.sum(-2)
    return counts


def _calibration(
    counts: NDArray[np.intp], n_seeds: float, p: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Calibration from hit counts (..., Q + 1); NaN where no seed was answered."""
    answered = counts.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = counts / answered
        terms = np.where(s > 0, s * np.log(s / p), 0.0)
    # summed in sorted order, so that equal statistics (e.g. hits swapped between the
    # 5 % and the 95 % tail) give bit-identical scores and tie exactly at a threshold
    relative = np.sort(terms, axis=-1).sum(-1)
    score = special.chdtrc(p.size - 1, 2.0 * n_seeds * relative)
    calibration: NDArray[np.float64] = np.where(answered[..., 0] > 0, score, np.nan)
    return calibration


def _information(
    scored: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    p: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Relative information per item against the uniform on [lower, upper]: (..., I)."""
    shape = scored.shape[:-1] + (1,)
    knots = np.concatenate(
        [np.broadcast_to(lower[:, None], shape), scored, np.broadcast_to(upper[:, None], shape)],
        axis=-1,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        information: NDArray[np.float64] = np.log(upper - lower) + np.sum(
            p * np.log(p / np.diff(knots, axis=-1)), axis=-1
        )
    return information


def _mean_over(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: NDArray[np.float64] = np.where(mask, values, 0.0).sum(-1) / mask.sum(-1)
    return mean


class _Scores(NamedTuple):
    calibration: NDArray[np.float64]
    per_item: NDArray[np.float64]
    seeds: NDArray[np.float64]
    all_items: NDArray[np.float64]


def _score(
    study: _Study,
    values: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    n_seeds: float,
) -> _Scores:
    """Score quantiles ``values`` (..., I, Q) on the original scale, e.g. decision makers."""
    # (..., I, Q) -> (..., I): an array; NumPy's stub allows a scalar for any(axis)
    answered: NDArray[np.bool_] = ~np.isnan(values).any(-1)  # type: ignore[assignment]
    with np.errstate(invalid="ignore", divide="ignore"):
        scored = np.where(study.log_scale[:, None], np.log(values), values)
    p = study.p
    per_item = np.where(answered, _information(scored, lower, upper, p), np.nan)
    counts = _counts(values[..., study.seed, :], study.realizations[study.seed],
                     answered[..., study.seed])  # fmt: skip
    return _Scores(
        calibration=_calibration(counts, n_seeds, p),
        per_item=per_item,
        seeds=_mean_over(per_item[..., study.seed], answered[..., study.seed]),
        all_items=_mean_over(per_item, answered),
    )


def _pool(
    study: _Study,
    weights: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Quantiles of linear pools: weights (A, E, I), normalised per item -> (A, I, Q).

    Each expert's distribution is piecewise uniform through the points
    ``(lower, 0), (x_1, q_1), ..., (x_n, q_n), (upper, 1)``; the pool's CDF is
    piecewise linear with knots at the union of the experts' knots, so
    evaluating it there and inverting linearly is exact. A pooled quantile
    that falls on a knot is that knot's value as given, not exp(log(value)).

    The experts' CDFs are not evaluated with
    :func:`~elicit.core.distributions.piecewise_linear_cdf`, which compares every
    point with every knot: on the sorted grid one cumulative count gives each
    expert's segment, and the largest TU Delft studies (30-50 experts) run twice as
    fast this way.
    """
    n_experts, n_items, n_quantiles = study.scored.shape
    cumulative = np.concatenate([[0.0], study.quantiles, [1.0]])
    answered = study.answered[..., None]
    inner = np.where(answered, study.scored, np.nan).transpose(1, 0, 2).reshape(n_items, -1)
    given = np.where(answered, study.answers, np.nan).transpose(1, 0, 2).reshape(n_items, -1)
    order = np.argsort(inner, axis=-1, kind="stable")  # NaN (unanswered) sorts last
    rows = np.arange(n_items)[:, None]
    top = upper[:, None]
    grid = np.concatenate([lower[:, None], inner[rows, order], top], axis=-1)  # (I, G)
    grid = np.where(np.isnan(grid), top, grid)
    edges = np.array([lower, upper])
    edges[:, study.log_scale] = np.exp(edges[:, study.log_scale])
    original = np.concatenate([edges[0][:, None], given[rows, order], edges[1][:, None]], axis=-1)
    n_grid = grid.shape[-1]

    # each expert's segment at each grid point: how many of the expert's quantiles lie
    # at or below it (ties: all equal grid points see the same count): (E, I, G)
    first_of_tie = np.append(np.ones((n_items, 1), bool), grid[:, 1:] != grid[:, :-1], axis=-1)
    tie_start = np.maximum.accumulate(np.where(first_of_tie, np.arange(n_grid), 0), axis=-1)
    position = np.empty_like(order)
    position[rows, order] = tie_start[:, 1:-1]  # first grid position of every expert quantile
    position = position.reshape(n_items, n_experts, n_quantiles).transpose(1, 0, 2)
    steps = np.zeros((n_experts, n_items, n_grid), dtype=np.int8)
    cell = (np.arange(n_experts)[:, None, None] * n_items + rows[None]) * n_grid
    np.put(steps, (cell + position)[study.answered], 1)
    segment = np.cumsum(steps, axis=-1, dtype=np.int8).astype(np.intp)

    # the expert CDFs at the grid points, as np.interp computes them: (E, I, G)
    knots = np.concatenate(
        [np.broadcast_to(lower[:, None], (n_experts, n_items, 1)), study.scored,
         np.broadcast_to(top, (n_experts, n_items, 1))], axis=-1)  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        slopes = np.diff(cumulative) / np.diff(knots, axis=-1)  # (E, I, Q + 1)
    index = (cell // n_grid) * (n_quantiles + 1) + segment
    x_lo = np.take(knots[..., :-1], index)
    with np.errstate(invalid="ignore"):
        cdf = np.take(slopes, index) * (grid - x_lo) + cumulative[segment]
    cdf = np.where(grid >= top, 1.0, cdf)
    cdf = np.where(answered, cdf, 0.0)

    # the pools' CDFs and their inverse at the quantile levels
    pooled = np.matmul(weights.transpose(2, 0, 1), cdf.transpose(1, 0, 2))  # (I, A, G)
    levels = study.quantiles
    hi = np.argmax(pooled[..., None, :] >= levels[:, None], axis=-1)  # first F >= q: (I, A, Q)
    hi = np.clip(hi, 1, n_grid - 1)
    f_lo = np.take_along_axis(pooled, hi - 1, -1)
    f_hi = np.take_along_axis(pooled, hi, -1)
    flat = hi + rows[..., None] * n_grid
    g_lo, g_hi = np.take(grid, flat - 1), np.take(grid, flat)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        result = (g_hi - g_lo) / (f_hi - f_lo) * (levels - f_lo) + g_lo
        result[study.log_scale] = np.exp(result[study.log_scale])
    quantiles: NDArray[np.float64] = np.where(levels == f_hi, np.take(original, flat), result)
    quantiles = quantiles.transpose(1, 0, 2)
    quantiles[~(weights.sum(1) > 0)] = np.nan  # nobody with weight answered the item
    return quantiles


def _normalise(raw: NDArray[np.float64], answered: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Weights (A, E, I) -> normalised over answering experts per item; NaN-free, 0 if none."""
    masked = raw * answered
    with np.errstate(invalid="ignore", divide="ignore"):
        total = masked.sum(-2, keepdims=True)
        return np.where(total > 0, masked / total, 0.0)


# ---------------------------------------------------------------------------
# public scores
# ---------------------------------------------------------------------------


def intrinsic_range(
    answers: ArrayLike,
    realizations: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Compute the intrinsic range of every item, with overshoot, on the scoring scale.

    For item :math:`i`, let :math:`l_i` and :math:`h_i` be the smallest and
    largest of all quantiles given by any expert and, for a seed item, the
    realization (their logarithms for a log item). With overshoot :math:`k`,

    .. math:: L_i = l_i - k (h_i - l_i), \qquad U_i = h_i + k (h_i - l_i).

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    overshoot : float
        :math:`k > 0`; 0.1 in EXCALIBUR and ANDURYL.

    Returns
    -------
    (lower, upper) : pair of ndarray, shape (n_items,)
        On the logarithmic scale for log items; NaN for an item without values.

    Raises
    ------
    ValueError
        For malformed answers (see :func:`classical_model`), an overshoot that
        is not positive, or an item whose values are all equal.

    References
    ----------
    Cooke (1991), section 12.6; ANDURYL ``Assessment.get_bounds``.
    """
    study = _check_study(answers, realizations, None, log_scale, need_levels=False)
    return _range(study, _check_overshoot(overshoot))


def bin_counts(answers: ArrayLike, realizations: ArrayLike) -> NDArray[np.intp]:
    r"""Count each expert's realizations per inter-quantile bin, over the seed items.

    A realization :math:`r` falls in bin :math:`j` (0-based) when exactly
    :math:`j` of the expert's quantiles lie strictly below it, i.e.
    :math:`x_j < r \le x_{j+1}`. Only complete answers count.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item (not counted).

    Returns
    -------
    ndarray of int, shape (n_experts, n_quantiles + 1)

    Raises
    ------
    ValueError
        For malformed answers or realizations.

    References
    ----------
    Cooke (1991), section 12.3; ANDURYL ``Experts.count_realizations_per_bin``.
    """
    study = _check_study(answers, realizations, None, need_levels=False)
    return _counts(
        study.answers[:, study.seed], study.realizations[study.seed], study.answered[:, study.seed]
    )


def _check_seeds(study: _Study) -> NDArray[np.intp]:
    if not study.seed.any():
        raise ValueError("no seed item: every realization is NaN")
    n_answered: NDArray[np.intp] = study.answered[:, study.seed].sum(-1)
    if (n_answered == 0).any():
        raise ValueError(f"expert {_where(n_answered == 0)} answered no seed item")
    return n_answered


def calibration_score(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    *,
    n_seeds: int | None = None,
) -> NDArray[np.float64]:
    r"""Compute each expert's calibration score on the seed items.

    With :math:`s` the expert's empirical distribution over the :math:`n+1`
    inter-quantile bins (:func:`bin_counts`) and :math:`p` the bins'
    probabilities, the relative information is
    :math:`I(s, p) = \sum_j s_j \ln(s_j / p_j)`. For :math:`N` seeds,
    :math:`2 N I(s, p)` is asymptotically chi-square with :math:`n` degrees of
    freedom (bins minus one), and

    .. math:: \mathrm{Cal} = 1 - \chi^2_{n}\bigl(2 N\, I(s, p)\bigr).

    As in EXCALIBUR and ANDURYL, :math:`N` is the smallest number of seed
    items any expert answered, so that answering fewer seeds earns no credit.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    n_seeds : int, optional
        :math:`N`; by default the smallest number of seeds an expert answered.
        Pass the panel's value to score a decision maker.

    Returns
    -------
    ndarray, shape (n_experts,)

    Raises
    ------
    ValueError
        For malformed input, no seed item, an expert who answered no seed
        item, or ``n_seeds`` not a positive integer.

    References
    ----------
    Cooke (1991), section 12.3; Cooke & Goossens (2008), section 2;
    ANDURYL ``Experts.calibration_score`` (whose own chi-square tail is
    inaccurate for statistics below about 0.3; SciPy's is used here).
    """
    study = _check_study(answers, realizations, quantiles)
    n_answered = _check_seeds(study)
    n = n_answered.min() if n_seeds is None else n_seeds
    if isinstance(n, bool) or not (isinstance(n, int | np.integer) and n >= 1):
        raise ValueError(f"n_seeds must be a positive integer, got {n_seeds!r}")
    counts = _counts(
        study.answers[:, study.seed], study.realizations[study.seed], study.answered[:, study.seed]
    )
    return _calibration(counts, int(n), study.p)


class InformationScore(NamedTuple):
    """Relative information of each expert with respect to the background measure.

    Attributes
    ----------
    per_item : ndarray, shape (n_experts, n_items)
        NaN where the expert did not answer.
    seeds : ndarray, shape (n_experts,)
        Mean over the answered seed items (NaN if none); enters the weights.
    all_items : ndarray, shape (n_experts,)
        Mean over all answered items.
    """

    per_item: NDArray[np.float64]
    seeds: NDArray[np.float64]
    all_items: NDArray[np.float64]


def information_score(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> InformationScore:
    r"""Compute each expert's information score per item and averaged.

    The expert's distribution on item :math:`i` is uniform between
    consecutive points of :math:`L_i = x_0 < x_1 < \dots < x_n < x_{n+1} = U_i`
    (the quantiles inside the intrinsic range, :func:`intrinsic_range`; on
    logarithms for a log item) with bin probabilities :math:`p_j`. Its
    relative information with respect to the uniform background on
    :math:`[L_i, U_i]` is

    .. math:: I_i = \ln(U_i - L_i) + \sum_{j=0}^{n} p_j \ln\frac{p_j}{x_{j+1} - x_j}.

    The information score is the mean of :math:`I_i` over the answered seed
    items (used in the weights) or over all answered items.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items (they widen the range); NaN for a
        target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    InformationScore

    Raises
    ------
    ValueError
        For malformed input or an overshoot that is not positive.

    References
    ----------
    Cooke (1991), section 12.6; ANDURYL ``Experts._information_score``.
    """
    study = _check_study(answers, realizations, quantiles, log_scale)
    lower, upper = _range(study, _check_overshoot(overshoot))
    return _expert_information(study, lower, upper)


def _expert_information(
    study: _Study, lower: NDArray[np.float64], upper: NDArray[np.float64]
) -> InformationScore:
    per_item = np.where(study.answered, _information(study.scored, lower, upper, study.p), np.nan)
    seeds = _mean_over(per_item[:, study.seed], study.answered[:, study.seed])
    return InformationScore(per_item, seeds, _mean_over(per_item, study.answered))


def _check_vector(
    name: str, values: ArrayLike, shape: tuple[int, ...] | None = None
) -> NDArray[np.float64]:
    v = np.asarray(values, dtype=float)
    if (shape is None and v.ndim != 1) or (shape is not None and v.shape != shape):
        raise ValueError(f"{name} must have shape {shape or '(n_experts,)'}, got {v.shape}")
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        raise ValueError(f"{name}[{_where(bad)}] = {v[bad][0]} is not a finite non-negative number")
    return v


def _check_alpha(alpha: float) -> float:
    """Check a significance level: a number in [0, 1]."""
    level = check_real("alpha", alpha)
    if not 0 <= level <= 1:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha}")
    return level


def global_weights(
    calibration: ArrayLike, information: ArrayLike, alpha: float = 0.0
) -> NDArray[np.float64]:
    r"""Compute normalised global weights from calibration and information scores.

    .. math:: w_e = \frac{\mathrm{Cal}_e\, I_e\, \mathbb{1}[\mathrm{Cal}_e \ge \alpha]}
                         {\sum_f \mathrm{Cal}_f\, I_f\, \mathbb{1}[\mathrm{Cal}_f \ge \alpha]}

    Parameters
    ----------
    calibration : array_like, shape (n_experts,)
        Calibration scores (:func:`calibration_score`).
    information : array_like, shape (n_experts,)
        Information scores on the seed items (:func:`information_score`).
    alpha : float
        Significance level: experts calibrated below it get weight 0.

    Returns
    -------
    ndarray, shape (n_experts,)
        Sums to 1.

    Raises
    ------
    ValueError
        If a score is negative or not finite, the shapes differ, or no expert
        keeps a positive weight (alpha above every calibration score).

    References
    ----------
    Cooke (1991), section 12.7; Cooke & Goossens (2008), section 2.
    """
    cal = _check_vector("calibration", calibration)
    info = _check_vector("information", information, cal.shape)
    raw = cal * info * (cal >= _check_alpha(alpha))
    if not raw.sum() > 0:
        raise ValueError(f"no expert has a positive weight at alpha = {alpha}")
    weights: NDArray[np.float64] = raw / raw.sum()
    return weights


def item_weights(
    calibration: ArrayLike, information_per_item: ArrayLike, alpha: float = 0.0
) -> NDArray[np.float64]:
    r"""Compute normalised item weights: each item's information instead of the mean.

    .. math:: w_{e,i} = \frac{\mathrm{Cal}_e\, I_{e,i}\, \mathbb{1}[\mathrm{Cal}_e \ge \alpha]}
              {\sum_f \mathrm{Cal}_f\, I_{f,i}\, \mathbb{1}[\mathrm{Cal}_f \ge \alpha]}

    Parameters
    ----------
    calibration : array_like, shape (n_experts,)
        Calibration scores (:func:`calibration_score`).
    information_per_item : array_like, shape (n_experts, n_items)
        Information per item (``information_score(...).per_item``); NaN where
        the expert did not answer, which gives weight 0.
    alpha : float
        Significance level: experts calibrated below it get weight 0.

    Returns
    -------
    ndarray, shape (n_experts, n_items)
        Each column sums to 1, or is all NaN when no expert with positive
        weight answered the item.

    Raises
    ------
    ValueError
        If a score is negative or infinite, or the shapes differ.

    References
    ----------
    Cooke (1991), section 12.7; ANDURYL ``Experts.get_weights``.
    """
    cal = _check_vector("calibration", calibration)
    info = np.asarray(information_per_item, dtype=float)
    if info.ndim != 2 or info.shape[0] != cal.size:
        raise ValueError(
            f"information_per_item must have shape ({cal.size}, n_items), got {info.shape}"
        )
    _check_vector("information_per_item", np.where(np.isnan(info), 0.0, info), info.shape)
    raw = np.nan_to_num(info) * (cal * (cal >= _check_alpha(alpha)))[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        weights: NDArray[np.float64] = raw / raw.sum(0)
    return weights


# ---------------------------------------------------------------------------
# decision makers
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DecisionMaker:
    """A decision maker: the pooled distribution's quantiles on every item, and its scores.

    Attributes
    ----------
    quantiles : ndarray, shape (n_items, n_quantiles)
        On the original scale; NaN on an item no expert with weight answered.
    weights : ndarray, shape (n_experts, n_items)
        Each expert's weight in the pool on each item (0 where not answered).
    calibration : float
        With :math:`N` the panel's smallest number of answered seeds.
    information_seeds : float
        Mean information over the answered seed items.
    information_all : float
        Mean information over all answered items.
    information_per_item : ndarray, shape (n_items,)
    combined : float
        ``calibration * information_seeds``: its weight as a virtual expert.
    """

    quantiles: NDArray[np.float64]
    weights: NDArray[np.float64]
    calibration: float
    information_seeds: float
    information_all: float
    information_per_item: NDArray[np.float64]
    combined: float


def _decision_maker(
    study: _Study,
    weights: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    n_seeds: int,
) -> DecisionMaker:
    quantiles = _pool(study, weights[None], lower, upper)[0]
    scores = _score(study, quantiles, lower, upper, n_seeds)
    return DecisionMaker(
        quantiles=quantiles,
        weights=weights,
        calibration=float(scores.calibration),
        information_seeds=float(scores.seeds),
        information_all=float(scores.all_items),
        information_per_item=scores.per_item,
        combined=float(scores.calibration * scores.seeds),
    )


def _pool_weights(study: _Study, weights: ArrayLike) -> NDArray[np.float64]:
    n_experts, n_items, _ = study.answers.shape
    w = np.asarray(weights, dtype=float)
    if w.shape == (n_experts,):
        w = np.repeat(w[:, None], n_items, axis=1)
    w = _check_vector("weights", w, (n_experts, n_items))
    return _normalise(w, study.answered)


def pooled_quantiles(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    weights: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> NDArray[np.float64]:
    r"""Compute the quantiles of the weighted linear pool of the experts, on every item.

    Expert :math:`e`'s CDF :math:`F_{e,i}` on item :math:`i` is linear
    between the points :math:`(L_i, 0), (x_{e,i,1}, q_1), \dots,
    (x_{e,i,n}, q_n), (U_i, 1)`: uniform density between quantiles, on the
    intrinsic range, on logarithms for a log item. The decision maker's CDF
    is :math:`F_i = \sum_e w_{e,i} F_{e,i}`, the weights renormalised over
    the experts who answered item :math:`i`; its quantile at level :math:`q`
    is :math:`F_i^{-1}(q)`. :math:`F_i` is linear between consecutive knots
    of all experts, so it is evaluated there and inverted by linear
    interpolation, exactly.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items (they widen the range); NaN for a
        target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    weights : array_like, shape (n_experts,) or (n_experts, n_items)
        Non-negative weights, per expert or per expert and item.
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    ndarray, shape (n_items, n_quantiles)
        On the original scale; NaN on an item no expert with weight answered.

    Raises
    ------
    ValueError
        For malformed input or a negative or non-finite weight.

    References
    ----------
    Cooke (1991), section 12.7; ANDURYL ``calculate.decision_maker`` and
    ``calculate.get_expert_CDFs``.
    """
    study = _check_study(answers, realizations, quantiles, log_scale)
    lower, upper = _range(study, _check_overshoot(overshoot))
    pooled: NDArray[np.float64] = _pool(study, _pool_weights(study, weights)[None], lower, upper)[0]
    return pooled


def decision_maker(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    weights: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> DecisionMaker:
    r"""Pool the experts with given weights and score the pool as a virtual expert.

    The decision maker's quantiles are :func:`pooled_quantiles`; its
    calibration (with :math:`N` the smallest number of seeds any expert
    answered) and information use the experts' intrinsic ranges, so that its
    scores compare with theirs.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    weights : array_like, shape (n_experts,) or (n_experts, n_items)
        Non-negative, not all zero; normalised per item over the experts who
        answered it.
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    DecisionMaker

    Raises
    ------
    ValueError
        For malformed input, a negative or non-finite weight, weights all
        zero, no seed item, or an expert who answered no seed.

    References
    ----------
    Cooke (1991), section 12.7; Cooke & Goossens (2008), section 2.
    """
    study = _check_study(answers, realizations, quantiles, log_scale)
    n_seeds = int(_check_seeds(study).min())
    lower, upper = _range(study, _check_overshoot(overshoot))
    w = _pool_weights(study, weights)
    if not w.any():
        raise ValueError("weights are all zero on the answered items")
    return _decision_maker(study, w, lower, upper, n_seeds)


def equal_weight_dm(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> DecisionMaker:
    r"""Compute the equal-weight decision maker, :math:`w_e = 1/n` among those who answered.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    DecisionMaker

    Raises
    ------
    ValueError
        As :func:`decision_maker`.

    References
    ----------
    Cooke & Goossens (2008), section 3 (the equal-weight decision maker).
    """
    n_experts = np.shape(answers)[0] if np.ndim(answers) == 3 else 1
    return decision_maker(
        answers, realizations, quantiles, np.ones(n_experts), log_scale, overshoot=overshoot
    )


def user_weight_dm(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    user_weights: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> DecisionMaker:
    r"""Compute the decision maker with the analyst's weights, :math:`w_e \propto u_e`.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    user_weights : array_like, shape (n_experts,)
        Non-negative, not all zero; normalised per item over the experts who
        answered it.
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    DecisionMaker

    Raises
    ------
    ValueError
        As :func:`decision_maker`, or ``user_weights`` not of shape (n_experts,).

    References
    ----------
    ANDURYL documentation, the "user weights" decision maker.
    """
    if np.ndim(user_weights) != 1:
        raise ValueError(f"user_weights must be 1-d, got shape {np.shape(user_weights)}")
    return decision_maker(
        answers, realizations, quantiles, user_weights, log_scale, overshoot=overshoot
    )


@dataclass(frozen=True, eq=False)
class ClassicalModel:
    """The classical model's result for one study.

    Attributes
    ----------
    calibration : ndarray, shape (n_experts,)
    information_seeds : ndarray, shape (n_experts,)
        Mean information over the answered seed items.
    information_all : ndarray, shape (n_experts,)
        Mean information over all answered items.
    information_per_item : ndarray, shape (n_experts, n_items)
    combined : ndarray, shape (n_experts,)
        ``calibration * information_seeds``, unnormalised and before alpha
        (ANDURYL's "weight" column).
    n_seeds : int
        :math:`N` of the calibration statistic.
    weighting : {"global", "item"}
    alpha : float
        The significance level used (optimised unless given).
    weights : ndarray, shape (n_experts,)
        Normalised global weights at ``alpha`` (zero below it).
    candidates : ndarray, shape (n_candidates,)
        The alpha values tried: the distinct calibration scores.
    candidate_scores : ndarray, shape (n_candidates,)
        The decision maker's calibration x information at each candidate,
        0 where its calibration falls below the candidate.
    dm : DecisionMaker
        At ``alpha``; ``dm.weights`` holds the item-wise weights used.
    """

    calibration: NDArray[np.float64]
    information_seeds: NDArray[np.float64]
    information_all: NDArray[np.float64]
    information_per_item: NDArray[np.float64]
    combined: NDArray[np.float64]
    n_seeds: int
    weighting: str
    alpha: float
    weights: NDArray[np.float64]
    candidates: NDArray[np.float64]
    candidate_scores: NDArray[np.float64]
    dm: DecisionMaker


def classical_model(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    weighting: Weighting = "global",
    alpha: float | None = None,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> ClassicalModel:
    r"""Score every expert and build the performance-weighted decision maker.

    1. Calibration :math:`\mathrm{Cal}_e` (:func:`calibration_score`) and
       information :math:`I_e` (:func:`information_score`) of every expert.
    2. For every candidate :math:`\alpha` among the distinct
       :math:`\mathrm{Cal}_e`, the weights :math:`w_e \propto \mathrm{Cal}_e
       I_e \mathbb{1}[\mathrm{Cal}_e \ge \alpha]` ("global",
       :func:`global_weights`) or :math:`w_{e,i} \propto \mathrm{Cal}_e
       I_{e,i} \mathbb{1}[\mathrm{Cal}_e \ge \alpha]` ("item",
       :func:`item_weights`), and the decision maker
       :math:`\mathrm{DM}_\alpha`, their linear pool (:func:`pooled_quantiles`),
       scored as a virtual expert.
    3. Unless ``alpha`` is given, the :math:`\alpha` that maximises
       :math:`\mathrm{Cal}(\mathrm{DM}_\alpha)\, I(\mathrm{DM}_\alpha)\,
       \mathbb{1}[\mathrm{Cal}(\mathrm{DM}_\alpha) \ge \alpha]`, the smallest
       on ties, as EXCALIBUR and ANDURYL do.

    All candidates are pooled and scored in one pass. Calibration scores
    equal up to rounding (relative :data:`TIE_RTOL`) count as equal: one
    candidate, and a decision maker as well calibrated as the threshold
    passes it.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    weighting : {"global", "item"}
        Global weights (one per expert) or item weights (per expert and item).
    alpha : float, optional
        A fixed significance level instead of the optimised one.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    ClassicalModel

    Raises
    ------
    ValueError
        For malformed input (the message names the entry: an answer that does
        not increase or is infinite, a value not positive on a log item,
        levels not in (0, 1), mismatched shapes), no seed item, an expert with
        no answered seed, an unknown ``weighting``, or an ``alpha`` above
        every calibration score.

    References
    ----------
    Cooke (1991), chapter 12; Cooke & Goossens (2008), section 2; ANDURYL
    ``calculate.decision_maker``.
    """
    study = _check_study(answers, realizations, quantiles, log_scale)
    return _classical_model(study, weighting, alpha, _check_overshoot(overshoot))


def _classical_model(
    study: _Study, weighting: str, alpha: float | None, overshoot: float, strict: bool = True
) -> ClassicalModel:
    if weighting not in ("global", "item"):
        raise ValueError(f"weighting must be 'global' or 'item', got {weighting!r}")
    lower, upper = _range(study, overshoot, strict)
    # an item without a range (only in a robustness sub-study) is nobody's answer
    study = study._replace(answered=study.answered & np.isfinite(lower))
    n_seeds = int(_check_seeds(study).min())
    info = _expert_information(study, lower, upper)
    counts = _counts(
        study.answers[:, study.seed], study.realizations[study.seed], study.answered[:, study.seed]
    )
    cal = _calibration(counts, n_seeds, study.p)
    if not (cal > 0).any():
        raise ValueError(
            f"every expert's calibration score is 0 to double precision ({n_seeds} seed "
            "items): performance weights are undefined; use equal weights"
        )
    if alpha is None:
        candidates = _tie_groups(cal)
    else:
        if _check_alpha(alpha) > cal.max():
            raise ValueError(f"alpha = {alpha} is above every calibration score ({cal.max()})")
        candidates = np.array([float(alpha)])
    floor = candidates * (1 - TIE_RTOL)
    keep = cal[None, :] >= floor[:, None]  # (A, E)
    if weighting == "global":
        raw = (cal * info.seeds)[None, :] * keep
        raw = (raw / raw.sum(-1, keepdims=True))[:, :, None]
    else:
        raw = np.nan_to_num(info.per_item)[None] * (cal[None, :] * keep)[:, :, None]
    weights = _normalise(raw, study.answered)  # (A, E, I)
    pooled = _pool(study, weights, lower, upper)
    scores = _score(study, pooled, lower, upper, n_seeds)
    candidate_scores = scores.calibration * scores.seeds * (scores.calibration >= floor)
    best = int(np.argmax(np.where(np.isnan(candidate_scores), -np.inf, candidate_scores)))
    combined = cal * info.seeds
    chosen = combined * keep[best]
    return ClassicalModel(
        calibration=cal,
        information_seeds=info.seeds,
        information_all=info.all_items,
        information_per_item=info.per_item,
        combined=combined,
        n_seeds=n_seeds,
        weighting=weighting,
        alpha=float(candidates[best]),
        weights=chosen / chosen.sum(),
        candidates=candidates,
        candidate_scores=candidate_scores,
        dm=DecisionMaker(
            quantiles=pooled[best],
            weights=weights[best],
            calibration=float(scores.calibration[best]),
            information_seeds=float(scores.seeds[best]),
            information_all=float(scores.all_items[best]),
            information_per_item=scores.per_item[best],
            combined=float(scores.calibration[best] * scores.seeds[best]),
        ),
    )


# ---------------------------------------------------------------------------
# robustness
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Robustness:
    """The decision maker recomputed with one seed item or one expert left out.

    Attributes
    ----------
    left_out : ndarray of int, shape (n_rows,)
        Index of the item (into the study's items) or expert left out.
    calibration : ndarray, shape (n_rows,)
        The recomputed decision maker's calibration.
    information_seeds : ndarray, shape (n_rows,)
        Its mean information over the remaining seed items.
    information_all : ndarray, shape (n_rows,)
        Its mean information over all remaining items.
    combined : ndarray, shape (n_rows,)
        ``calibration * information_seeds``.
    alpha : ndarray, shape (n_rows,)
        The alpha used (optimised unless given).
    """

    left_out: NDArray[np.intp]
    calibration: NDArray[np.float64]
    information_seeds: NDArray[np.float64]
    information_all: NDArray[np.float64]
    combined: NDArray[np.float64]
    alpha: NDArray[np.float64]


def _robustness(
    rows: list[tuple[int, _Study]], weighting: str, alpha: float | None, overshoot: float
) -> Robustness:
    models = [(k, _classical_model(s, weighting, alpha, overshoot, strict=False)) for k, s in rows]
    return Robustness(
        left_out=np.array([k for k, _ in models], dtype=np.intp),
        calibration=np.array([m.dm.calibration for _, m in models]),
        information_seeds=np.array([m.dm.information_seeds for _, m in models]),
        information_all=np.array([m.dm.information_all for _, m in models]),
        combined=np.array([m.dm.combined for _, m in models]),
        alpha=np.array([m.alpha for _, m in models]),
    )


def _subset(study: _Study, experts: NDArray[np.bool_], items: NDArray[np.bool_]) -> _Study:
    return _Study(
        study.answers[experts][:, items],
        study.scored[experts][:, items],
        study.realizations[items],
        study.scored_realizations[items],
        study.quantiles,
        study.log_scale[items],
        study.answered[experts][:, items],
        study.seed[items],
        study.p,
    )


def item_robustness(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    weighting: Weighting = "global",
    alpha: float | None = None,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> Robustness:
    r"""Recompute the classical model with each seed item left out in turn.

    Leaving seed item :math:`i` out removes it from the study: the experts'
    calibration (with :math:`N` recounted), information and weights, the
    alpha optimisation and the decision maker are all computed without it.
    The other items keep their intrinsic ranges, which depend only on their
    own values. An expert left with no answered seed drops out of that row.
    A robust decision maker changes little from row to row.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    weighting : {"global", "item"}
        As for :func:`classical_model`.
    alpha : float, optional
        A fixed significance level; optimised in every row by default.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    Robustness
        One row per seed item, in item order.

    Raises
    ------
    ValueError
        As :func:`classical_model`, or fewer than two seed items.

    References
    ----------
    Cooke (1991), section 12.8; Cooke & Goossens (2008), section 4;
    ANDURYL ``calculate.item_robustness``.
    """
    study = _check_study(answers, realizations, quantiles, log_scale)
    k = _check_overshoot(overshoot)
    seeds = np.flatnonzero(study.seed)
    if seeds.size < 2:
        raise ValueError(f"leaving an item out needs two seed items, the study has {seeds.size}")
    _classical_model(study, weighting, alpha, k)  # the full study must be valid
    rows = []
    for item in seeds:
        items = np.arange(study.seed.size) != item
        # a 2-d array's any(-1) is an array; NumPy's stub allows a scalar
        experts: NDArray[np.bool_] = study.answered[:, items & study.seed].any(-1)  # type: ignore[assignment]
        rows.append((int(item), _subset(study, experts, items)))
    return _robustness(rows, weighting, alpha, k)


def expert_robustness(
    answers: ArrayLike,
    realizations: ArrayLike,
    quantiles: ArrayLike,
    log_scale: ArrayLike | None = None,
    *,
    weighting: Weighting = "global",
    alpha: float | None = None,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> Robustness:
    r"""Recompute the classical model with each expert left out in turn.

    Leaving expert :math:`e` out removes the expert from the study: the
    intrinsic ranges, :math:`N`, the other experts' scores, the alpha
    optimisation and the decision maker are computed as if the expert had
    never taken part.

    Parameters
    ----------
    answers : array_like, shape (n_experts, n_items, n_quantiles)
        Each expert's quantiles of each item, increasing; NaN where not given.
    realizations : array_like, shape (n_items,)
        The true values of the seed items; NaN for a target item.
    quantiles : array_like, shape (n_quantiles,)
        The quantile levels, increasing within (0, 1).
    log_scale : array_like of bool, shape (n_items,), optional
        True for an item on a logarithmic background measure; default none.
    weighting : {"global", "item"}
        As for :func:`classical_model`.
    alpha : float, optional
        A fixed significance level; optimised in every row by default.
    overshoot : float
        :math:`k` of the intrinsic range.

    Returns
    -------
    Robustness
        One row per expert, in expert order.

    Raises
    ------
    ValueError
        As :func:`classical_model`, or fewer than two experts.

    References
    ----------
    Cooke (1991), section 12.8; Cooke & Goossens (2008), section 4;
    ANDURYL ``calculate.expert_robustness`` (which keeps the full panel's
    :math:`N`, and its ranges while choosing alpha).
    """
    study = _check_study(answers, realizations, quantiles, log_scale)
    k = _check_overshoot(overshoot)
    n_experts, n_items, _ = study.answers.shape
    if n_experts < 2:
        raise ValueError("leaving an expert out needs two experts, the study has 1")
    _classical_model(study, weighting, alpha, k)  # the full study must be valid
    everything = np.ones(n_items, dtype=bool)
    rows = [(e, _subset(study, np.arange(n_experts) != e, everything)) for e in range(n_experts)]
    return _robustness(rows, weighting, alpha, k)
