"""Fitting, pooling and averaging quantity judgments: SHELF's examples, SciPy, hand values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, special, stats

from elicit.core.distributions import (
    FAMILIES,
    PARAMETER_NAMES,
    _interp_rows,
    distribution_cdf,
    distribution_quantile,
    fit_quantiles,
    linear_pool_cdf,
    linear_pool_quantiles,
    piecewise_linear_cdf,
    piecewise_linear_pdf,
    piecewise_linear_quantile,
    vincentize,
)

CODE = {name: i for i, name in enumerate(FAMILIES)}
NOT_SKEW = [f for f in FAMILIES if f != "skewnormal"]


# ---------------------------------------------------------------- per-row reference

SLANTS = np.array([-20.0, -10.0, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 10, 20])
TIGHT = {"xatol": 1e-10, "fatol": 1e-15, "maxiter": 20000, "maxfev": 20000}


def _reference_cdf(name, theta, x, lower, upper, tdf):
    """SHELF's error functions' CDFs, in SHELF's (log-scale) parameterisation."""
    if name == "normal":
        return stats.norm.cdf(x, theta[0], np.exp(theta[1]))
    if name == "t":
        return stats.t.cdf((x - theta[0]) / np.exp(theta[1]), tdf)
    if name == "skewnormal":
        return stats.skewnorm.cdf(x, theta[2], theta[0], np.exp(theta[1]))
    if name == "gamma":
        return stats.gamma.cdf(x - lower, np.exp(theta[0]), scale=np.exp(-theta[1]))
    if name == "lognormal":
        return stats.norm.cdf(np.log(x - lower), theta[0], np.exp(theta[1]))
    if name == "logt":
        return stats.t.cdf((np.log(x - lower) - theta[0]) / np.exp(theta[1]), tdf)
    if name == "beta":
        return stats.beta.cdf((x - lower) / (upper - lower), np.exp(theta[0]), np.exp(theta[1]))
    # SHELF fits G(U - x) to 1 - p: the same squared errors as 1 - G(U - x) to p.
    y = upper - x
    if name == "mirrorgamma":
        return stats.gamma.sf(y, np.exp(theta[0]), scale=np.exp(-theta[1]))
    if name == "mirrorlognormal":
        return stats.norm.sf(np.log(y), theta[0], np.exp(theta[1]))
    return stats.t.sf((np.log(y) - theta[0]) / np.exp(theta[1]), tdf)


def scipy_reference_fit(values, levels, lower, upper, family, tdf=3.0, options=None):
    """SHELF ``fitdist`` for one judgment and one family: one scipy Nelder-Mead per fit.

    A row-by-row transcription of SHELF's objective, starting values and
    two-stage skew-normal fit, with ``scipy.optimize.minimize`` in place of R's
    ``optim`` (both Nelder-Mead). Returns the sum of squared CDF errors.
    """
    x, p = np.asarray(values, float), np.asarray(levels, float)
    options = TIGHT if options is None else options

    def objective(theta, name=family):
        with np.errstate(all="ignore"):
            r = _reference_cdf(name, theta, x, lower, upper, tdf) - p
        s = float(np.sum(r * r))
        return s if np.isfinite(s) else np.inf

    def minimise(fun, start):
        return optimize.minimize(fun, start, method="Nelder-Mead", options=options)

    z_min, z_max = special.ndtri(p[0]), special.ndtri(p[-1])
    m = (x[0] * z_max - x[-1] * z_min) / (z_max - z_min)
    v = ((x[-1] - x[0]) / (z_max - z_min)) ** 2
    q40, q60 = np.interp([0.4, 0.6], p, x)
    if family in ("normal", "t"):
        start = [m, 0.5 * np.log(v)]
    elif family == "skewnormal":
        normal = minimise(lambda th: objective(th, "normal"), [m, 0.5 * np.log(v)]).x
        delta = SLANTS / np.sqrt(1 + SLANTS**2)
        omega = np.exp(normal[1]) / np.sqrt(1 - 2 * delta**2 / np.pi)
        xi = normal[0] - omega * delta * np.sqrt(2 / np.pi)
        grid = [
            minimise(lambda th, a=a: objective(np.r_[th, a]), [xi[j], np.log(omega[j])]).fun
            for j, a in enumerate(SLANTS)
        ]
        j = int(np.argmin(grid))
        start = [xi[j], np.log(omega[j]), SLANTS[j]]
    elif family in ("gamma", "lognormal", "logt"):
        shifted = m - lower
        std = (np.log(q60 - lower) - np.log(q40 - lower)) / 1.35
        if family == "gamma":
            start = [np.log(shifted**2 / v), np.log(shifted / v)]
        elif family == "lognormal":
            mlog = (np.log(x[0] - lower) * z_max - np.log(x[-1] - lower) * z_min) / (z_max - z_min)
            start = [mlog, np.log(std)]
        else:
            start = [np.log(shifted), np.log(std)]
    elif family == "beta":
        width = upper - lower
        m2, v2 = (m - lower) / width, v / width**2
        alp = abs(m2**3 / v2 * (1 / m2 - 1) - m2)
        start = [np.log(alp), np.log(abs(alp / m2 - alp))]
    else:
        mirrored = upper - m
        std = (np.log(upper - q40) - np.log(upper - q60)) / 1.35
        if family == "mirrorgamma":
            start = [np.log(mirrored**2 / v), np.log(mirrored / v)]
        elif family == "mirrorlognormal":
            mlog = (np.log(upper - x[-1]) * (1 - z_min) - np.log(upper - x[0]) * (1 - z_max)) / (
                z_max - z_min
            )
            start = [mlog, np.log(std)]
        else:
            start = [np.log(mirrored), np.log(std)]
    return float(minimise(objective, start).fun)


# ------------------------------------------------------------------ round trips


