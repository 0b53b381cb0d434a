"""Summaries of a panel's spread, computed for many questions in one pass."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .layout import grouped_input


def grouped_count(groups: ArrayLike, n_groups: int) -> NDArray[np.intp]:
    """Count the values in each group.

    Parameters
    ----------
    groups : array_like of int, shape (n,)
        Group (question) index of each value, in ``[0, n_groups)``.
    n_groups : int
        Number of groups; groups with no values get 0.

    Returns
    -------
    ndarray of int, shape (n_groups,)
    """
    _, groups = grouped_input(np.zeros(np.shape(groups)), groups, n_groups)
    return np.bincount(groups, minlength=n_groups)


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
    order = np.lexsort((values, groups))
    ordered = values[order]
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    result = np.full((n_groups, levels.size), np.nan)
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
