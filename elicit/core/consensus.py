"""Summaries of a panel's spread, agreement and stability, computed for many questions in one pass.

Centre and spread per question: :func:`grouped_mean`, :func:`grouped_quantiles`,
:func:`grouped_iqr`, :func:`grouped_cv`, :func:`grouped_percent_within`; agreement
of rankings: :func:`kendalls_w`, :func:`grouped_kendalls_w`; stability between
rounds: :func:`grouped_mean_absolute_change`, :func:`grouped_wilcoxon`;
uncertainty of any grouped statistic: :func:`grouped_bootstrap_ci`, which runs
its statistic through :func:`elicit.core.pooling.pool`. :func:`grouped_quantiles`
and :func:`grouped_ranks` live in :mod:`elicit.core.sorting` with the one grouped
sort; they are imported here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from . import pooling
from .layout import check_real, check_whole, grouped_input, grouped_weights
from .sorting import _grouped_sort, _ranks_and_ties
from .sorting import grouped_quantiles as grouped_quantiles
from .sorting import grouped_ranks as grouped_ranks


def grouped_count(groups: ArrayLike, n_groups: int) -> NDArray[np.intp]:
    r"""Count the values in each group: :math:`n_g = \#\{i : g_i = g\}`.

    Parameters
    ----------
    groups : array_like of int, shape (n,)
        Group (question) index of each value, in ``[0, n_groups)``.
    n_groups : int
        Number of groups; groups with no values get 0.

    Returns
    -------
    ndarray of int, shape (n_groups,)

    Raises
    ------
    ValueError
        As :func:`elicit.core.layout.grouped_input`.

    References
    ----------
    NumPy, ``numpy.bincount``, https://numpy.org/doc/stable/reference/generated/numpy.bincount.html
    """
    _, groups = grouped_input(np.zeros(np.shape(groups)), groups, n_groups)
    return np.bincount(groups, minlength=n_groups)


# --- spread: IQR, coefficient of variation, share within a band ----------------------------


def grouped_iqr(values: ArrayLike, groups: ArrayLike, n_groups: int) -> NDArray[np.float64]:
    r"""Interquartile range of the values in each group.

    .. math:: \mathrm{IQR} = Q(0.75) - Q(0.25),

    with :math:`Q` NumPy's default ("linear", Hyndman & Fan type 7) sample
    quantile, exactly as in :func:`grouped_quantiles`: for a group's sorted values
    :math:`x_{(1)} \le \dots \le x_{(m)}` and :math:`h = (m - 1) q`,
    :math:`Q(q) = x_{(k+1)} + (h - k)(x_{(k+2)} - x_{(k+1)})`, :math:`k = \lfloor h \rfloor`.
    A group with one value has IQR 0.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        All answers.
    groups : array_like of int, shape (n,)
        Group (question) index of each value, in ``[0, n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    ndarray, shape (n_groups,)
        ``NaN`` for a group with no values.

    Raises
    ------
    ValueError
        As :func:`grouped_quantiles`.

    References
    ----------
    R. J. Hyndman and Y. Fan, "Sample quantiles in statistical packages",
    *The American Statistician* 50(4), 361-365, 1996.
    """
    q = grouped_quantiles(values, groups, n_groups, [0.25, 0.75])
    return q[:, 1] - q[:, 0]


def _grouped_moments(
    values: NDArray[np.float64],
    groups: NDArray[np.intp],
    n_groups: int,
    weights: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Return per-group (sum of weights, sum of squared weights, mean, sum of w * squared dev)."""
    w = np.ones_like(values) if weights is None else weights
    v1 = np.bincount(groups, weights=w, minlength=n_groups)
    v2 = np.bincount(groups, weights=w * w, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(groups, weights=w * values, minlength=n_groups) / v1
    dev = values - mean[groups]
    ss = np.bincount(groups, weights=w * dev * dev, minlength=n_groups)
    # np.bincount with weights gives float64; NumPy's stub types it intp
    return v1, v2, mean, ss  # type: ignore[return-value]


def grouped_mean(
    values: ArrayLike, groups: ArrayLike, n_groups: int, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""(Weighted) arithmetic mean of the values in each group.

    .. math:: \bar x_g = \frac{\sum_{i \in g} w_i x_i}{\sum_{i \in g} w_i},

    with :math:`w_i = 1` when no weights are given. Unlike
    :func:`elicit.core.pooling.linear_pool` the values may be any finite numbers
    (quantities as well as probabilities).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        All answers.
    groups : array_like of int, shape (n,)
        Group (question) index of each value, in ``[0, n_groups)``.
    n_groups : int
        Number of groups.
    weights : array_like of float, shape (n,), optional
        Non-negative weight per value.

    Returns
    -------
    ndarray, shape (n_groups,)
        ``NaN`` for a group with no values (or no weight).

    Raises
    ------
    ValueError
        On a non-finite value, a bad index or bad weights (naming them).

    See Also
    --------
    elicit.core.pooling.linear_pool : the same mean, for probabilities only.

    References
    ----------
    NumPy, ``numpy.bincount``, https://numpy.org/doc/stable/reference/generated/numpy.bincount.html
    """
    x, g = grouped_input(values, groups, n_groups)
    _, _, mean, _ = _grouped_moments(x, g, n_groups, grouped_weights(weights, x.size))
    return mean


def grouped_cv(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    ddof: int = 1,
) -> NDArray[np.float64]:
    r"""Coefficient of variation of each group: standard deviation over absolute mean.

    .. math:: \mathrm{CV} = \frac{s}{|\bar x|}, \qquad
              \bar x = \frac{\sum_i w_i x_i}{V_1}, \qquad
              s^2 = \frac{\sum_i w_i (x_i - \bar x)^2}{V_1 - \mathrm{ddof}\, V_2 / V_1},

    with :math:`V_1 = \sum_i w_i`, :math:`V_2 = \sum_i w_i^2` (reliability weights,
    as ``np.cov(..., aweights=w)``); without weights this is the usual sample
    standard deviation with ``ddof`` (1 by default) over the absolute mean.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        All answers (on a ratio scale: a CV of probabilities or percentages).
    groups : array_like of int, shape (n,)
        Group (question) index of each value.
    n_groups : int
        Number of groups.
    weights : array_like of float, shape (n,), optional
        Non-negative weight per value.
    ddof : int, default 1
        Delta degrees of freedom of the variance.

    Returns
    -------
    ndarray, shape (n_groups,)
        ``NaN`` for an empty group, a group with no more than ``ddof`` values
        (effective), or a group whose mean is 0.

    Raises
    ------
    ValueError
        On bad values, group indices or weights (naming the first bad entry), or
        a negative ``ddof``.

    References
    ----------
    B. S. Everitt and A. Skrondal, *The Cambridge Dictionary of Statistics*, 4th ed.,
    Cambridge University Press, 2010, "coefficient of variation".
    """
    values, groups = grouped_input(values, groups, n_groups)
    w = grouped_weights(weights, values.size)
    if ddof < 0:
        raise ValueError(f"ddof must be non-negative, got {ddof}")
    v1, v2, mean, ss = _grouped_moments(values, groups, n_groups, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = v1 - ddof * v2 / v1
        sd = np.sqrt(np.where(denominator > 0, ss / denominator, np.nan))
        cv = sd / np.abs(mean)
    cv[~np.isfinite(cv) | (mean == 0)] = np.nan
    return cv


def grouped_percent_within(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    band: float,
    center: str | ArrayLike = "median",
    weights: ArrayLike | None = None,
    rtol: float = 1e-9,
) -> NDArray[np.float64]:
    r"""Percentage of each group's values within :math:`\pm` ``band`` of a centre.

    .. math:: P_g = 100\,\frac{\sum_{i \in g} w_i\,[\,|x_i - c_g| \le b\,]}{\sum_{i \in g} w_i},

    a common Delphi consensus rule (e.g. "at least 80 % of answers within 10
    points of the median"). Ends count as inside; a deviation within a relative
    ``rtol`` of ``band`` counts as on the edge so that decimal inputs such as
    0.8 vs 0.7 with band 0.1 behave as written.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        All answers.
    groups : array_like of int, shape (n,)
        Group (question) index of each value.
    n_groups : int
        Number of groups.
    band : float
        Half-width of the band, in the units of ``values`` (10 for percentage
        points on a 0-100 scale, 0.1 for probabilities).
    center : {"median", "mean"} or array_like of shape (n_groups,), default "median"
        The centre :math:`c_g`: each group's (unweighted, NumPy-default) median,
        its (weighted) mean, or given per group.
    weights : array_like of float, shape (n,), optional
        Non-negative weight per value; without, every value counts once.
    rtol : float, default 1e-9
        Relative tolerance on the band edge.

    Returns
    -------
    ndarray, shape (n_groups,)
        Percentages in [0, 100]; ``NaN`` for an empty group (or zero total weight).

    Raises
    ------
    ValueError
        On bad values or indices, a negative or non-finite ``band``, an unknown
        ``center`` or one of the wrong shape.

    References
    ----------
    H. von der Gracht, "Consensus measurement in Delphi studies: review and
    implications for future quality assurance", *Technological Forecasting and
    Social Change* 79(8), 1525-1536, 2012.
    """
    values, groups = grouped_input(values, groups, n_groups)
    w = grouped_weights(weights, values.size)
    band = check_real("band", band)
    if band < 0:
        raise ValueError(f"band must be a finite non-negative number, got {band}")
    rtol = check_real("rtol", rtol)
    if rtol < 0:
        raise ValueError(f"rtol must be a finite non-negative number, got {rtol}")
    if isinstance(center, str):
        if center == "median":
            c = grouped_quantiles(values, groups, n_groups, [0.5])[:, 0]
        elif center == "mean":
            c = _grouped_moments(values, groups, n_groups, w)[2]
        else:
            raise ValueError(f"center must be 'median', 'mean' or an array, got {center!r}")
    else:
        c = np.asarray(center, dtype=float)
        if c.shape != (n_groups,):
            raise ValueError(f"center must have shape ({n_groups},), got {c.shape}")
        bad = np.flatnonzero(~np.isfinite(c))
        if bad.size:
            raise ValueError(f"center[{bad[0]}] is {c[bad[0]]}, not a finite number")
    deviation = np.abs(values - c[groups])
    inside = (deviation <= band) | np.isclose(deviation, band, rtol=rtol, atol=0.0)
    ww = np.ones_like(values) if w is None else w
    total = np.bincount(groups, weights=ww, minlength=n_groups)
    hits = np.bincount(groups, weights=ww * inside, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * hits / total, np.nan)


# --- Kendall's W ----------------------------------------------------------------------------


class KendallW(NamedTuple):
    """Kendall's coefficient of concordance per question set (see :func:`grouped_kendalls_w`)."""

    w: NDArray[np.float64]
    statistic: NDArray[np.float64]
    df: NDArray[np.float64]
    pvalue: NDArray[np.float64]
    n_raters: NDArray[np.intp]
    n_items: NDArray[np.intp]


def _integer_labels(name: str, labels: ArrayLike, n: int) -> NDArray[np.intp]:
    a = np.asarray(labels)
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must be integers, got dtype {a.dtype}")
    return a.astype(np.intp, copy=False)


def grouped_kendalls_w(
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    raters: ArrayLike,
    items: ArrayLike,
) -> KendallW:
    r"""Kendall's W, corrected for ties, and its chi-square test, for many question sets at once.

    In question set :math:`g`, each of :math:`m` raters scores (or ranks) each of
    :math:`n` items once. Scores are ranked within each rater (midranks for
    ties), :math:`R_j` is item :math:`j`'s rank sum and

    .. math:: S = \sum_{j=1}^{n}\Bigl(R_j - \frac{m(n+1)}{2}\Bigr)^2, \qquad
              W = \frac{12\,S}{m^2(n^3 - n) - m\sum_{k=1}^{m} T_k}, \qquad
              T_k = \sum (t^3 - t),

    where :math:`t` runs over the sizes of the groups of tied scores of rater
    :math:`k`. Under the null hypothesis of no agreement,
    :math:`\chi^2 = m(n-1)W` is approximately chi-square with :math:`n - 1`
    degrees of freedom (the Friedman test statistic with its tie correction;
    the approximation wants :math:`n > 7`).

    Parameters
    ----------
    values : array_like of float, shape (N,)
        Every rater's score (or rank) of every item.
    groups : array_like of int, shape (N,)
        Question-set index of each score, in ``[0, n_groups)``.
    n_groups : int
        Number of question sets.
    raters, items : array_like of int, shape (N,)
        Labels of the rater and of the item of each score; only equality
        matters, within a set. Every rater of a set must score every item of
        the set exactly once (a complete design).

    Returns
    -------
    KendallW
        Arrays of shape (n_groups,): ``w``, ``statistic`` (chi-square), ``df``,
        ``pvalue`` (upper tail), ``n_raters``, ``n_items``. ``NaN`` for an empty
        set, or where W is undefined (fewer than 2 items or every rater tying all).

    Raises
    ------
    ValueError
        On bad values or indices, labels that are not integers, a (set, rater,
        item) repeated, or an incomplete design (naming the set).

    References
    ----------
    M. G. Kendall and B. Babington Smith, "The problem of m rankings",
    *Annals of Mathematical Statistics* 10(3), 275-287, 1939;
    S. Siegel and N. J. Castellan, *Nonparametric Statistics for the Behavioral
    Sciences*, 2nd ed., McGraw-Hill, 1988, section 9.4.
    """
    values, groups = grouped_input(values, groups, n_groups)
    n = values.size
    r_lab = _integer_labels("raters", raters, n)
    i_lab = _integer_labels("items", items, n)
    nan = np.full(n_groups, np.nan)
    zeros = np.zeros(n_groups, dtype=np.intp)
    if n == 0:
        return KendallW(nan, nan.copy(), nan.copy(), nan.copy(), zeros, zeros.copy())
    triples, first = np.unique(np.column_stack((groups, r_lab, i_lab)), axis=0, return_index=True)
    if triples.shape[0] != n:
        dup = np.setdiff1d(np.arange(n), first)[0]
        raise ValueError(
            f"entry {dup} repeats set {groups[dup]}, rater {r_lab[dup]}, item {i_lab[dup]}"
        )
    block_keys, block = np.unique(np.column_stack((groups, r_lab)), axis=0, return_inverse=True)
    cell_keys, cell = np.unique(np.column_stack((groups, i_lab)), axis=0, return_inverse=True)
    block, cell = block.ravel(), cell.ravel()
    m = np.bincount(block_keys[:, 0], minlength=n_groups)
    k = np.bincount(cell_keys[:, 0], minlength=n_groups)
    incomplete = np.flatnonzero(np.bincount(groups, minlength=n_groups) != m * k)
    if incomplete.size:
        g = incomplete[0]
        raise ValueError(
            f"set {g} is incomplete: {m[g]} raters and {k[g]} items but "
            f"{np.count_nonzero(groups == g)} scores"
        )
    ranks, ties = _ranks_and_ties(values, block, block_keys.shape[0])
    rank_sum = np.bincount(cell, weights=ranks, minlength=cell_keys.shape[0])
    cell_group = cell_keys[:, 0]
    expected = m[cell_group] * (k[cell_group] + 1) / 2.0
    s = np.bincount(cell_group, weights=(rank_sum - expected) ** 2, minlength=n_groups)
    t = np.bincount(block_keys[:, 0], weights=ties, minlength=n_groups)
    mf, kf = m.astype(float), k.astype(float)
    denominator = mf**2 * (kf**3 - kf) - mf * t
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(denominator > 0, 12.0 * s / denominator, np.nan)
    df = np.where(k > 0, kf - 1, np.nan)
    statistic = mf * df * w
    pvalue = stats.chi2.sf(statistic, df)
    return KendallW(w, statistic, df, pvalue, m, k)


def kendalls_w(ratings: ArrayLike) -> KendallW:
    r"""Kendall's W for a raters x items matrix, or a stack of them, with the tie correction.

    The same statistic as :func:`grouped_kendalls_w` (which also takes sets of
    different sizes): for each ``(m, n)`` matrix of scores, row :math:`k` is one
    rater's scores of the :math:`n` items (ranked within the row, midranks for
    ties), and

    .. math:: W = \frac{12\,S}{m^2(n^3 - n) - m\sum_k T_k}, \qquad
              \chi^2 = m(n-1)W \sim \chi^2_{n-1}.

    Parameters
    ----------
    ratings : array_like of float, shape (..., m, n)
        Scores or ranks; leading axes index independent question sets.

    Returns
    -------
    KendallW
        Fields of shape ``ratings.shape[:-2]``.

    Raises
    ------
    ValueError
        If ``ratings`` has fewer than 2 dimensions or a value is not finite.

    References
    ----------
    M. G. Kendall and B. Babington Smith, "The problem of m rankings",
    *Annals of Mathematical Statistics* 10(3), 275-287, 1939.
    """
    a = np.asarray(ratings, dtype=float)
    if a.ndim < 2:
        raise ValueError(f"ratings must be a (..., raters, items) array, got shape {a.shape}")
    lead, (m, k) = a.shape[:-2], a.shape[-2:]
    n_sets = int(np.prod(lead, dtype=np.intp))
    idx = np.indices((n_sets, m, k)).reshape(3, -1)
    result = grouped_kendalls_w(a.reshape(-1), idx[0], n_sets, idx[1], idx[2])
    return KendallW._make(np.reshape(f, lead) for f in result)


# --- change between rounds ------------------------------------------------------------------


def _paired(
    first: ArrayLike, second: ArrayLike, groups: ArrayLike, n_groups: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    a, g = grouped_input(first, groups, n_groups)
    b = np.asarray(second, dtype=float)
    if b.shape != a.shape:
        raise ValueError(f"first and second must have one shape, got {a.shape} and {b.shape}")
    bad = np.flatnonzero(~np.isfinite(b))
    if bad.size:
        raise ValueError(f"second[{bad[0]}] is {b[bad[0]]}, not a finite number")
    return a, b, g


def grouped_mean_absolute_change(
    first: ArrayLike,
    second: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    r"""Mean absolute change of paired answers between two rounds, per question.

    .. math:: \mathrm{MAC}_g = \frac{\sum_{i \in g} w_i\,|y_i - x_i|}{\sum_{i \in g} w_i},

    with :math:`x_i` an expert's answer in the first round and :math:`y_i` the
    same expert's answer to the same question in the second. A small MAC means
    the panel's answers are stable (Delphi stopping rules).

    Parameters
    ----------
    first, second : array_like of float, shape (n,)
        Paired answers, one pair per expert and question.
    groups : array_like of int, shape (n,)
        Question index of each pair.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weight per pair.

    Returns
    -------
    ndarray, shape (n_groups,)
        ``NaN`` for a question with no pairs.

    Raises
    ------
    ValueError
        On shapes that differ, a non-finite answer or bad index (naming it).

    References
    ----------
    R. C. Dajani, M. Sincoff and W. K. Talley, "Stability and agreement criteria
    for the termination of Delphi studies", *Technological Forecasting and
    Social Change* 13(1), 83-90, 1979.
    """
    a, b, g = _paired(first, second, groups, n_groups)
    w = grouped_weights(weights, a.size)
    ww = np.ones_like(a) if w is None else w
    total = np.bincount(g, weights=ww, minlength=n_groups)
    change = np.bincount(g, weights=ww * np.abs(b - a), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, change / total, np.nan)


class WilcoxonResult(NamedTuple):
    """Wilcoxon signed-rank test per question (see :func:`grouped_wilcoxon`)."""

    statistic: NDArray[np.float64]
    pvalue: NDArray[np.float64]
    n: NDArray[np.intp]
    exact: NDArray[np.bool_]


def _signed_rank_cdf_tables(sizes: NDArray[np.intp]) -> dict[int, NDArray[np.float64]]:
    """Exact null CDF of the signed-rank sum T+ for each needed sample size n >= 1."""
    tables: dict[int, NDArray[np.float64]] = {}
    wanted = set(int(s) for s in sizes)
    if not wanted:
        return tables
    pmf = np.ones(1)
    for size in range(1, max(wanted) + 1):
        grown = np.zeros(size * (size + 1) // 2 + 1)
        grown[: pmf.size] += 0.5 * pmf
        grown[-pmf.size :] += 0.5 * pmf
        pmf = grown
        if size in wanted:
            tables[size] = np.cumsum(pmf)
    return tables


def grouped_wilcoxon(
    first: ArrayLike,
    second: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    method: str = "auto",
    correction: bool = False,
) -> WilcoxonResult:
    r"""Wilcoxon signed-rank test of paired answers between two rounds, per question.

    For question :math:`g` take the differences :math:`d_i = y_i - x_i` of its
    experts' paired answers, drop zeros (Wilcoxon's rule), rank :math:`|d_i|`
    (midranks for ties) and let :math:`T^+` (:math:`T^-`) be the rank sum of the
    positive (negative) differences, :math:`n` the number of non-zero ones. The
    statistic is :math:`\min(T^+, T^-)` and the two-sided p-value is

    * exact: :math:`2\min\{P(T^+ \ge T^+_{obs}),\,P(T^+ \le T^+_{obs})\}` (at most 1)
      under the null distribution of :math:`T^+` (every sign equally likely);
    * asymptotic: :math:`2\,\Phi(-|z|)` with
      :math:`z = (T^+ - n(n+1)/4)/\sigma`,
      :math:`\sigma^2 = \bigl(n(n+1)(2n+1) - \tfrac12\sum(t^3 - t)\bigr)/24`
      (:math:`t` the sizes of tied groups of :math:`|d|`), and, with
      ``correction``, :math:`|z|` reduced by :math:`0.5/\sigma`.

    All questions are computed together; only the exact null distribution is
    built once per distinct sample size. The results equal
    ``scipy.stats.wilcoxon(y, x, method="exact" | "asymptotic")`` question by
    question.

    Parameters
    ----------
    first, second : array_like of float, shape (n,)
        Paired answers (e.g. round 1 and round 2 of the same expert).
    groups : array_like of int, shape (n,)
        Question index of each pair.
    n_groups : int
        Number of questions.
    method : {"auto", "exact", "asymptotic"}, default "auto"
        "auto" takes the exact test for a question with at most 50 pairs and
        no zero or tied differences, else the normal approximation. (SciPy's
        own "auto" uses a permutation test for small samples with ties.)
    correction : bool, default False
        Continuity correction of the normal approximation.

    Returns
    -------
    WilcoxonResult
        Arrays of shape (n_groups,): ``statistic``, ``pvalue``, ``n`` (non-zero
        differences) and ``exact`` (which test was used). ``NaN`` statistic and
        p-value where a question has no non-zero difference.

    Raises
    ------
    ValueError
        On shapes that differ, a non-finite answer, a bad index or an unknown method.

    References
    ----------
    F. Wilcoxon, "Individual comparisons by ranking methods", *Biometrics
    Bulletin* 1(6), 80-83, 1945; M. Hollander, D. A. Wolfe and E. Chicken,
    *Nonparametric Statistical Methods*, 3rd ed., Wiley, 2014, ch. 3.
    """
    if method not in {"auto", "exact", "asymptotic"}:
        raise ValueError(f"method must be 'auto', 'exact' or 'asymptotic', got {method!r}")
    a, b, g = _paired(first, second, groups, n_groups)
    d = b - a
    zero = d == 0
    n_zero = np.bincount(g, weights=zero, minlength=n_groups)
    keep = ~zero
    dk, gk = d[keep], g[keep]
    ranks, ties = _ranks_and_ties(np.abs(dk), gk, n_groups)
    count = np.bincount(gk, minlength=n_groups)
    r_plus = np.bincount(gk, weights=ranks * (dk > 0), minlength=n_groups)
    cf = count.astype(float)
    r_minus = cf * (cf + 1) / 2 - r_plus
    if method == "exact":
        exact = count > 0
    elif method == "asymptotic":
        exact = np.zeros(n_groups, dtype=bool)
    else:
        exact = (count > 0) & (count <= 50) & (ties == 0) & (n_zero == 0)

    pvalue = np.full(n_groups, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = cf * (cf + 1) / 4
        se = np.sqrt((cf * (cf + 1) * (2 * cf + 1) - ties / 2) / 24)
        z = (r_plus - mean) / se
        if correction:
            z = z - np.sign(z) * 0.5 / se
        asymptotic = ~exact & (count > 0)
        pvalue[asymptotic] = 2 * stats.norm.sf(np.abs(z[asymptotic]))
    if exact.any():
        tables = _signed_rank_cdf_tables(np.unique(count[exact]))
        for size, cdf in tables.items():  # one pass per distinct sample size
            sel = exact & (count == size)
            low = np.ceil(r_plus[sel]).astype(np.intp)  # P(T+ <= ceil(r))
            high = np.floor(r_plus[sel]).astype(np.intp)  # P(T+ >= floor(r))
            p_le = cdf[low]
            p_ge = 1.0 - np.where(high > 0, cdf[np.maximum(high - 1, 0)], 0.0)
            pvalue[sel] = np.clip(2 * np.minimum(p_le, p_ge), 0, 1)
    statistic = np.where(count > 0, np.minimum(r_plus, r_minus), np.nan)
    return WilcoxonResult(statistic, pvalue, count, exact)


# --- bootstrap ------------------------------------------------------------------------------


class BootstrapResult(NamedTuple):
    """Percentile bootstrap interval per group (see :func:`grouped_bootstrap_ci`)."""

    estimate: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    standard_error: NDArray[np.float64]


def grouped_bootstrap_ci(
    pool: str | pooling.Pool,
    values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    n_resamples: int = 2000,
    level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    max_batch_values: int = 4_000_000,
) -> BootstrapResult:
    r"""Percentile bootstrap confidence interval of any grouped statistic, resampling experts.

    For each resample :math:`b = 1..B` and each group, the group's :math:`m_g`
    judgments (experts) are drawn with replacement, weights travelling with
    their values, and the statistic :math:`\hat\theta^{*}_{b,g}` recomputed. The
    interval is

    .. math:: \bigl[\hat\theta^{*}_{(\alpha/2)},\ \hat\theta^{*}_{(1-\alpha/2)}\bigr],
              \qquad \alpha = 1 - \text{level},

    the quantiles (NumPy default definition) of the :math:`B` replicates, and
    the standard error is their standard deviation (ddof 1).

    Vectorised: resampled indices are drawn within groups for a whole batch of
    resamples at once, and the batch is handed to ``pool`` as one grouped
    problem with :math:`B \times` ``n_groups`` groups (resample :math:`b`, group
    :math:`g` becomes group :math:`b \cdot` ``n_groups`` :math:`+ g`), so
    ``pool`` runs once per batch. A group's experts are drawn from a list in
    order of value (then weight), so that with one seed the interval does not
    depend on the order of the input rows.

    Parameters
    ----------
    pool : str or callable
        A name in :data:`elicit.core.pooling.METHODS`, or
        ``pool(values, groups, n_groups[, weights=...]) -> array of shape (n_groups, ...)``,
        e.g. a pooling method or ``lambda v, g, n: grouped_quantiles(v, g, n, [0.5])[:, 0]``;
        run through :func:`elicit.core.pooling.pool`, so ``weights`` is passed only
        when given here.
    values : array_like of float, shape (n,)
        All judgments.
    groups : array_like of int, shape (n,)
        Group (question) index of each judgment.
    n_groups : int
        Number of groups.
    weights : array_like of float, shape (n,), optional
        Non-negative weight per judgment, resampled with it.
    n_resamples : int, default 2000
        Number of bootstrap resamples :math:`B`.
    level : float, default 0.95
        Confidence level, in (0, 1).
    seed : int, numpy.random.Generator or None
        Seed or generator (``numpy.random.default_rng(seed)``); fix it for
        reproducible intervals.
    max_batch_values : int, default 4_000_000
        Upper bound on resampled values handed to ``pool`` per call (memory).

    Returns
    -------
    BootstrapResult
        ``estimate`` (the statistic on the data), ``low``, ``high`` and
        ``standard_error``, each of shape ``(n_groups, ...)``; ``NaN`` for an
        empty group. A replicate that is NaN makes its group's interval NaN.

    Raises
    ------
    ValueError
        On bad input, ``n_resamples < 2``, a level outside (0, 1), an unknown pool
        name, or a pool returning the wrong shape.

    References
    ----------
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman &
    Hall, 1993, ch. 13 (percentile intervals).
    """
    values, groups = grouped_input(values, groups, n_groups)
    w = grouped_weights(weights, values.size)
    n_resamples = check_whole("n_resamples", n_resamples, 2)
    max_batch_values = check_whole("max_batch_values", max_batch_values, 1)
    if not 0 < check_real("level", level) < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    estimate = pooling.pool(pool, values, groups, n_groups, w)
    n = values.size
    # by group, then value and weight: the same experts in any row order resample alike
    order, counts, group_starts = _grouped_sort(values, groups, n_groups, ties=w)
    g_sorted = groups[order]
    starts = group_starts[g_sorted]
    sizes = counts[g_sorted]
    v_sorted = values[order]
    w_sorted = None if w is None else w[order]
    batch = max(1, min(n_resamples, max_batch_values // max(n, 1)))
    replicates = []
    done = 0
    while done < n_resamples:
        b = min(batch, n_resamples - done)
        pick = starts + np.floor(rng.random((b, n)) * sizes).astype(np.intp)
        batch_groups = (np.arange(b)[:, None] * n_groups + g_sorted).ravel()
        out = pooling.pool(
            pool,
            v_sorted[pick].ravel(),
            batch_groups,
            b * n_groups,
            None if w_sorted is None else w_sorted[pick].ravel(),
        )
        replicates.append(out.reshape((b, n_groups) + out.shape[1:]))
        done += b
    dist = np.concatenate(replicates, axis=0)
    low, high = np.quantile(dist, [(1 - level) / 2, (1 + level) / 2], axis=0)
    se = dist.std(axis=0, ddof=1)
    empty = counts == 0
    for arr in (low, high, se):
        arr[empty] = np.nan
    return BootstrapResult(estimate, low, high, se)
