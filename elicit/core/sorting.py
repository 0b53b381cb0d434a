r"""Sorting within groups, and what a sort gives: quantiles, medians, weighted medians, ranks.

Every function takes the grouped layout of :mod:`elicit.core.layout` (``values``,
``groups``, ``n_groups``) and sorts all groups in one pass: when the groups are of
similar size their values are laid out as the rows of a ``(n_groups, largest
group)`` grid and the rows sorted together, faster than one sort of the whole
array; very uneven groups fall back to two stable ``argsort`` calls (value, then
group). The pools of :mod:`elicit.core.pooling`, the spread, rank and bootstrap
statistics of :mod:`elicit.core.consensus` and the AUC of
:mod:`elicit.core.scoring` all sort through this module.

Public: :class:`GroupedSort`, :func:`grouped_sort`, :func:`grouped_quantiles`
(NumPy's default quantile) and :func:`grouped_ranks` (midranks). The private
functions below them are the kernels those and the pools share, on arrays
already checked: the median and weighted median of sorted groups, cumulative
weight shares, runs of tied values and running sums that restart at every run.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .layout import grouped_input

TIE_TOLERANCE = 1e-10
"""Cumulative weight shares this close to a cut (1/2, a trimming fraction) lie on it."""


class GroupedSort(NamedTuple):
    """The values of every group in ascending order, from :func:`grouped_sort`.

    Attributes
    ----------
    order : ndarray of intp, shape (n,)
        Indices into the input that sort it by group, then by value:
        ``values[order]`` lists group 0's values in ascending order, then group 1's,
        and so on.
    counts : ndarray of intp, shape (n_groups,)
        Number of values in each group.
    starts : ndarray of intp, shape (n_groups,)
        Position in ``order`` of each group's smallest value.
    """

    order: NDArray[np.intp]
    counts: NDArray[np.intp]
    starts: NDArray[np.intp]


def grouped_sort(values: ArrayLike, groups: ArrayLike, n_groups: int) -> GroupedSort:
    r"""Sort the values of every group at once.

    The permutation returned orders the judgments by group and, within a group, by
    value: for group :math:`g` with :math:`m_g` values starting at :math:`s_g`,

    .. math:: x_{o_{s_g}} \le x_{o_{s_g + 1}} \le \dots \le x_{o_{s_g + m_g - 1}}.

    When the groups are of similar size the values are laid out in a
    ``(n_groups, largest group)`` array and its rows sorted together, which is
    faster than one sort of the whole array; very uneven groups fall back to two
    stable ``argsort`` calls (value, then group).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Finite numbers.
    groups : array_like of int, shape (n,)
        Group (question) index of each value, in ``[0, n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    GroupedSort
        ``order``, ``counts`` and ``starts``. It may be passed as ``presorted`` to
        :func:`elicit.core.pooling.median_pool`,
        :func:`elicit.core.pooling.trimmed_mean_pool` or
        :func:`elicit.core.pooling.recency_weighted_median_pool` called with the same
        ``values`` and ``groups``; they use it only for values too bunched up to bin
        (see :mod:`elicit.core.pooling`), and otherwise need no sort of every group.

    Raises
    ------
    ValueError
        If a value is not finite, a group index is out of range or the shapes differ.

    References
    ----------
    NumPy reference, ``numpy.argsort`` and ``numpy.lexsort``,
    https://numpy.org/doc/stable/reference/generated/numpy.argsort.html
    """
    values, groups = grouped_input(values, groups, n_groups)
    return _grouped_sort(values, groups, n_groups)


def grouped_quantiles(
    values: ArrayLike, groups: ArrayLike, n_groups: int, q: ArrayLike
) -> NDArray[np.float64]:
    r"""Compute the quantiles of the values in each group, for all groups at once.

    Uses NumPy's default ("linear", Hyndman & Fan type 7) definition: for the
    sorted values :math:`x_{(1)} \le \dots \le x_{(m)}` of a group and a level
    :math:`q`, let :math:`h = (m - 1) q`; then

    .. math:: Q(q) = x_{(k + 1)} + (h - k)\,(x_{(k + 2)} - x_{(k + 1)}),
              \quad k = \lfloor h \rfloor,

    which equals ``np.quantile(x, q)`` for each group. One sort serves every group.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        All answers, e.g. every expert's probability for every question.
    groups : array_like of int, shape (n,)
        The group (question) index of each value, in ``[0, n_groups)``.
    n_groups : int
        Number of groups.
    q : array_like of float, shape (k,)
        Levels in [0, 1].

    Returns
    -------
    ndarray, shape (n_groups, k)
        ``NaN`` for a group with no values.

    Raises
    ------
    ValueError
        If a value is not finite, a group index is out of range, the shapes
        differ, or a level is outside [0, 1].

    References
    ----------
    R. J. Hyndman and Y. Fan, "Sample quantiles in statistical packages",
    *The American Statistician* 50(4), 361-365, 1996.
    """
    values, groups = grouped_input(values, groups, n_groups)
    levels = np.atleast_1d(np.asarray(q, dtype=float))
    if levels.ndim != 1 or np.any(~np.isfinite(levels)) or np.any((levels < 0) | (levels > 1)):
        raise ValueError(f"q must be levels in [0, 1], got {levels}")
    sorted_, ordered = _Rows(groups, n_groups).sort_keys(values)
    return _quantiles_sorted(ordered, sorted_, levels)


def grouped_ranks(values: ArrayLike, groups: ArrayLike, n_groups: int) -> NDArray[np.float64]:
    r"""Rank the values within each group, tied values sharing their mean rank (midranks).

    For a value :math:`x_i` in group :math:`g`,

    .. math:: r_i = \#\{j \in g : x_j < x_i\} + \frac{\#\{j \in g : x_j = x_i\} + 1}{2},

    which equals ``scipy.stats.rankdata(x, method="average")`` group by group.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Values to rank.
    groups : array_like of int, shape (n,)
        Group index of each value.
    n_groups : int
        Number of groups.

    Returns
    -------
    ndarray of float, shape (n,)
        Ranks from 1 within each group, in the order of ``values``.

    Raises
    ------
    ValueError
        As :func:`grouped_quantiles`.

    References
    ----------
    M. G. Kendall, *Rank Correlation Methods*, 4th ed., Griffin, 1970, ch. 3.
    """
    values, groups = grouped_input(values, groups, n_groups)
    return _ranks_and_ties(values, groups, n_groups)[0]


# Sorting checked arrays ###################################################################


def _bounds(groups: NDArray[np.intp], n_groups: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Size of every group and the position of its first value once sorted by group."""
    counts = np.bincount(groups, minlength=n_groups)
    return counts, np.cumsum(counts) - counts


def _group_order(groups: NDArray[np.intp], n_groups: int) -> NDArray[np.intp]:
    """Stable permutation sorting by group; a radix sort when the indices fit 16 bits."""
    if n_groups <= 1 << 16:
        return np.argsort(groups.astype(np.uint16), kind="stable")
    return np.argsort(groups, kind="stable")


class _Rows:
    """Where each judgment goes when the groups are laid out as the rows of a padded grid.

    Computed once per call and shared by every sort along the rows (values, times).
    Groups of very different sizes would make the grid too large; then ``sort`` falls
    back to two stable flat ``argsort`` calls.
    """

    def __init__(self, groups: NDArray[np.intp], n_groups: int) -> None:
        self.groups, self.n_groups, self.n = groups, n_groups, groups.size
        self.counts, self.starts = _bounds(groups, n_groups)
        self.width = int(self.counts.max()) if self.n else 0
        self.by_group = _group_order(groups, n_groups)
        self.row_start = np.repeat(self.starts, self.counts)
        self.padded = n_groups * self.width <= 2 * self.n + 4096

    def sort(self, keys: NDArray[np.float64]) -> GroupedSort:
        """Order by group, then by (finite) key; ties in any order."""
        return self.sort_keys(keys)[0]

    def sort_keys(self, keys: NDArray[np.float64]) -> tuple[GroupedSort, NDArray[np.float64]]:
        """As :meth:`sort`, with the keys in that order."""
        if not self.n:
            return GroupedSort(np.zeros(0, dtype=np.intp), self.counts, self.starts), keys
        if self.padded:
            shift = np.arange(self.n_groups) * self.width - self.starts
            grid = np.full((self.n_groups, self.width), np.inf)
            by_group = keys[self.by_group]
            grid.ravel()[np.arange(self.n) + np.repeat(shift, self.counts)] = by_group
            rank = np.argsort(grid, axis=1)
            at = rank[np.arange(self.width) < self.counts[:, None]]
            at += self.row_start  # positions in by_group, each within its group's block
            order, ordered = self.by_group[at], by_group[at]
        else:
            by_key = np.argsort(keys, kind="stable")
            order = by_key[_group_order(self.groups[by_key], self.n_groups)]
            ordered = keys[order]
        sorted_ = GroupedSort(order.astype(np.intp, copy=False), self.counts, self.starts)
        return sorted_, ordered


def _grouped_sort(
    values: NDArray[np.float64],
    groups: NDArray[np.intp],
    n_groups: int,
    ties: NDArray[np.float64] | None = None,
) -> GroupedSort:
    """Sort checked arrays by group, then value; equal values by ``ties``, then position.

    Without ``ties`` equal values come in any order (they are the same number).
    """
    if ties is None:
        return _Rows(groups, n_groups).sort(values)
    counts, starts = _bounds(groups, n_groups)
    return GroupedSort(np.lexsort((ties, values, groups)).astype(np.intp), counts, starts)


def _group_of(sorted_: GroupedSort) -> NDArray[np.intp]:
    """Group of every position in sorted order."""
    return np.repeat(np.arange(sorted_.counts.size), sorted_.counts)


# Runs of equal keys in sorted order #######################################################


def _runs(keys: NDArray[np.intp]) -> NDArray[np.intp]:
    """Where each run of equal entries of ``keys`` (sorted, non-empty) starts."""
    new = np.empty(keys.size, dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    return np.flatnonzero(new)


def _tie_starts(ordered: NDArray[np.float64], labels: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Mark the first of every run of equal values within one group (label), in sorted order."""
    new = np.ones(ordered.size, dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]) | (labels[1:] != labels[:-1])
    return new


def _running_sum(
    x: NDArray[np.float64], firsts: NDArray[np.intp], total: float | None = None
) -> NDArray[np.float64]:
    """Inclusive running sum of ``x`` restarting at each of ``firsts`` (``firsts[0] == 0``).

    Subtracting the previous run's total at the start of each run keeps the running sum
    at the size of one run, so the rounding is that of one run's sum, not of all.
    ``total`` is every run's sum when it is known exactly (shares of a group sum to 1).
    """
    totals = np.add.reduceat(x, firsts)[:-1] if total is None else total
    steps = x.copy()
    steps[firsts[1:]] -= totals
    running = np.cumsum(steps)
    drift = np.zeros(firsts.size)
    drift[1:] = running[firsts[1:] - 1] - totals
    return running - np.repeat(drift, np.diff(firsts, append=x.size))


def _share_ties(
    ordered: NDArray[np.float64], w_sorted: NDArray[np.float64], labels: NDArray[np.intp]
) -> NDArray[np.float64]:
    """Spread the weight of equal keys in one group (adjacent once sorted) evenly over them."""
    if not ordered.size:
        return w_sorted
    new = _tie_starts(ordered, labels)
    if new.all():
        return w_sorted
    firsts = np.flatnonzero(new)
    lengths = np.diff(np.append(firsts, ordered.size))
    return np.repeat(np.add.reduceat(w_sorted, firsts) / lengths, lengths)


def _cumulative_share(
    w_sorted: NDArray[np.float64], sorted_: GroupedSort
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inclusive cumulative share of each group's weight, in sorted order, and the shares.

    Each group's shares sum to 1, so the running sum restarts by subtracting exactly 1:
    the error is that of one group's sum, not of all.
    """
    counts = sorted_.counts
    totals = np.zeros(counts.size)
    present = np.flatnonzero(counts)
    if not present.size:
        return w_sorted.copy(), w_sorted
    firsts = sorted_.starts[present]
    totals[present] = np.add.reduceat(w_sorted, firsts)
    share = w_sorted / np.repeat(totals, counts)
    return _running_sum(share, firsts, 1.0), share


# Statistics of sorted groups ##############################################################


def _quantiles_sorted(
    ordered: NDArray[np.float64], sorted_: GroupedSort, levels: NDArray[np.float64]
) -> NDArray[np.float64]:
    """NumPy's default quantiles at ``levels`` of every group, given its sorted values."""
    counts, starts = sorted_.counts, sorted_.starts
    result = np.full((counts.size, levels.size), np.nan)
    present = counts > 0
    if not present.any():
        return result
    m = counts[present][:, None]
    h = (m - 1) * levels[None, :]
    below = np.floor(h).astype(np.intp)
    above = np.minimum(below + 1, m - 1)
    base = starts[present][:, None]
    low, high = ordered[base + below], ordered[base + above]
    result[present] = low + (h - below) * (high - low)
    return result


def _median_sorted(
    values: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    sorted_: GroupedSort,
) -> NDArray[np.float64]:
    r"""Median (weighted: Metaculus's weighted median) of every group, given its sort.

    Without weights, the mean of the two middle values (``np.median``). With weights,
    :math:`\tfrac12 (x_{(l)} + x_{(r)})` with :math:`l` the first sorted position whose
    cumulative weight share reaches 1/2 and :math:`r` the first that passes it, both
    within ``TIE_TOLERANCE``. NaN for an empty group.
    """
    result = np.full(sorted_.counts.size, np.nan)
    present = np.flatnonzero(sorted_.counts)
    if not present.size:
        return result
    ordered = values[sorted_.order]
    first = sorted_.starts[present]
    if weights is None:
        m = sorted_.counts[present]
        low, high = ordered[first + (m - 1) // 2], ordered[first + m // 2]
    else:
        share, _ = _cumulative_share(weights[sorted_.order], sorted_)
        reach = np.flatnonzero(share >= 0.5 - TIE_TOLERANCE)
        past = np.flatnonzero(share > 0.5 + TIE_TOLERANCE)
        low = ordered[reach[np.searchsorted(reach, first)]]
        high = ordered[past[np.searchsorted(past, first)]]
    result[present] = 0.5 * (low + high)
    return result


def _ranks_and_ties(
    values: NDArray[np.float64], groups: NDArray[np.intp], n_groups: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Midranks within groups and each group's tie term sum(t**3 - t); inputs already checked."""
    n = values.size
    ranks = np.empty(n)
    if n == 0:
        return ranks, np.zeros(n_groups)
    sorted_, v = _Rows(groups, n_groups).sort_keys(values)
    order = sorted_.order
    g = groups[order]
    new_run = _tie_starts(v, g)
    run_start = np.flatnonzero(new_run)
    run_length = np.diff(np.append(run_start, n))
    first_rank = run_start - sorted_.starts[g[run_start]] + 1
    midrank = first_rank + (run_length - 1) / 2.0
    ranks[order] = midrank[np.cumsum(new_run) - 1]
    t = run_length.astype(float)
    ties = np.bincount(g[run_start], weights=t**3 - t, minlength=n_groups)
    # np.bincount with weights gives float64; NumPy's stub types it intp
    return ranks, ties  # type: ignore[return-value]
