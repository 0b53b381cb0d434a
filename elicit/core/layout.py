"""The grouped layout every function of :mod:`elicit.core` takes: many questions in one array.

A study's answers arrive as flat arrays, one entry per judgment:

``values``
    the numbers (probabilities, quantiles, ...), shape ``(n,)``;
``groups``
    the question (group) index of each value, integers in ``[0, n_groups)``;
``weights``
    optionally, a non-negative weight per value.

Functions return one result per group, shape ``(n_groups, ...)``, with NaN
for a group that has no values. Nothing loops over judgments or questions in
Python.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import ArrayLike, NDArray


def grouped_input(
    values: ArrayLike, groups: ArrayLike, n_groups: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Check and convert a (values, group index) pair to float and ``intp`` arrays.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One number per judgment.
    groups : array_like of int, shape (n,)
        Group (question) index of each value.
    n_groups : int
        Number of groups; indices must lie in ``[0, n_groups)``.

    Returns
    -------
    values : ndarray of float64, shape (n,)
    groups : ndarray of intp, shape (n,)

    Raises
    ------
    ValueError
        If the shapes differ or are not 1-d, a group index is not an integer or
        lies outside ``[0, n_groups)``, or a value is not finite; the message
        names the first bad entry.
    """
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups)
    if values.ndim != 1 or groups.shape != values.shape:
        raise ValueError(
            f"values and groups must be 1-d arrays of one length, got shapes "
            f"{values.shape} and {groups.shape}"
        )
    if not np.issubdtype(groups.dtype, np.integer) and groups.size:
        raise ValueError(f"groups must be integers, got dtype {groups.dtype}")
    n_groups = check_whole("n_groups", n_groups)
    if not np.isfinite(values).all():  # find the entry only when there is one
        bad = np.flatnonzero(~np.isfinite(values))[0]
        raise ValueError(f"values[{bad}] is {values[bad]}, not a finite number")
    if groups.size and not (groups.min() >= 0 and groups.max() < n_groups):
        outside = np.flatnonzero((groups < 0) | (groups >= n_groups))[0]
        raise ValueError(f"groups[{outside}] = {groups[outside]} is outside [0, {n_groups})")
    return values, groups.astype(np.intp, copy=False)


def grouped_weights(weights: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    """Check optional per-value weights: ``None``, or ``n`` finite non-negative numbers.

    Parameters
    ----------
    weights : array_like of float, shape (n,), optional
        One weight per value, or None for no weights.
    n : int
        Number of values.

    Returns
    -------
    ndarray of float64, shape (n,), or None

    Raises
    ------
    ValueError
        If the length differs from ``n`` or a weight is negative or not finite.
    """
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {w.shape}")
    if w.size and not (np.isfinite(w).all() and w.min() >= 0):
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))[0]
        raise ValueError(f"weights[{bad}] is {w[bad]}, not a finite non-negative number")
    return w


def check_whole(name: str, value: object, minimum: int = 0) -> int:
    """Check an integer argument (a number of groups, bins or resamples) and return it.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        An integer (Python or NumPy; not a bool, not a float).
    minimum : int
        Smallest allowed value.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``value`` is not an integer (None, a string, a bool, a float, an array)
        or is below ``minimum``.
    """
    number: int | None = None
    if not isinstance(value, bool | np.bool_):
        try:
            number = operator.index(value)  # type: ignore[arg-type]
        except TypeError:
            number = None
    if number is None or number < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    return number


def check_real(name: str, value: object) -> float:
    """Check a real-number argument (a tolerance, a factor, a bound) and return it as float.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        A finite real number.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``value`` is not a number (None, a string, a bool, an array) or not finite.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number