LEVELS5 = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
LEVELS3 = np.array([0.05, 0.5, 0.95])
TRUE = {
    # family: (frozen scipy distribution of X, SHELF parameters), with L = 10, U = 90
    "normal": (stats.norm(40, 8), [40, 8]),
    "t": (stats.t(3, 40, 6), [40, 6, 3]),
    "skewnormal": (stats.skewnorm(4, 30, 15), [30, 15, 4]),
    "gamma": (stats.gamma(3, loc=10, scale=1 / 0.2), [3, 0.2]),
    "lognormal": (stats.lognorm(0.5, loc=10, scale=np.exp(3)), [3, 0.5]),
    "logt": (None, [3, 0.4, 3]),
    "beta": (stats.beta(2, 5, loc=10, scale=80), [2, 5]),
    "mirrorgamma": (None, [3, 0.2]),
    "mirrorlognormal": (None, [3, 0.5]),
    "mirrorlogt": (None, [3, 0.4, 3]),
}


def true_quantiles(family, levels, lower=10.0, upper=90.0):
    dist, prm = TRUE[family]
    if dist is not None:
        return dist.ppf(levels)
    if family == "logt":
        return lower + np.exp(prm[0] + prm[1] * stats.t.ppf(levels, 3))
    if family == "mirrorgamma":
        return upper - stats.gamma.ppf(1 - levels, prm[0], scale=1 / prm[1])
    if family == "mirrorlognormal":
        return upper - np.exp(prm[0] + prm[1] * stats.norm.ppf(1 - levels))
    return upper - np.exp(prm[0] + prm[1] * stats.t.ppf(1 - levels, 3))


@pytest.mark.parametrize("levels", [LEVELS3, LEVELS5], ids=["3 levels", "5 levels"])
def test_round_trip_recovers_every_family(levels):
    values = np.array([true_quantiles(f, levels) for f in FAMILIES])
    fit = fit_quantiles(values, levels, 10.0, 90.0)
    for i, family in enumerate(FAMILIES):
        assert fit.ssq[i, i] < 1e-24, family
        assert_allclose(fit.parameters(family)[i], TRUE[family][1], rtol=1e-7, err_msg=family)
    if levels.size == 5:  # four or more quantiles: only the true family fits exactly
        assert fit.best_family.tolist() == list(FAMILIES)


@pytest.mark.parametrize("slant", [-8.0, -3.0, -1.0, -0.5, 0.5, 2.0, 8.0])
def test_skewnormal_round_trip_over_slants(slant):
    # Near slant 0 (|slant| < ~0.25) the slant is barely identifiable from
    # three quantiles: the slant's and the location's effects on the CDF are
    # parallel there. Away from it the parameters come back tightly.
    values = stats.skewnorm(slant, 12.0, 3.0).ppf(LEVELS3)
    fit = fit_quantiles([values], LEVELS3, families=["skewnormal"])
    assert_allclose(fit.parameters("skewnormal")[0], [12.0, 3.0, slant], rtol=1e-9)


def test_skewnormal_of_normal_quantiles_is_the_normal():
    fit = fit_quantiles([stats.norm(12.0, 3.0).ppf(LEVELS3)], LEVELS3, families=["skewnormal"])
    assert fit.ssq[0, CODE["skewnormal"]] < 1e-24
    assert_allclose(fit.parameters("skewnormal")[0], [12.0, 3.0, 0.0], atol=1e-12)


def test_round_trip_is_independent_of_units():
    # Same normal judgment in units of 1e-6 and 1e6: the fit scales with it.
    base = stats.norm(3, 2).ppf(LEVELS5)
    for unit in (1e-6, 1.0, 1e6):
        fit = fit_quantiles([base * unit + 5 * unit], LEVELS5, families=["normal", "t"])
        assert_allclose(fit.parameters("normal")[0], [8 * unit, 2 * unit], rtol=1e-9)
        assert fit.ssq[0, CODE["normal"]] < 1e-24


def test_rows_are_fitted_independently_of_the_batch():
    rng = np.random.default_rng(3)
    med = rng.uniform(20, 80, 12)
    values = np.column_stack([med - rng.uniform(1, 19, 12), med, med + rng.uniform(1, 19, 12)])
    batch = fit_quantiles(values, LEVELS3, 0.0, 100.0)
    for i in (0, 5, 11):
        alone = fit_quantiles(values[i : i + 1], LEVELS3, 0.0, 100.0)
        assert_allclose(alone.ssq[0], batch.ssq[i], rtol=1e-6, atol=1e-15)
        assert alone.best[0] == batch.best[i]


def test_levels_and_bounds_may_differ_per_judgment():
    levels = np.array([[0.1, 0.5, 0.9], [0.25, 0.5, 0.75]])
    values = np.array([stats.gamma(4, loc=-5).ppf(levels[0]), 2 + stats.gamma(4).ppf(levels[1])])
    fit = fit_quantiles(values, levels, lower=[-5.0, 2.0], families=["gamma"])
    assert_allclose(fit.parameters("gamma"), [[4, 1], [4, 1]], rtol=1e-7)
    assert np.isnan(fit.ssq[:, CODE["beta"]]).all()  # no upper bound: no beta
    assert (fit.best_family == "gamma").all()


def test_point_weights_of_zero_drop_a_quantile():
    values = np.array([[20.0, 30.0, 40.0, 50.0]])
    levels = [0.1, 0.5, 0.6, 0.9]
    weighted = fit_quantiles(values, levels, point_weights=[1, 1, 0, 1], families=["normal"])
    dropped = fit_quantiles(values[:, [0, 1, 3]], [0.1, 0.5, 0.9], families=["normal"])
    assert_allclose(weighted.parameters("normal"), dropped.parameters("normal"), rtol=1e-8)
    assert_allclose(weighted.ssq[0, 0], dropped.ssq[0, 0], atol=1e-14)


def test_families_need_their_bounds_and_skewnormal_three_quantiles():
    values = np.array([[20.0, 30.0, 50.0]])
    unbounded = fit_quantiles(values, [0.25, 0.5, 0.75])
    assert np.isfinite(unbounded.ssq[0, :3]).all() and np.isnan(unbounded.ssq[0, 3:]).all()
    upper_only = fit_quantiles(values, [0.25, 0.5, 0.75], upper=100)
    fitted = set(np.asarray(FAMILIES)[np.isfinite(upper_only.ssq[0])])
    assert fitted == {"normal", "t", "skewnormal", "mirrorgamma", "mirrorlognormal", "mirrorlogt"}
    two = fit_quantiles(values[:, [0, 2]], [0.25, 0.75], 0, 100)
    assert np.isnan(two.ssq[0, CODE["skewnormal"]]) and np.isfinite(two.ssq[0]).sum() == 9


