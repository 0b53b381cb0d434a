r"""The repliCATS aggregation methods of the aggreCAT R package, on three-point judgments.

Each expert gives, for each claim, a lower bound :math:`L`, a best estimate
:math:`B` and an upper bound :math:`U` of the probability that the claim
replicates. Every function here takes those judgments in the grouped layout of
:mod:`elicit.core.layout` and returns one confidence score per claim (NaN for a
claim nobody judged)::

    method(lower, best, upper, groups, n_groups, *, experts=None, round1=None)

The functions carry aggreCAT's method names (``ArMean``, ``IntWAgg``, ...) and
snake_case aliases (``ar_mean``, ``int_wagg``, ...); :data:`METHODS` maps every
aggreCAT name to its function.

Conventions, following aggreCAT (github.com/metamelb-repliCATS/aggreCAT, ``R/*.R``)
--------------------------------------------------------------------------------
* **Probabilities.** Inputs are probabilities in [0, 1] with
  :math:`L \le B \le U`. aggreCAT's data hold percentages and its methods are meant
  to run with ``percent_toggle = TRUE``, which divides them by 100: do that first.
* **Which round.** ``lower``, ``best`` and ``upper`` are the final judgments, round 2
  of the IDEA protocol (after discussion): aggreCAT's default
  ``round_2_filter = TRUE``. One judgment per expert and claim.
* **Two rounds.** The Shift methods (ShiftWAgg, BestShiftWAgg, IntShiftWAgg,
  DistShiftWAgg, DistIntShiftWAgg) weigh each round-2 best estimate by how the
  expert moved since round 1 and need ``round1=(lower1, best1, upper1)``, the same
  expert's round-1 judgment on the same claim, entry by entry (aggreCAT pairs the
  rounds by ``user_name`` and ``paper_id``; pass only experts who judged the claim
  in both rounds).
* **Across claims.** IndIntWAgg, VarIndIntWAgg, IndIntAsymWAgg, KitchSinkWAgg and
  GranWAgg rescale an expert's weight by their judgments on every claim in the
  call, as aggreCAT uses every claim of the data frame it is given; they need
  ``experts``, an integer id of the expert behind each judgment.
* **Weights.** Weighted methods normalize within a claim,
  :math:`\hat p_c = \sum_i \tilde w_{i,c} B_{i,c}` with
  :math:`\tilde w_{i,c} = w_{i,c} / \sum_j w_{j,c}`. Where aggreCAT replaces a
  claim's weights that are all 0 by 1 (equal weights), so do we; the docstrings
  say where.
* **Zero widths and certainty.** ``EPS`` (2.22e-16, R's ``.Machine$double.eps``)
  replaces an interval width of 0 and, for LOArMean and ProbitArMean, probabilities
  of exactly 0 or 1 (0 becomes ``EPS``, 1 becomes ``1 - EPS``).

Where aggreCAT's arithmetic breaks down we return NaN instead of its output: a claim
whose combined weights are all 0 (possible in KitchSinkWAgg) or infinite
(IntShiftWAgg and DistIntShiftWAgg when an interval shrinks from [0, 1] to a
point); aggreCAT's ``sum(..., na.rm = TRUE)`` turns those into meaningless numbers.
BestShiftWAgg counts no move from a round-1 estimate of 1 as a shift of 0
(aggreCAT: 0/0). DistribArMean and TriDistribArMean invert the averaged
distribution by bisection to machine precision (aggreCAT searches numerically with
``GoFKernel::inverse``) and, if the average distribution function is flat at 1/2,
return the smallest median.

Not here: the Bayesian methods (BayTriVar, BayPRIORsAgg: MCMC with JAGS), the
methods needing supplementary data (ReasonWAgg, QuizWAgg, CompWAgg, EngWAgg and
aggreCAT's ``Judgement``/``Participant`` weights: pass those weights to
:func:`elicit.core.pooling.linear_pool`), BetaArMean2 and LOGeoMean.

References
----------
A. M. Hanea, D. P. Wilkinson, M. McBride et al., "Mathematically aggregating experts'
predictions of possible futures", *PLoS ONE* 16(9), e0256919, 2021.
E. Gould, C. T. Gray, A. Willcox, R. O'Dea, R. Groenewegen and D. P. Wilkinson,
"aggreCAT: an R package for mathematically aggregating expert judgments",
MetaArXiv, doi:10.31222/osf.io/74tfv.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .layout import grouped_input
from .pooling import geometric_mean_pool, linear_pool, log_odds_pool, median_pool, probit_pool

EPS = float(np.finfo(float).eps)
"""R's ``.Machine$double.eps``: aggreCAT's stand-in for a width of 0 and for certainty."""

_BISECTIONS = 64
"""Halvings of [0, 1] when inverting an averaged distribution: below one ulp."""

Round1 = Sequence[ArrayLike]


# Unweighted averages of best estimates (aggreCAT's AverageWAgg, ExtremisationWAgg) ######


def ar_mean(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""ArMean: arithmetic mean of the best estimates.

    .. math:: \hat p_c = \frac{1}{N} \sum_{i=1}^N B_{i,c}

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        If a judgment is not finite, outside [0, 1] or out of order, a claim index
        is out of range, or the shapes differ.

    References
    ----------
    aggreCAT ``AverageWAgg(type = "ArMean")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    return linear_pool(b, g, n_groups)


def median(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""Median: median of the best estimates (mean of the two middle ones for even N).

    .. math:: \hat p_c = \operatorname{median}\{B_{i,c}\}_{i=1,\dots,N}

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``AverageWAgg(type = "Median")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    return median_pool(b, g, n_groups)


def geo_mean(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""GeoMean: geometric mean of the best estimates (0 if one of them is 0).

    .. math:: \hat p_c = \left(\prod_{i=1}^N B_{i,c}\right)^{1/N}

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``AverageWAgg(type = "GeoMean")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    return geometric_mean_pool(b, g, n_groups)


def lo_ar_mean(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""LOArMean: mean of the log-odds of the best estimates, mapped back to a probability.

    Best estimates of exactly 0 or 1 become ``EPS`` or ``1 - EPS``; then

    .. math:: \bar z_c = \frac1N \sum_{i=1}^N \log\frac{B_{i,c}}{1 - B_{i,c}}, \qquad
              \hat p_c = \frac{e^{\bar z_c}}{1 + e^{\bar z_c}}.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``AverageWAgg(type = "LOArMean")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    return log_odds_pool(b, g, n_groups, eps=EPS)


def probit_ar_mean(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""ProbitArMean: mean of the probits of the best estimates, mapped back.

    Best estimates of exactly 0 or 1 become ``EPS`` or ``1 - EPS`` (VGAM's
    ``probitlink(bvalue = .Machine$double.eps)``); with :math:`\Phi` the standard
    normal distribution function,

    .. math:: \hat p_c = \Phi\left(\frac1N \sum_{i=1}^N \Phi^{-1}(B_{i,c})\right).

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``AverageWAgg(type = "ProbitArMean")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    return probit_pool(b, g, n_groups, eps=EPS)


def beta_ar_mean(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
    alpha: float = 6.0,
    beta: float = 6.0,
) -> NDArray[np.float64]:
    r"""BetaArMean: the mean best estimate, extremized through a beta distribution function.

    With :math:`H_{\alpha\beta}` the distribution function of Beta(:math:`\alpha`,
    :math:`\beta`) (R's ``pbeta``; aggreCAT's defaults :math:`\alpha = \beta = 6`),

    .. math:: \hat p_c = H_{\alpha\beta}\left(\frac1N \sum_{i=1}^N B_{i,c}\right).

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.
    alpha, beta : float, default 6
        Shape parameters, positive.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`, or if a shape parameter is not a positive finite number.

    References
    ----------
    aggreCAT ``ExtremisationWAgg(type = "BetaArMean")``; V. A. Satopää, R. Pemantle and
    L. H. Ungar, "Modeling probability forecasts via information diversity", *Journal
    of the American Statistical Association* 111(516), 1623-1633, 2016 (beta-transformed
    linear pool).
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    for name, shape in (("alpha", alpha), ("beta", beta)):
        if not (np.isfinite(shape) and shape > 0):
            raise ValueError(f"{name} must be a positive finite number, got {shape}")
    pooled: NDArray[np.float64] = special.betainc(
        float(alpha), float(beta), linear_pool(b, g, n_groups)
    )
    return pooled


# Weights from the intervals (aggreCAT's IntervalWAgg) ####################################


def int_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""IntWAgg: best estimates weighted by the inverse width of their intervals.

    .. math:: w_{i,c} = \frac{1}{U_{i,c} - L_{i,c}}, \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c},

    a width of 0 counting as ``EPS``.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``IntervalWAgg(type = "IntWAgg")`` and ``weight_interval``; Hanea et al.,
    *PLoS ONE* 16(9), e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    return _weighted(b, g, n_groups, 1.0 / _width(low, up))


def ind_int_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""IndIntWAgg: inverse interval width relative to the expert's widest interval.

    .. math:: w_{i,c} = \frac{1}{(U_{i,c} - L_{i,c}) \,/\,
                                 \max_{d}(U_{i,d} - L_{i,d})}, \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c},

    the maximum running over every claim :math:`d` the expert judged in this call;
    widths (and maxima) of 0 count as ``EPS``.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : array_like of int, shape (n,)
        Id of the expert behind each judgment (required).
    round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`, or if ``experts`` is missing, not integers, or of another shape.

    References
    ----------
    aggreCAT ``IntervalWAgg(type = "IndIntWAgg")`` and ``weight_nIndivInterval``;
    Hanea et al., *PLoS ONE* 16(9), e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    e = _experts(experts, b.size, "IndIntWAgg")
    return _weighted(b, g, n_groups, _individual_interval_weights(low, up, e))


