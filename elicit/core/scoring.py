"""Scoring judgments against what happened: one score per judgment, for many at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


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
    return (p - o.astype(float)) ** 2


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