def test_best_fitting_is_smallest_sum_of_squares_with_ties_to_the_earlier_family():
    rng = np.random.default_rng(11)
    med = rng.uniform(20, 80, 40)
    values = np.column_stack([med - rng.uniform(1, 19, 40), med, med + rng.uniform(1, 19, 40)])
    fit = fit_quantiles(values, LEVELS3, 0.0, 100.0)
    assert_allclose(fit.ssq[np.arange(40), fit.best], np.nanmin(fit.ssq, axis=1), atol=1e-12)
    no_logt = fit_quantiles(values, LEVELS3, 0.0, 100.0, exclude_logt=True)
    assert not np.isin(no_logt.best_family, ["logt", "mirrorlogt"]).any()
    assert np.isfinite(no_logt.ssq[:, CODE["logt"]]).all()  # still fitted
    # A normal judgment: normal and skew-normal (slant 0) both fit exactly; normal comes first.
    exact = fit_quantiles([stats.norm(50, 10).ppf(LEVELS3)], LEVELS3, 0, 100)
    assert exact.best_family[0] == "normal"


def test_distributions_gives_best_or_chosen_family_rows():
    values = np.array([true_quantiles(f, LEVELS5) for f in ("gamma", "beta")])
    fit = fit_quantiles(values, LEVELS5, 10.0, 90.0)
    codes, params, lower, upper = fit.distributions()
    assert codes.tolist() == [CODE["gamma"], CODE["beta"]]
    assert_allclose(params[:, :2], [[3, 0.2], [2, 5]], rtol=1e-7)
    codes, params, _, _ = fit.distributions("normal")
    assert (codes == 0).all() and np.isnan(params[:, 2]).all()
    assert fit.parameters("t").shape == (2, 3)
    assert PARAMETER_NAMES["beta"] == ("shape1", "shape2")


# ------------------------------------------------------------- SHELF's own examples
# From SHELF's tests (OakleyJ/SHELF, tests/testthat/test-fitting.R and
# test-linearpool.R). Those tests predate the skew-normal, which fits any three
# quantiles of mild skew exactly; where SHELF expects another best family from
# three quantiles, the skew-normal is left out as it was then.


def test_shelf_normal_example():
    vals = np.array([10 - 20, 10, 10 + 40])
    fit = fit_quantiles([vals], stats.norm.cdf(vals, 10, 20))
    assert_allclose(fit.parameters("normal")[0], [10, 20], rtol=1e-8)
    assert fit.best_family[0] == "normal"


def test_shelf_student_t_example():
    vals = np.array([-10.0, 10.0, 50.0])
    fit = fit_quantiles([vals], stats.t.cdf((vals - 10) / 20, 4), tdf=4)
    assert_allclose(fit.parameters("t")[0], [10, 20, 4], rtol=1e-8)
    assert fit.best_family[0] == "t"


@pytest.mark.parametrize(
    ("family", "vals", "probs", "lower", "upper", "tdf", "expected"),
    [
        ("logt", [22, 30, 42], "logt", 0, np.inf, 5, [np.log(30), 0.5, 5]),
        ("lognormal", [22, 30, 42], "lognormal", 0, np.inf, 3, [np.log(30), 0.5]),
        ("beta", [18, 20, 24], "beta", 10, 60, 3, [5, 20]),
        ("gamma", [32, 35, 37], "gamma", 10, np.inf, 3, [50, 2]),
    ],
)
def test_shelf_bounded_examples(family, vals, probs, lower, upper, tdf, expected):
    vals = np.array(vals, float)
    cdfs = {
        "logt": lambda v: stats.t.cdf((np.log(v) - np.log(30)) / 0.5, 5),
        "lognormal": lambda v: stats.lognorm.cdf(v, 0.5, scale=30),
        "beta": lambda v: stats.beta.cdf((v - 10) / 50, 5, 20),
        "gamma": lambda v: stats.gamma.cdf(v - 10, 50, scale=0.5),
    }
    fit = fit_quantiles([vals], cdfs[probs](vals), lower, upper, tdf=tdf, families=NOT_SKEW)
    assert_allclose(fit.parameters(family)[0], expected, rtol=1e-7)
    assert fit.best_family[0] == family


def test_shelf_shifted_lognormal_example_four_quantiles():
    vals = np.array([-6.0, -2.0, 2.0, 6.0])
    fit = fit_quantiles([vals], stats.lognorm.cdf(vals + 10, 0.5, scale=np.exp(2)), lower=-10)
    assert_allclose(fit.parameters("lognormal")[0], [2, 0.5], rtol=1e-8)
    assert fit.best_family[0] == "lognormal"  # four quantiles: skew-normal no longer exact


def test_shelf_linear_pool_example():
    p = np.array([0.25, 0.5, 0.75])
    v = np.array(
        [
            stats.gamma.ppf(p, 10, scale=1 / 4),
            stats.norm.ppf(p, 3, 2),
            stats.lognorm.ppf(p, 2, scale=3),
        ]
    )
    fit = fit_quantiles(v, p, lower=0)
    codes = np.array([CODE["gamma"], CODE["normal"], CODE["lognormal"]])
    params = fit.params[np.arange(3), codes]
    w = [1 / 6, 2 / 6, 3 / 6]
    groups = np.zeros(3, dtype=int)

    def truth(x):
        return (
            w[0] * stats.gamma.cdf(x, 10, scale=1 / 4)
            + w[1] * stats.norm.cdf(x, 3, 2)
            + w[2] * stats.lognorm.cdf(x, 2, scale=3)
        )

    qlp = linear_pool_quantiles([0.95], codes, params, fit.lower, fit.upper, groups, 1, w)
    assert_allclose(truth(qlp[0, 0]), 0.95, atol=1e-9)
    plp = linear_pool_cdf([1.5], codes, params, fit.lower, fit.upper, groups, 1, w)
    assert_allclose(plp[0, 0], truth(1.5), atol=1e-9)