def asym_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""AsymWAgg: best estimates weighted by how asymmetric their intervals are.

    .. math:: w_{i,c} = \max\left(0, \begin{cases}
                  1 - 2\,\frac{U_{i,c} - B_{i,c}}{U_{i,c} - L_{i,c}} &
                  B_{i,c} \ge L_{i,c} + \frac{U_{i,c} - L_{i,c}}{2} \\
                  1 - 2\,\frac{B_{i,c} - L_{i,c}}{U_{i,c} - L_{i,c}} & \text{otherwise}
              \end{cases}\right), \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c},

    a width of 0 counting as ``EPS``; a claim whose weights are all 0 gets equal weights.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``IntervalWAgg(type = "AsymWAgg")`` and ``weight_asym``; Hanea et al.,
    *PLoS ONE* 16(9), e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    return _weighted(b, g, n_groups, _equal_if_all_zero(_asymmetry(low, b, up), g, n_groups))


def var_ind_int_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""VarIndIntWAgg: weighted by the variance of the expert's interval widths across claims.

    .. math:: w_i = \operatorname{var}\{U_{i,d} - L_{i,d} : d = 1, \dots, C\}, \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i} B_{i,c},

    the sample variance (divisor :math:`C - 1`) over the claims the expert judged in
    this call, 0 for an expert with a single claim; widths of 0 count as ``EPS``; a
    claim whose weights are all 0 gets equal weights.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : array_like of int, shape (n,)
        Id of the expert behind each judgment (required).
    round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ind_int_wagg`.

    References
    ----------
    aggreCAT ``IntervalWAgg(type = "VarIndIntWAgg")`` and ``weight_varIndivInterval``;
    Hanea et al., *PLoS ONE* 16(9), e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    e = _experts(experts, b.size, "VarIndIntWAgg")
    w = _equal_if_all_zero(_width_variance(low, up, e), g, n_groups)
    return _weighted(b, g, n_groups, w)


def ind_int_asym_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""IndIntAsymWAgg: product of the IndIntWAgg and AsymWAgg weights.

    .. math:: w_{i,c} = \tilde w^{\text{IndInt}}_{i,c} \, \tilde w^{\text{Asym}}_{i,c},
              \qquad \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c},

    each factor normalized within the claim first (and replaced by equal weights if it
    is 0 for every expert on the claim).

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : array_like of int, shape (n,)
        Id of the expert behind each judgment (required).
    round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ind_int_wagg`.

    References
    ----------
    aggreCAT ``IntervalWAgg(type = "IndIntAsymWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    e = _experts(experts, b.size, "IndIntAsymWAgg")
    factors = (_individual_interval_weights(low, up, e), _asymmetry(low, b, up))
    return _weighted(b, g, n_groups, _product_of_shares(factors, g, n_groups))


def kitch_sink_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""KitchSinkWAgg: product of the IndIntWAgg, AsymWAgg and VarIndIntWAgg weights.

    .. math:: w_{i,c} = \tilde w^{\text{IndInt}}_{i,c} \, \tilde w^{\text{Asym}}_{i,c}
                        \, \tilde w^{\text{VarIndInt}}_{i}, \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c},

    each factor normalized within the claim first (and replaced by equal weights if it
    is 0 for every expert on the claim). NaN if the product is 0 for every expert.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : array_like of int, shape (n,)
        Id of the expert behind each judgment (required).
    round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ind_int_wagg`.

    References
    ----------
    aggreCAT ``IntervalWAgg(type = "KitchSinkWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    e = _experts(experts, b.size, "KitchSinkWAgg")
    factors = (
        _individual_interval_weights(low, up, e),
        _asymmetry(low, b, up),
        _width_variance(low, up, e),
    )
    return _weighted(b, g, n_groups, _product_of_shares(factors, g, n_groups))


# Weights from the best estimates (aggreCAT's LinearWAgg) ################################


def dist_limit_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""DistLimitWAgg: more weight to best estimates close to certainty (0 or 1).

    .. math:: w_{i,c} = \max(B_{i,c}, 1 - B_{i,c}), \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c}

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``LinearWAgg(type = "DistLimitWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    return _weighted(b, g, n_groups, np.maximum(b, 1.0 - b))


def out_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""OutWAgg: down-weights best estimates far from the claim's median.

    .. math:: d_{i,c} = \left(\operatorname{median}_j B_{j,c} - B_{i,c}\right)^2, \qquad
              w_{i,c} = 1 - \frac{d_{i,c}}{\max_j d_{j,c}}, \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c},

    a maximum of 0 counting as ``EPS``; a claim whose weights are all 0 gets equal
    weights.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``LinearWAgg(type = "OutWAgg")`` and ``weight_outlier``; Hanea et al.,
    *PLoS ONE* 16(9), e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    distance = (median_pool(b, g, n_groups)[g] - b) ** 2
    largest = np.zeros(n_groups)
    np.maximum.at(largest, g, distance)
    largest[largest == 0] = EPS
    w = _equal_if_all_zero(1.0 - distance / largest[g], g, n_groups)
    return _weighted(b, g, n_groups, w)


def gran_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""GranWAgg: weighted by how often the expert's best estimates are finer than 0.05.

    .. math:: w_i = \frac1C \sum_{d=1}^C \left\lceil \frac{B_{i,d}}{0.05} -
              \left\lfloor \frac{B_{i,d}}{0.05} + 4\,\mathrm{EPS} \right\rfloor \right\rceil,
              \qquad \hat p_c = \sum_{i=1}^N \tilde w_i B_{i,c},

    the share of the expert's best estimates (over the claims in this call) that are
    not multiples of 0.05; a share of 0 counts as ``EPS``. The ``4 EPS`` is aggreCAT's
    guard against ``floor(0.15 / 0.05) = 2``.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : array_like of int, shape (n,)
        Id of the expert behind each judgment (required).
    round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ind_int_wagg`.

    References
    ----------
    aggreCAT ``LinearWAgg(type = "GranWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    e = _experts(experts, b.size, "GranWAgg")
    steps = b / 0.05
    fine = np.ceil(steps - np.floor(steps + 4 * EPS))
    share = np.bincount(e, weights=fine) / np.bincount(e)
    share[share == 0] = EPS
    return _weighted(b, g, n_groups, share[e])


# Weights from the change between rounds (aggreCAT's ShiftingWAgg) #######################


def shift_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""ShiftWAgg: weighted by how far the expert's three points moved after discussion.

    With round-1 judgments :math:`L1, B1, U1`,

    .. math:: w_{i,c} = |B1_{i,c} - B_{i,c}| + \frac{|L1_{i,c} - L_{i,c}|
                        + |U1_{i,c} - U_{i,c}|}{2}, \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c};

    a claim on which nobody moved gets equal weights.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : optional
        Not used; accepted so that every method has the same signature.
    round1 : (lower1, best1, upper1), each array_like of float, shape (n,)
        The same experts' round-1 judgments on the same claims (required).

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`, for the round-1 judgments too, or if ``round1`` is missing.

    References
    ----------
    aggreCAT ``ShiftingWAgg(type = "ShiftWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    low1, b1, up1 = _round1(round1, b.size, "ShiftWAgg")
    moved = np.abs(b1 - b) + np.abs(low1 - low) / 2 + np.abs(up1 - up) / 2
    return _weighted(b, g, n_groups, _equal_if_all_zero(moved, g, n_groups))


def best_shift_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""BestShiftWAgg: weighted by the move of the best estimate relative to the room to move.

    .. math:: w_{i,c} = \begin{cases}
                  |B1_{i,c} - B_{i,c}| \,/\, B1_{i,c} &
                  B_{i,c} < B1_{i,c} \le 0.5 \text{ or } B1_{i,c} > B_{i,c} > 0.5
                  \text{ or } (B1_{i,c} > 0.5 \text{ and } B_{i,c} \le 0.5) \\
                  |B1_{i,c} - B_{i,c}| \,/\, (1 - B1_{i,c}) & \text{otherwise,}
              \end{cases}

    :math:`\hat p_c = \sum_i \tilde w_{i,c} B_{i,c}`; no move counts as 0 (also from
    :math:`B1 = 1`) and a claim on which nobody moved gets equal weights.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : optional
        Not used; accepted so that every method has the same signature.
    round1 : (lower1, best1, upper1), each array_like of float, shape (n,)
        The same experts' round-1 judgments on the same claims (required).

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`shift_wagg`.

    References
    ----------
    aggreCAT ``ShiftingWAgg(type = "BestShiftWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    _, b1, _ = _round1(round1, b.size, "BestShiftWAgg")
    toward_zero = ((b < b1) & (b1 <= 0.5)) | ((b1 > b) & (b > 0.5)) | ((b1 > 0.5) & (b <= 0.5))
    room = np.where(toward_zero, b1, 1.0 - b1)
    move = np.abs(b1 - b)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(move == 0, 0.0, move / room)
    return _weighted(b, g, n_groups, _equal_if_all_zero(w, g, n_groups))


def int_shift_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""IntShiftWAgg: more weight to experts whose intervals narrowed between rounds.

    .. math:: w_{i,c} = \frac{1}{(U_{i,c} - L_{i,c}) - (U1_{i,c} - L1_{i,c}) + 1}, \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c};

    NaN for a claim where an interval shrank from [0, 1] to a point (weight
    :math:`1/0`).

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : optional
        Not used; accepted so that every method has the same signature.
    round1 : (lower1, best1, upper1), each array_like of float, shape (n,)
        The same experts' round-1 judgments on the same claims (required).

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`shift_wagg`.

    References
    ----------
    aggreCAT ``ShiftingWAgg(type = "IntShiftWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    low1, _, up1 = _round1(round1, b.size, "IntShiftWAgg")
    return _weighted(b, g, n_groups, _narrowing(low, up, low1, up1))


def dist_shift_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""DistShiftWAgg: more weight to best estimates that moved toward 0 or 1.

    .. math:: w_{i,c} = 1 - \left(\min(B_{i,c}, 1 - B_{i,c})
                        - \min(B1_{i,c}, 1 - B1_{i,c})\right), \qquad
              \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c}

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : optional
        Not used; accepted so that every method has the same signature.
    round1 : (lower1, best1, upper1), each array_like of float, shape (n,)
        The same experts' round-1 judgments on the same claims (required).

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`shift_wagg`.

    References
    ----------
    aggreCAT ``ShiftingWAgg(type = "DistShiftWAgg")``; Hanea et al., *PLoS ONE* 16(9),
    e0256919, 2021.
    """
    _, b, _, g = _judgments(lower, best, upper, groups, n_groups)
    _, b1, _ = _round1(round1, b.size, "DistShiftWAgg")
    return _weighted(b, g, n_groups, _toward_certainty(b, b1))


def dist_int_shift_wagg(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""DistIntShiftWAgg: product of the IntShiftWAgg and DistShiftWAgg weights.

    .. math:: w_{i,c} = \tilde w^{\text{IntShift}}_{i,c} \, \tilde w^{\text{DistShift}}_{i,c},
              \qquad \hat p_c = \sum_{i=1}^N \tilde w_{i,c} B_{i,c},

    each factor normalized within the claim first; NaN for a claim where an interval
    shrank from [0, 1] to a point (IntShiftWAgg weight :math:`1/0`).

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts : optional
        Not used; accepted so that every method has the same signature.
    round1 : (lower1, best1, upper1), each array_like of float, shape (n,)
        The same experts' round-1 judgments on the same claims (required).

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`shift_wagg`.

    References
    ----------
    aggreCAT ``ShiftingWAgg(type = "DistIntShiftWAgg")``; Hanea et al., *PLoS ONE*
    16(9), e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    low1, b1, up1 = _round1(round1, b.size, "DistIntShiftWAgg")
    factors = (_narrowing(low, up, low1, up1), _toward_certainty(b, b1))
    return _weighted(b, g, n_groups, _product_of_shares(factors, g, n_groups, guard=False))


# Averaged distributions (aggreCAT's DistributionWAgg) ###################################


def distrib_ar_mean(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""DistribArMean: median of the average of piecewise-uniform distributions.

    Each judgment is read as the 5 %, 50 % and 95 % quantiles of a distribution on
    [0, 1] spreading its mass uniformly between them:

    .. math:: F_i(x) = \begin{cases}
                 0.05\,x / L_i & 0 \le x < L_i \\
                 0.05 + 0.45\,(x - L_i)/(B_i - L_i) & L_i \le x < B_i \\
                 0.5 + 0.45\,(x - B_i)/(U_i - B_i) & B_i \le x < U_i \\
                 0.95 + 0.05\,(x - U_i)/(1 - U_i) & U_i \le x < 1 \\
                 1 & x \ge 1
              \end{cases}

    (a bound of 0 or 1 moved in by ``EPS``, as aggreCAT does), and the score is the
    median of their average,
    :math:`\hat p_c = \inf\{x : \frac1N \sum_i F_i(x) \ge \frac12\}`.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``DistributionWAgg(type = "DistribArMean")``; Hanea et al., *PLoS ONE*
    16(9), e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    return _average_distribution_median(_piecewise_uniform_cdf, *_moved_in(low, b, up), g, n_groups)


def tri_distrib_ar_mean(
    lower: ArrayLike,
    best: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    experts: ArrayLike | None = None,
    round1: Round1 | None = None,
) -> NDArray[np.float64]:
    r"""TriDistribArMean: median of the average of triangular distributions.

    Each judgment is read as a triangular distribution with support :math:`[L_i, U_i]`
    and mode :math:`B_i`:

    .. math:: F_i(x) = \begin{cases}
                 0 & x < L_i \\
                 \frac{(x - L_i)^2}{(U_i - L_i)(B_i - L_i)} & L_i \le x < B_i \\
                 1 - \frac{(U_i - x)^2}{(U_i - L_i)(U_i - B_i)} & B_i \le x < U_i \\
                 1 & x \ge U_i
              \end{cases}

    (a bound of 0 or 1 moved in by ``EPS``, as aggreCAT does), and the score is the
    median of their average,
    :math:`\hat p_c = \inf\{x : \frac1N \sum_i F_i(x) \ge \frac12\}`.

    Parameters
    ----------
    lower, best, upper : array_like of float, shape (n,)
        Round-2 three-point judgments, probabilities with ``lower <= best <= upper``.
    groups : array_like of int, shape (n,)
        Claim index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of claims.
    experts, round1 : optional
        Not used; accepted so that every method has the same signature.

    Returns
    -------
    ndarray, shape (n_groups,)
        Confidence score per claim, NaN for a claim without judgments.

    Raises
    ------
    ValueError
        As :func:`ar_mean`.

    References
    ----------
    aggreCAT ``DistributionWAgg(type = "TriDistribArMean")``; Hanea et al., *PLoS ONE*
    16(9), e0256919, 2021.
    """
    low, b, up, g = _judgments(lower, best, upper, groups, n_groups)
    return _average_distribution_median(_triangular_cdf, *_moved_in(low, b, up), g, n_groups)


# aggreCAT's names ######################################################################

ArMean = ar_mean
Median = median
GeoMean = geo_mean
LOArMean = lo_ar_mean
ProbitArMean = probit_ar_mean
BetaArMean = beta_ar_mean
IntWAgg = int_wagg
IndIntWAgg = ind_int_wagg
AsymWAgg = asym_wagg
VarIndIntWAgg = var_ind_int_wagg
IndIntAsymWAgg = ind_int_asym_wagg
KitchSinkWAgg = kitch_sink_wagg
DistLimitWAgg = dist_limit_wagg
OutWAgg = out_wagg
GranWAgg = gran_wagg
ShiftWAgg = shift_wagg
BestShiftWAgg = best_shift_wagg
IntShiftWAgg = int_shift_wagg
DistShiftWAgg = dist_shift_wagg
DistIntShiftWAgg = dist_int_shift_wagg
DistribArMean = distrib_ar_mean
TriDistribArMean = tri_distrib_ar_mean

METHODS: dict[str, Callable[..., NDArray[np.float64]]] = {
    "ArMean": ar_mean,
    "Median": median,
    "GeoMean": geo_mean,
    "LOArMean": lo_ar_mean,
    "ProbitArMean": probit_ar_mean,
    "BetaArMean": beta_ar_mean,
    "IntWAgg": int_wagg,
    "IndIntWAgg": ind_int_wagg,
    "AsymWAgg": asym_wagg,
    "VarIndIntWAgg": var_ind_int_wagg,
    "IndIntAsymWAgg": ind_int_asym_wagg,
    "KitchSinkWAgg": kitch_sink_wagg,
    "DistLimitWAgg": dist_limit_wagg,
    "OutWAgg": out_wagg,
    "GranWAgg": gran_wagg,
    "ShiftWAgg": shift_wagg,
    "BestShiftWAgg": best_shift_wagg,
    "IntShiftWAgg": int_shift_wagg,
    "DistShiftWAgg": dist_shift_wagg,
    "DistIntShiftWAgg": dist_int_shift_wagg,
    "DistribArMean": distrib_ar_mean,
    "TriDistribArMean": tri_distrib_ar_mean,
}
"""Every method by aggreCAT name, each callable as
``method(lower, best, upper, groups, n_groups, experts=..., round1=...)``."""

NEEDS_EXPERTS = frozenset(
    {"IndIntWAgg", "VarIndIntWAgg", "IndIntAsymWAgg", "KitchSinkWAgg", "GranWAgg"}
)
"""Methods that need ``experts``."""

NEEDS_ROUND1 = frozenset(
    {"ShiftWAgg", "BestShiftWAgg", "IntShiftWAgg", "DistShiftWAgg", "DistIntShiftWAgg"}
)
"""Methods that need ``round1``."""


# Checking input #########################################################################


def _checked(x: ArrayLike, name: str, n: int | None) -> NDArray[np.float64]:
    a = np.asarray(x, dtype=float)
    if n is None:
        if a.ndim != 1:
            raise ValueError(f"{name} must be a 1-d array, got shape {a.shape}")
    elif a.shape != (n,):
        raise ValueError(f"{name} must have the shape of best, ({n},), got {a.shape}")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] is {a[bad[0]]}, not a finite number")
    outside = np.flatnonzero((a < 0) | (a > 1))
    if outside.size:
        raise ValueError(f"{name}[{outside[0]}] is {a[outside[0]]}, outside [0, 1]")
    return a


def _ordered(
    low: NDArray[np.float64], b: NDArray[np.float64], up: NDArray[np.float64], suffix: str = ""
) -> None:
    above = np.flatnonzero(low > b)
    if above.size:
        i = above[0]
        raise ValueError(f"lower{suffix}[{i}] is {low[i]}, above best{suffix}[{i}] = {b[i]}")
    below = np.flatnonzero(up < b)
    if below.size:
        i = below[0]
        raise ValueError(f"upper{suffix}[{i}] is {up[i]}, below best{suffix}[{i}] = {b[i]}")


def _judgments(
    lower: ArrayLike, best: ArrayLike, upper: ArrayLike, groups: ArrayLike, n_groups: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    b = _checked(best, "best", None)
    low = _checked(lower, "lower", b.size)
    up = _checked(upper, "upper", b.size)
    _ordered(low, b, up)
    _, g = grouped_input(b, groups, n_groups)
    return low, b, up, g


def _experts(experts: ArrayLike | None, n: int, method: str) -> NDArray[np.intp]:
    if experts is None:
        raise ValueError(f"{method} needs experts: the id of the expert behind each judgment")
    e = np.asarray(experts)
    if e.shape != (n,):
        raise ValueError(f"experts must have the shape of best, ({n},), got {e.shape}")
    if n and not np.issubdtype(e.dtype, np.integer):
        raise ValueError(f"experts must be integers, got dtype {e.dtype}")
    return np.unique(e, return_inverse=True)[1].reshape(n)


def _round1(
    round1: Round1 | None, n: int, method: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    if round1 is None:
        raise ValueError(f"{method} needs round1=(lower1, best1, upper1): the round-1 judgments")
    if len(round1) != 3:
        raise ValueError(f"round1 must be (lower1, best1, upper1), got {len(round1)} arrays")
    names = ("lower1", "best1", "upper1")
    low1, b1, up1 = (_checked(x, name, n) for x, name in zip(round1, names, strict=True))
    _ordered(low1, b1, up1, suffix="1")
    return low1, b1, up1


# Weights ################################################################################


def _weighted(
    b: NDArray[np.float64], g: NDArray[np.intp], n_groups: int, w: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Sum of normalized weights times best estimates; NaN if a claim's weights are 0 or inf."""
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.bincount(g, weights=w * b, minlength=n_groups)
        size = np.bincount(g, weights=w, minlength=n_groups)
        return np.clip(total / size, 0.0, 1.0)


def _equal_if_all_zero(
    w: NDArray[np.float64], g: NDArray[np.intp], n_groups: int
) -> NDArray[np.float64]:
    nonzero = np.bincount(g, weights=(w != 0).astype(float), minlength=n_groups)
    return np.where(nonzero[g] == 0, 1.0, w)


def _share(w: NDArray[np.float64], g: NDArray[np.intp], n_groups: int) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / np.bincount(g, weights=w, minlength=n_groups)[g]


def _product_of_shares(
    factors: Sequence[NDArray[np.float64]],
    g: NDArray[np.intp],
    n_groups: int,
    *,
    guard: bool = True,
) -> NDArray[np.float64]:
    product = np.ones(g.size)
    for w in factors:  # two or three weighting schemes, not judgments
        product *= _share(_equal_if_all_zero(w, g, n_groups) if guard else w, g, n_groups)
    return product


def _width(low: NDArray[np.float64], up: NDArray[np.float64]) -> NDArray[np.float64]:
    width = up - low
    return np.where(width == 0, EPS, width)


def _individual_interval_weights(
    low: NDArray[np.float64], up: NDArray[np.float64], e: NDArray[np.intp]
) -> NDArray[np.float64]:
    widest = np.zeros(e.max() + 1 if e.size else 0)
    np.maximum.at(widest, e, up - low)
    widest[widest == 0] = EPS
    return 1.0 / (_width(low, up) / widest[e])


def _asymmetry(
    low: NDArray[np.float64], b: NDArray[np.float64], up: NDArray[np.float64]
) -> NDArray[np.float64]:
    width = _width(low, up)
    upper_half = b >= width / 2 + low
    w = np.where(upper_half, 1 - 2 * (up - b) / width, 1 - 2 * (b - low) / width)
    return np.maximum(w, 0.0)


def _width_variance(
    low: NDArray[np.float64], up: NDArray[np.float64], e: NDArray[np.intp]
) -> NDArray[np.float64]:
    width = _width(low, up)
    count = np.bincount(e)
    mean = np.bincount(e, weights=width) / count
    squares = np.bincount(e, weights=(width - mean[e]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.where(count > 1, squares / (count - 1), 0.0)
    return variance[e]


def _narrowing(
    low: NDArray[np.float64],
    up: NDArray[np.float64],
    low1: NDArray[np.float64],
    up1: NDArray[np.float64],
) -> NDArray[np.float64]:
    with np.errstate(divide="ignore"):
        return 1.0 / ((up - low) - (up1 - low1) + 1.0)


def _toward_certainty(b: NDArray[np.float64], b1: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 - (np.minimum(b, 1.0 - b) - np.minimum(b1, 1.0 - b1))


# Averaged distributions #################################################################


def _moved_in(
    low: NDArray[np.float64], b: NDArray[np.float64], up: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Move bounds of 1 and 0 in by EPS, as aggreCAT's DistributionWAgg preprocessing does."""
    up = np.where(up == 1, 1.0 - EPS, up)
    low = np.where(low == 0, EPS, low)
    up = np.where(up < b, b, up)
    low = np.where(low > b, b, low)
    return low, b, up


def _piecewise_uniform_cdf(
    x: NDArray[np.float64],
    low: NDArray[np.float64],
    b: NDArray[np.float64],
    up: NDArray[np.float64],
) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.ones_like(x)
        f = np.where(x < 1, 0.05 / (1 - up) * (x - up) + 0.95, f)
        f = np.where(x < up, 0.45 / (up - b) * (x - b) + 0.5, f)
        f = np.where(x < b, 0.45 / (b - low) * (x - low) + 0.05, f)
        f = np.where(x < low, 0.05 / low * x, f)
        return np.where(x < 0, 0.0, f)


def _triangular_cdf(
    x: NDArray[np.float64],
    low: NDArray[np.float64],
    b: NDArray[np.float64],
    up: NDArray[np.float64],
) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.ones_like(x)
        f = np.where(x < up, 1 - (up - x) ** 2 / ((up - low) * (up - b)), f)
        f = np.where(x < b, (x - low) ** 2 / ((up - low) * (b - low)), f)
        return np.where(x < low, 0.0, f)


def _average_distribution_median(
    cdf: Callable[
        [NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
        NDArray[np.float64],
    ],
    low: NDArray[np.float64],
    b: NDArray[np.float64],
    up: NDArray[np.float64],
    g: NDArray[np.intp],
    n_groups: int,
) -> NDArray[np.float64]:
    """Smallest x in [0, 1] with mean_i F_i(x) >= 1/2 per claim, by bisection."""
    counts = np.bincount(g, minlength=n_groups)

    def short(x: NDArray[np.float64]) -> NDArray[np.bool_]:
        mass = np.bincount(g, weights=cdf(x[g], low, b, up), minlength=n_groups)
        return mass < 0.5 * counts

    left, right = np.zeros(n_groups), np.ones(n_groups)
    for _ in range(_BISECTIONS):  # halvings of the interval, all claims at once
        middle = 0.5 * (left + right)
        below = short(middle)
        left = np.where(below, middle, left)
        right = np.where(below, right, middle)
    right = np.where(short(np.zeros(n_groups)), right, 0.0)
    return np.where(counts > 0, right, np.nan)