def test_shelf_linear_pool_example_with_different_lower_limits():
    limits = np.array([-2.0, 1.0, -4.0])
    p = np.array([0.25, 0.5, 0.6, 0.75])
    v = np.array(
        [
            limits[0] + stats.gamma.ppf(p, 10, scale=1 / 4),
            limits[1] + stats.lognorm.ppf(p, 2, scale=3),
            limits[2] + np.exp(1 + 2 * stats.t.ppf(p, 3)),
        ]
    )
    fit = fit_quantiles(v, p, lower=limits)
    assert fit.best_family.tolist() == ["gamma", "lognormal", "logt"]
    w = [1 / 6, 2 / 6, 3 / 6]

    def truth(x):
        return (
            w[0] * stats.gamma.cdf(x - limits[0], 10, scale=1 / 4)
            + w[1] * stats.lognorm.cdf(x - limits[1], 2, scale=3)
            + w[2] * stats.t.cdf((np.log(x - limits[2]) - 1) / 2, 3)
        )

    groups = np.zeros(3, dtype=int)
    qlp = linear_pool_quantiles([0.03], *fit.distributions(), groups, 1, w)
    assert_allclose(truth(qlp[0, 0]), 0.03, atol=1e-9)
    assert_allclose(linear_pool_cdf([3.0], *fit.distributions(), groups, 1, w)[0, 0], truth(3.0))


def test_shelf_feedback_example_for_multiple_experts():
    p = np.array([0.33, 0.5, 0.66, 0.75])
    dists = [stats.gamma(5, scale=1 / 5), stats.norm(10, 2), stats.lognorm(2, scale=10)]
    fit = fit_quantiles(np.array([d.ppf(p) for d in dists]), p, lower=0)
    codes, params, lower, upper = fit.distributions()
    assert fit.best_family.tolist() == ["gamma", "normal", "lognormal"]
    q = distribution_quantile(np.tile([0.1, 0.9], (3, 1)), codes, params, lower, upper)
    assert_allclose(q, [d.ppf([0.1, 0.9]) for d in dists], rtol=1e-7)
    probs = distribution_cdf(np.tile([1.0, 2.0], (3, 1)), codes, params, lower, upper)
    assert_allclose(probs, [d.cdf([1.0, 2.0]) for d in dists], atol=1e-9)


# --------------------------------------------------- against a per-row SciPy fit

HARD = np.array([[4.8, 87.3, 91.0], [5.7, 87.1, 88.8], [14.6, 43.9, 95.9], [9.3, 10.2, 87.5]])


@pytest.fixture(scope="module")
def compared():
    rng = np.random.default_rng(7)
    med = rng.uniform(10, 90, 4)
    easy = np.column_stack(
        [
            med - rng.uniform(0.05, 0.95, 4) * med,
            med,
            med + rng.uniform(0.05, 0.95, 4) * (100 - med),
        ]
    )
    values = np.round(np.vstack([easy, HARD]), 1)
    return values, fit_quantiles(values, LEVELS3, 0.0, 100.0)


@pytest.mark.parametrize("family", FAMILIES)
def test_errors_are_no_larger_than_a_per_row_scipy_fit(compared, family):
    values, fit = compared
    reference = [scipy_reference_fit(row, LEVELS3, 0.0, 100.0, family) for row in values]
    assert np.all(fit.ssq[:, CODE[family]] <= np.array(reference) + 1e-12)


# ------------------------------------------------------------ distribution functions


def true_cdf(family, x, lower=10.0, upper=90.0):
    dist, prm = TRUE[family]
    if dist is not None:
        return dist.cdf(x)
    if family == "logt":
        return stats.t.cdf((np.log(x - lower) - prm[0]) / prm[1], 3)
    if family == "mirrorgamma":
        return stats.gamma.sf(upper - x, prm[0], scale=1 / prm[1])
    if family == "mirrorlognormal":
        return stats.lognorm.sf(upper - x, prm[1], scale=np.exp(prm[0]))
    return stats.t.sf((np.log(upper - x) - prm[0]) / prm[1], 3)


def test_distribution_cdf_and_quantile_match_scipy_for_every_family():
    x = np.linspace(11, 89, 7)
    levels = np.array([0.001, 0.05, 0.5, 0.95, 0.999])
    params = np.array([TRUE[f][1] + [np.nan] * (3 - len(TRUE[f][1])) for f in FAMILIES])
    got = distribution_cdf(np.tile(x, (10, 1)), list(FAMILIES), params, 10.0, 90.0)
    inv = distribution_quantile(np.tile(levels, (10, 1)), np.arange(10), params, 10.0, 90.0)
    for i, family in enumerate(FAMILIES):
        assert_allclose(got[i], true_cdf(family, x), rtol=1e-12, atol=1e-15, err_msg=family)
        assert_allclose(inv[i], true_quantiles(family, levels), rtol=1e-10, err_msg=family)


def test_distribution_cdf_outside_the_support():
    params = np.array([[3, 0.2, np.nan], [2, 5, np.nan], [3, 0.5, np.nan]])
    x = np.array([[5.0, 95.0]] * 3)
    got = distribution_cdf(x, ["gamma", "beta", "mirrorlognormal"], params, 10.0, 90.0)
    assert_array_equal(got, [[0, got[0, 1]], [0, 1], [got[2, 0], 1]])


def _family_params(family):
    scale = st.floats(0.2, 3.0)
    shape = st.floats(0.5, 20.0)
    loc = st.floats(-5.0, 5.0)
    if "log" in family:
        # Wider log scales put tail quantiles within rounding of the bound.
        scale = st.floats(0.2, 1.0)
    if family in ("normal", "lognormal", "mirrorlognormal"):
        return st.tuples(loc, scale, st.just(np.nan))
    if family in ("t", "logt", "mirrorlogt"):
        return st.tuples(loc, scale, st.floats(2.0, 30.0))
    if family == "skewnormal":
        return st.tuples(loc, scale, st.floats(-20.0, 20.0))
    return st.tuples(shape, shape, st.just(np.nan))


@st.composite
def fitted_rows(draw):
    family = draw(st.sampled_from(FAMILIES))
    return family, draw(_family_params(family))


@given(st.lists(fitted_rows(), min_size=1, max_size=6), st.floats(0.001, 0.999))
def test_cdf_is_monotone_and_inverts_the_quantile_function(rows, q):
    families = [f for f, _ in rows]
    params = np.array([p for _, p in rows], dtype=float)
    levels = np.sort(np.array([0.001, q, 0.5, 0.999]))
    n = len(rows)
    x = distribution_quantile(np.tile(levels, (n, 1)), families, params, -2.0, 40.0)
    # Monotone up to the special functions' rounding (an ulp or so).
    assert np.all(np.diff(x, axis=1) >= -1e-13 * np.abs(x[:, 1:]))
    back = distribution_cdf(x, families, params, -2.0, 40.0)
    assert_allclose(back, np.tile(levels, (n, 1)), atol=1e-8)
    grid = np.sort(np.concatenate([x, x + 1e-3, x - 1e-3], axis=1), axis=1)
    assert np.all(np.diff(distribution_cdf(grid, families, params, -2.0, 40.0), axis=1) >= -1e-15)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([f for f in FAMILIES if f != "skewnormal"]),
    st.data(),
    st.sampled_from([LEVELS3, np.array([0.1, 0.3, 0.5, 0.7, 0.9])]),
)
def test_fitting_a_distributions_own_quantiles_is_exact(family, data, levels):
    params = np.array([data.draw(_family_params(family))], dtype=float)
    if family in ("t", "logt", "mirrorlogt"):
        params[0, 2] = 3.0
    lower = -2.0 if family in ("gamma", "lognormal", "logt", "beta") else -np.inf
    upper = 40.0 if family == "beta" or family.startswith("mirror") else np.inf
    values = distribution_quantile(levels[None], family, params, lower, upper)
    fit = fit_quantiles(values, levels, lower, upper, families=[family])
    assert fit.ssq[0, CODE[family]] < 1e-18


# ----------------------------------------------------------------------- pooling


def test_pool_of_one_is_that_distribution():
    fit = fit_quantiles([[20.0, 30.0, 50.0], [55.0, 60.0, 70.0]], LEVELS3, 0.0, 100.0)
    codes, params, lower, upper = fit.distributions()
    levels = np.array([0.01, 0.05, 0.5, 0.9])
    pooled = linear_pool_quantiles(levels, codes, params, lower, upper, [0, 1], 2)
    own = distribution_quantile(np.tile(levels, (2, 1)), codes, params, lower, upper)
    assert_allclose(pooled, own, rtol=1e-11)
    x = np.array([[25.0, 45.0], [58.0, 66.0]])
    assert_allclose(
        linear_pool_cdf(x, codes, params, lower, upper, [0, 1], 2),
        distribution_cdf(x, codes, params, lower, upper),
    )


def test_pool_of_identical_distributions_is_that_distribution():
    params = np.array([[40.0, 8.0, np.nan]] * 3 + [[3.0, 0.2, np.nan]] * 2)
    codes = np.array([0, 0, 0, CODE["gamma"], CODE["gamma"]])
    groups = np.array([0, 0, 0, 1, 1])
    levels = np.array([0.05, 0.5, 0.95])
    pooled = linear_pool_quantiles(levels, codes, params, 10.0, np.inf, groups, 2, [1, 2, 3, 1, 5])
    assert_allclose(pooled[0], stats.norm(40, 8).ppf(levels), rtol=1e-11)
    assert_allclose(pooled[1], 10 + stats.gamma(3, scale=5).ppf(levels), rtol=1e-11)


def test_pool_is_the_weighted_mixture_and_ignores_zero_weights():
    params = np.array([[0.0, 1.0, np.nan], [3.0, 2.0, np.nan], [100.0, 1.0, np.nan]])
    w = np.array([1.0, 3.0, 0.0])
    x = np.array([-1.0, 0.5, 2.0, 4.0])
    got = linear_pool_cdf(x, "normal", params, -np.inf, np.inf, [0, 0, 0], 1, w)
    want = 0.25 * stats.norm.cdf(x) + 0.75 * stats.norm.cdf(x, 3, 2)
    assert_allclose(got[0], want)
    q = linear_pool_quantiles([0.1, 0.5, 0.99], "normal", params, -np.inf, np.inf, [0] * 3, 1, w)
    assert_allclose(0.25 * stats.norm.cdf(q) + 0.75 * stats.norm.cdf(q, 3, 2), [[0.1, 0.5, 0.99]])
    assert np.all(q < 50)  # the zero-weight expert at 100 plays no part


def test_pool_empty_question_is_nan_and_per_question_points():
    params = np.array([[0.0, 1.0], [5.0, 1.0]])
    got = linear_pool_cdf([[0.0], [5.0], [1.0]], "normal", params, -np.inf, np.inf, [0, 1], 3)
    assert_allclose(got[:2, 0], [0.5, 0.5])
    assert np.isnan(got[2]).all()
    q = linear_pool_quantiles([0.5], "normal", params, -np.inf, np.inf, [0, 1], 3)
    assert_allclose(q[:2, 0], [0.0, 5.0], atol=1e-12)
    assert np.isnan(q[2]).all()


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(fitted_rows(), st.integers(0, 3), st.floats(0.1, 5.0)), min_size=1, max_size=10
    ),
    st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4),
)
def test_pool_quantiles_invert_the_pool_cdf_and_lie_between_experts(rows, levels):
    families = [f for (f, _), _, _ in rows]
    params = np.array([p for (_, p), _, _ in rows], dtype=float)
    groups = np.array([g for _, g, _ in rows])
    weights = np.array([w for _, _, w in rows])
    q = linear_pool_quantiles(levels, families, params, -2.0, 40.0, groups, 4, weights)
    present = np.bincount(groups, minlength=4) > 0
    assert np.isnan(q[~present]).all()
    back = linear_pool_cdf(np.nan_to_num(q), families, params, -2.0, 40.0, groups, 4, weights)
    assert_allclose(back[present], np.broadcast_to(levels, back[present].shape), atol=1e-7)
    own = distribution_quantile(np.tile(levels, (len(rows), 1)), families, params, -2.0, 40.0)
    for g in np.flatnonzero(present):
        members = own[groups == g]
        assert np.all(q[g] >= members.min(axis=0) - 1e-9)
        assert np.all(q[g] <= members.max(axis=0) + 1e-9)
    grid = np.sort(np.nan_to_num(np.concatenate([q, q + 0.5, q - 0.5], axis=1)), axis=1)
    pooled = linear_pool_cdf(grid, families, params, -2.0, 40.0, groups, 4, weights)
    assert np.all(np.diff(pooled[present], axis=1) >= 0)


# ------------------------------------------------------------------ Vincentization


def test_vincentize_hand_examples():
    values = [[1.0, 2.0, 3.0], [3.0, 4.0, 7.0], [10.0, 20.0, 30.0]]
    assert_allclose(vincentize(values, [0, 0, 1], 3)[:2], [[2, 3, 5], [10, 20, 30]])
    assert_allclose(vincentize(values, [0, 0, 1], 2, weights=[1, 3, 1])[0], [2.5, 3.5, 6.0])
    assert np.isnan(vincentize(values, [0, 0, 1], 3)[2]).all()


def test_vincentized_normals_are_the_normal_with_averaged_location_and_scale():
    levels = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    q = np.array([stats.norm(0, 1).ppf(levels), stats.norm(10, 3).ppf(levels)])
    assert_allclose(vincentize(q, [0, 0], 1)[0], stats.norm(5, 2).ppf(levels))


# ------------------------------------------------------- Cooke's piecewise linear


def test_piecewise_linear_cdf_pdf_and_quantiles_by_hand():
    q = [[20.0, 30.0, 50.0]]
    x = [[-1.0, 0.0, 10.0, 20.0, 25.0, 40.0, 75.0, 100.0, 120.0]]
    cdf = piecewise_linear_cdf(x, q, LEVELS3, 0.0, 100.0)
    assert_allclose(cdf, [[0, 0, 0.025, 0.05, 0.275, 0.725, 0.975, 1, 1]])
    pdf = piecewise_linear_pdf([[-1.0, 10.0, 25.0, 40.0, 75.0, 100.0]], q, LEVELS3, 0.0, 100.0)
    assert_allclose(pdf, [[0, 0.05 / 20, 0.45 / 10, 0.45 / 20, 0.05 / 50, 0]])
    p = [[0.0, 0.025, 0.05, 0.275, 0.5, 0.725, 0.975, 1.0]]
    inv = piecewise_linear_quantile(p, q, LEVELS3, 0.0, 100.0)
    assert_allclose(inv, [[0, 10, 20, 25, 30, 40, 75, 100]])


def test_piecewise_linear_on_the_log_scale_by_hand():
    q = [[1.0, 10.0, 100.0]]  # with [0.1, 1000], nodes equally spaced in log10
    x = [[10**-0.5, 10**0.5, 10**1.5, 10**2.5]]
    cdf = piecewise_linear_cdf(x, q, LEVELS3, 0.1, 1000.0, scale="log")
    assert_allclose(cdf, [[0.025, 0.275, 0.725, 0.975]])
    pdf = piecewise_linear_pdf(x, q, LEVELS3, 0.1, 1000.0, scale="log")
    mass = np.array([0.05, 0.45, 0.45, 0.05])
    assert_allclose(pdf, [mass / np.log(10) / np.array(x[0])])
    inv = piecewise_linear_quantile([[0.0, 0.275, 1.0]], q, LEVELS3, 0.1, 1000.0, scale="log")
    assert_allclose(inv, [[0.1, 10**0.5, 1000.0]])


def test_piecewise_linear_with_tied_quantiles_jumps():
    q = [[20.0, 20.0, 50.0]]
    assert_allclose(piecewise_linear_cdf([[19.999, 20.0]], q, LEVELS3, 0, 100), [[0.0499975, 0.5]])
    assert_allclose(piecewise_linear_quantile([[0.05, 0.3, 0.5]], q, LEVELS3, 0, 100), [[20] * 3])


@st.composite
def piecewise_judgments(draw):
    n = draw(st.integers(1, 5))
    raw = draw(
        st.lists(
            st.lists(st.floats(0.5, 100.0), min_size=3, max_size=3).map(sorted),
            min_size=n,
            max_size=n,
        )
    )
    q = np.array(raw)
    low, high = q.min(axis=1), q.max(axis=1)
    width = np.maximum(high - low, 1.0)
    return (
        q,
        low - 0.1 * width * draw(st.floats(0.05, 1.0)),
        high + 0.1 * width,
        draw(st.sampled_from(["linear", "log"])),
    )


@given(piecewise_judgments(), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6))
def test_piecewise_linear_cdf_is_monotone_and_inverts_its_quantiles(judgments, probs):
    q, lower, upper, scale = judgments
    if scale == "log":
        lower = np.maximum(lower, 0.01)
    n = q.shape[0]
    p = np.tile(np.sort(probs), (n, 1))
    x = piecewise_linear_quantile(p, q, LEVELS3, lower, upper, scale=scale)
    assert np.all(np.diff(x, axis=1) >= -1e-12)
    assert np.all((x >= lower[:, None] - 1e-9) & (x <= upper[:, None] + 1e-9))
    back = piecewise_linear_cdf(x, q, LEVELS3, lower, upper, scale=scale)
    strict = np.all(np.diff(q, axis=1) > 1e-6, axis=1)  # no jumps: exact inverse
    assert_allclose(back[strict], p[strict], atol=1e-9)
    # at a jump, Q(p) may round to one ulp below the knot where F reaches p
    above = piecewise_linear_cdf(np.nextafter(x, np.inf), q, LEVELS3, lower, upper, scale=scale)
    assert np.all(above >= p - 1e-9)
    grid = np.linspace(lower - 1, upper + 1, 25).T
    if scale == "log":
        grid = np.abs(grid)
    cdf = piecewise_linear_cdf(np.sort(grid, axis=1), q, LEVELS3, lower, upper, scale=scale)
    assert np.all(np.diff(cdf, axis=1) >= 0)
    assert np.all((cdf >= 0) & (cdf <= 1))


# ---------------------------------------------------------------------- bad input

V = [[20.0, 30.0, 50.0]]
N1 = [[0.0, 1.0, np.nan]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fit_quantiles([[1.0, np.nan, 3.0]], LEVELS3), r"values\[0, 1\] is nan"),
        (lambda: fit_quantiles([1.0, 2.0, 3.0], LEVELS3), "values must be a 2-d array"),
        (lambda: fit_quantiles([[1.0]], [0.5]), "at least 2 quantiles"),
        (
            lambda: fit_quantiles([[1.0, 2.0, 3.0], [5.0, 7.0, 5.0]], LEVELS3),
            r"values\[1, 2\] is not increasing: 5 after 7",
        ),
        (lambda: fit_quantiles(V, [0.05, 0.5]), r"levels must have shape \(3,\) or \(1, 3\)"),
        (lambda: fit_quantiles(V, [0.0, 0.5, 0.95]), r"levels\[0\] is 0, not a probability"),
        (lambda: fit_quantiles(V, [[0.05, 0.5, 1.5]]), r"levels\[0, 2\] is 1.5"),
        (lambda: fit_quantiles(V, [0.05, 0.5, 0.5]), r"levels\[2\] is not increasing: 0.5 after"),
        (lambda: fit_quantiles(V, [0.45, 0.5, 0.95]), "need one below 0.4 and one above 0.6"),
        (lambda: fit_quantiles(V, LEVELS3, 30.0), r"values\[0, 0\] = 20 is not above lower\[0\]"),
        (lambda: fit_quantiles(V, LEVELS3, 0, 50), r"values\[0, 2\] = 50 is not below upper\[0\]"),
        (lambda: fit_quantiles(V, LEVELS3, 60, 50), r"lower\[0\] = 60 is not below upper\[0\]"),
        (lambda: fit_quantiles(V, LEVELS3, np.nan), r"lower\[0\] is nan"),
        (lambda: fit_quantiles(V, LEVELS3, [0, 1]), r"lower must be a scalar or have shape"),
        (lambda: fit_quantiles(V, LEVELS3, tdf=0), "tdf must be a positive number"),
        (lambda: fit_quantiles(V, LEVELS3, point_weights=[1, -1, 1]), r"point_weights\[1\] is -1"),
        (lambda: fit_quantiles(V, LEVELS3, point_weights=[1, 1]), "point_weights must have shape"),
        (lambda: fit_quantiles(V, LEVELS3, families=["weibull"]), "'weibull' is not one of"),
        (lambda: distribution_cdf([[0.0]], "weibull", N1), r"family\[0\] = 'weibull' is not one"),
        (lambda: distribution_cdf([[0.0]], 12, N1), r"family\[0\] = 12 is not one of"),
        (lambda: distribution_cdf([[0.0]], 1.5, N1), "names or integer codes"),
        (lambda: distribution_cdf([[0.0]], ["normal"] * 2, N1), "family must be one family"),
        (lambda: distribution_cdf([[0.0]], "normal", [0.0, 1.0]), r"params must have shape"),
        (
            lambda: distribution_cdf([[0.0]], "normal", [[0.0, -1.0]]),
            r"params\[0\] = \[0.0, -1.0, nan\] are not valid normal parameters \(mean, sd\)",
        ),
        (lambda: distribution_cdf([[0.0]], "t", [[0.0, 1.0]]), "not valid t parameters"),
        (lambda: distribution_cdf([[1.0]], "gamma", [[2, 1]]), r"lower\[0\] is -inf; a gamma"),
        (lambda: distribution_cdf([[1.0]], "mirrorlogt", [[2, 1, 3]], 0), r"upper\[0\] is inf"),
        (lambda: distribution_cdf([[1.0]], "beta", [[2, 1]], 5, 5), r"lower\[0\] = 5 is not below"),
        (lambda: distribution_cdf([[np.inf]], "normal", N1), r"x\[0, 0\] is inf"),
        (lambda: distribution_cdf([[0.0]] * 2, "normal", N1), r"x must have shape \(1,\)"),
        (lambda: distribution_quantile([[1.0]], "normal", N1), r"q\[0, 0\] is 1, not a prob"),
        (
            lambda: linear_pool_cdf([0.0], "normal", N1, -np.inf, np.inf, [0], 1, [0.0]),
            "weights of group 0 sum to 0",
        ),
        (
            lambda: linear_pool_cdf([0.0], "normal", N1, -np.inf, np.inf, [0], 1, [-1.0]),
            r"weights\[0\] is -1.0",
        ),
        (lambda: linear_pool_cdf([0.0], "normal", N1, -np.inf, np.inf, [2], 1), r"groups\[0\] = 2"),
        (
            lambda: linear_pool_cdf([[0.0]] * 2, "normal", N1, -np.inf, np.inf, [0], 1),
            r"x must have shape \(m,\) or \(1, m\)",
        ),
        (
            lambda: linear_pool_cdf([np.nan], "normal", N1, -np.inf, np.inf, [0], 1),
            r"x\[0, 0\] is nan",
        ),
        (
            lambda: linear_pool_quantiles([0.0], "normal", N1, -np.inf, np.inf, [0], 1),
            r"levels\[0\] is 0, not a probability in \(0, 1\)",
        ),
        (
            lambda: linear_pool_quantiles([np.nan], "normal", N1, -np.inf, np.inf, [0], 1),
            r"levels\[0\] is nan",
        ),
        (
            lambda: linear_pool_quantiles([[0.5]], "normal", N1, -np.inf, np.inf, [0], 1),
            "levels must be 1-d",
        ),
        (lambda: vincentize([[1.0, 3.0, 2.0]], [0], 1), r"quantile_values\[0, 2\] is not non-dec"),
        (lambda: vincentize([[1.0, np.inf]], [0], 1), r"quantile_values\[0, 1\] is inf"),
        (lambda: vincentize([[1.0, 2.0]], [0], 1, [0.0]), "weights of group 0 sum to 0"),
        (lambda: vincentize([[1.0, 2.0]], [1], 1), r"groups\[0\] = 1 is outside"),
        (
            lambda: piecewise_linear_cdf([5.0], V, LEVELS3, 25, 100),
            r"quantile_values\[0, 0\] = 20 is below lower\[0\] = 25",
        ),
        (
            lambda: piecewise_linear_cdf([5.0], V, LEVELS3, 0, 40),
            r"quantile_values\[0, 2\] = 50 is above upper\[0\] = 40",
        ),
        (lambda: piecewise_linear_cdf([5.0], V, LEVELS3, 0, np.inf), "both must be finite"),
        (lambda: piecewise_linear_cdf([5.0], V, LEVELS3, 0, 0), r"lower\[0\] = 0 is not below"),
        (lambda: piecewise_linear_cdf([5.0], V, LEVELS3, 0, 100, scale="log"), "must be positive"),
        (lambda: piecewise_linear_cdf([5.0], V, LEVELS3, 1, 100, scale="ln"), "scale must be"),
        (lambda: piecewise_linear_cdf([5.0], [[3, 2, 4]], LEVELS3, 0, 9), r"\[0, 1\] is not non"),
        (lambda: piecewise_linear_cdf([np.nan], V, LEVELS3, 0, 100), r"x\[0\] is nan"),
        (lambda: piecewise_linear_pdf([[5.0]] * 2, V, LEVELS3, 0, 100), r"x must have shape"),
        (lambda: piecewise_linear_quantile([1.5], V, LEVELS3, 0, 100), r"q\[0\] is 1.5, not a"),
        (lambda: piecewise_linear_quantile([0.5], V, [0.5, 0.4, 0.9], 0, 100), r"levels\[1\]"),
    ],
)
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_quantile_fit_refuses_unknown_family_names():
    fit = fit_quantiles(V, LEVELS3)
    with pytest.raises(ValueError, match="'gumbel' is not one of"):
        fit.parameters("gumbel")
    with pytest.raises(ValueError, match="'gumbel' is not one of"):
        fit.distributions("gumbel")


def test_row_interpolation_is_numpy_interp_of_every_row_continuous_from_the_right():
    rng = np.random.default_rng(8)
    xp = np.sort(np.round(rng.random((50, 6)), 1), axis=1)  # rounding makes repeated knots
    fp = np.cumsum(rng.random((50, 6)), axis=1)
    q = np.concatenate([xp, rng.random((50, 9)) * 1.4 - 0.2], axis=1)  # knots and beyond
    result = _interp_rows(q, xp, fp)
    for i in range(50):
        x, f = xp[i], fp[i]
        for j, point in enumerate(q[i]):
            last = np.flatnonzero(x <= point)
            if last.size and point == x[last[-1]]:  # at a knot: the value of its last copy
                assert result[i, j] == f[last[-1]]
            else:
                assert_allclose(result[i, j], np.interp(point, x, f), rtol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"families": []}, "families is empty"),
        ({"families": ["beta"]}, "no family could be fitted to judgment 0"),
        ({"families": ["logt"], "exclude_logt": True, "lower": 0}, "exclude_logt leaves out"),
        ({"tie_tolerance": np.nan}, "tie_tolerance must be a finite non-negative number"),
        ({"tie_tolerance": -1.0}, "tie_tolerance must be a finite non-negative number"),
    ],
)
def test_fit_never_names_a_family_it_did_not_fit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_quantiles([[2.0, 4.0, 7.0]], [0.05, 0.5, 0.95], **kwargs)


def test_fitting_far_into_the_tails_raises_no_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_quantiles([[1.0, 2.0, 10.0]], [0.05, 0.5, 0.95], lower=0)
    assert np.isfinite(fit.ssq[0, CODE["logt"]])


def test_bootstrap_linear_pool_reads_each_resamples_pool_off_its_grid():
    """Every resample's quantile is the exact pool's, to a small part of the bracket."""
    from elicit.core.distributions import bootstrap_linear_pool_quantiles, linear_pool_quantiles

    family = np.array(["normal", "t", "skewnormal", "normal", "lognormal", "gamma"])
    params = np.array(
        [
            [0, 1, np.nan],
            [1, 2, 3],
            [0.5, 1.5, 2],
            [10, 2, np.nan],
            [2, 0.3, np.nan],
            [2, 1, np.nan],
        ]
    )
    lower = np.array([-np.inf, -np.inf, -np.inf, -np.inf, 0, 0])
    groups = np.array([0, 0, 0, 2, 2, 2])
    levels = np.array([0.05, 0.5, 0.95])
    args = (levels, family, params, lower, np.inf, groups, 3)
    estimate, low, high, se = bootstrap_linear_pool_quantiles(
        *args, n_resamples=2, seed=7, grid_size=512
    )
    assert_allclose(estimate, linear_pool_quantiles(*args), equal_nan=True)
    assert np.isnan(low[1]).all() and np.isnan(high[1]).all()
    rng = np.random.default_rng(7)
    for g in (0, 2):
        rows = np.flatnonzero(groups == g)
        draws = np.floor(rng.random((2, rows.size)) * rows.size).astype(int)
        exact = np.array(
            [
                linear_pool_quantiles(
                    levels,
                    family[rows],
                    params[rows],
                    lower[rows],
                    np.inf,
                    np.zeros(rows.size, int),
                    1,
                    weights=np.bincount(d, minlength=rows.size) + 0.0,
                )[0]
                for d in draws
            ]
        )
        bracket = np.ptp(exact, axis=0).max() + 1
        assert_allclose(
            low[g], exact.min(axis=0) + 0.025 * np.ptp(exact, axis=0), atol=1e-4 * bracket
        )
        assert_allclose(
            high[g], exact.max(axis=0) - 0.025 * np.ptp(exact, axis=0), atol=1e-4 * bracket
        )
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_linear_pool_quantiles(*args, n_resamples=1)


def test_piecewise_linear_quantile_on_the_log_scale_gives_a_flat_segments_knot_exactly():
    """Found by hypothesis: Q(p) inside a jump came back below its knot after exp(log x).

    Quantiles 1, 100, 100 at 5/50/95%: every level from 50% to 95% is exactly
    100, and F is at least p just above it (continuous from the right).
    """
    q = np.array([[1.0, 100.0, 100.0]])
    lower, upper, p = np.array([0.01]), np.array([109.9]), np.array([[0.5, 0.625, 0.95]])
    x = piecewise_linear_quantile(p, q, LEVELS3, lower, upper, scale="log")
    assert x.tolist() == [[100.0, 100.0, 100.0]]
    above = piecewise_linear_cdf(np.nextafter(x, np.inf), q, LEVELS3, lower, upper, scale="log")
    assert np.all(above >= p - 1e-9)
