"""Spread, agreement and stability: IQR, CV, share within a band, Kendall's W, Wilcoxon, bootstrap.

Reference values come from published examples (NAG g08daf after Siegel 1956, R's
friedman.test example after Hollander & Wolfe, SciPy's wilcoxon example after
Fisher/Darwin) and from SciPy/NumPy computed question by question.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from elicit.core.consensus import (
    grouped_bootstrap_ci,
    grouped_cv,
    grouped_iqr,
    grouped_kendalls_w,
    grouped_mean_absolute_change,
    grouped_percent_within,
    grouped_quantiles,
    grouped_ranks,
    grouped_wilcoxon,
    kendalls_w,
)

finite = st.floats(-1e6, 1e6, allow_nan=False)
grid = st.integers(0, 8).map(float)  # few distinct values: many ties
pairs = st.lists(st.tuples(finite, st.integers(0, 5)), max_size=60)


def split(pairs):
    return (
        np.array([v for v, _ in pairs], dtype=float),
        np.array([g for _, g in pairs], dtype=int),
    )


# --- IQR ----------------------------------------------------------------------------------


@given(pairs)
def test_iqr_matches_numpy_default_percentiles(pairs):
    values, groups = split(pairs)
    result = grouped_iqr(values, groups, 6)
    for g in range(6):
        x = values[groups == g]
        if x.size:
            expected = np.percentile(x, 75) - np.percentile(x, 25)
            assert_allclose(result[g], expected, rtol=1e-12, atol=1e-9)
        else:
            assert np.isnan(result[g])


def test_iqr_known_values():
    # 1..8: Q1 = 1 + 0.25 * 7 = 2.75, Q3 = 6.25 (NumPy's linear, type 7)
    result = grouped_iqr([1, 2, 3, 4, 5, 6, 7, 8, 5], [0] * 8 + [1], 3)
    assert_allclose(result[:2], [3.5, 0.0])
    assert np.isnan(result[2])


# --- coefficient of variation -----------------------------------------------------------


@given(pairs)
def test_cv_matches_numpy_std_over_mean(pairs):
    values, groups = split(pairs)
    result = grouped_cv(values, groups, 6)
    for g in range(6):
        x = values[groups == g]
        if x.size >= 2 and x.mean() != 0:
            expected = np.std(x, ddof=1) / abs(np.mean(x))
            assert_allclose(result[g], expected, rtol=1e-7, atol=1e-12)
        elif x.size < 2:
            assert np.isnan(result[g])


def test_cv_with_reliability_weights_matches_numpy_cov_aweights():
    rng = np.random.default_rng(3)
    values = rng.uniform(1, 100, 40)
    groups = rng.integers(0, 3, 40)
    weights = rng.uniform(0, 2, 40)
    result = grouped_cv(values, groups, 3, weights=weights)
    for g in range(3):
        x, w = values[groups == g], weights[groups == g]
        sd = np.sqrt(np.cov(x, aweights=w))
        assert_allclose(result[g], sd / abs(np.average(x, weights=w)), rtol=1e-12)


def test_cv_equal_weights_change_nothing_and_edge_cases():
    values, groups = [10.0, 20.0, 30.0, 0.0, -5.0, 5.0, 7.0], [0, 0, 0, 1, 2, 2, 3]
    plain = grouped_cv(values, groups, 5)
    assert_allclose(grouped_cv(values, groups, 5, weights=[3.0] * 7), plain, equal_nan=True)
    assert_allclose(plain[0], 10.0 / 20.0)  # sd 10, mean 20
    assert np.isnan(plain[1])  # one value (ddof 1)
    assert np.isnan(plain[2])  # mean 0
    assert np.isnan(plain[3]) and np.isnan(plain[4])
    assert_allclose(grouped_cv(values, groups, 5, ddof=0)[0], np.std([10, 20, 30]) / 20)
    with pytest.raises(ValueError, match="ddof must be non-negative"):
        grouped_cv(values, groups, 5, ddof=-1)


# --- percent within a band --------------------------------------------------------------


def test_percent_within_band_of_the_median_known_values():
    # medians 0.7 and 50; the band's ends count, written decimals included (0.8 - 0.7)
    values = [0.6, 0.7, 0.8, 0.95, 0.7, 40, 50, 61, 60]
    groups = [0, 0, 0, 0, 0, 1, 1, 1, 1]
    result = grouped_percent_within(values, groups, 3, band=0.1)
    assert_allclose(result[0], 80.0)
    assert np.isnan(result[2])
    assert_allclose(grouped_percent_within(values, groups, 2, band=10)[1], 75.0)  # 61 is out


def test_percent_within_weights_and_centres():
    values, groups = [1.0, 2.0, 3.0, 10.0, 2.0], [0, 0, 0, 0, 0]  # median 2, mean 3.6
    assert_allclose(grouped_percent_within(values, groups, 1, band=1), [80.0])
    weighted = grouped_percent_within(values, groups, 1, band=1, weights=[1, 1, 1, 5, 2])
    assert_allclose(weighted, [50.0])
    assert_allclose(grouped_percent_within(values, groups, 1, band=1, center="mean"), [20.0])
    assert_allclose(grouped_percent_within(values, groups, 1, band=0, center=[10.0]), [20.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"band": -1}, "band must be a finite non-negative number"),
        ({"band": np.nan}, "band must be a finite number, got nan"),
        ({"band": None}, "band must be a finite number, got None"),
        ({"band": 1, "rtol": np.nan}, "rtol must be a finite number"),
        ({"band": 1, "center": [np.nan]}, r"center\[0\] is nan, not a finite number"),
        ({"band": 1, "center": "mode"}, "center must be 'median', 'mean' or an array"),
        ({"band": 1, "center": [1.0, 2.0]}, r"center must have shape \(1,\)"),
        ({"band": 1, "weights": [1, -1]}, r"weights\[1\] is -1.0"),
    ],
)
def test_percent_within_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        grouped_percent_within([1.0, 2.0], [0, 0], 1, **kwargs)


# --- ranks ------------------------------------------------------------------------------


@given(st.lists(st.tuples(grid, st.integers(0, 4)), max_size=50))
def test_ranks_match_scipy_rankdata_within_each_group(pairs):
    values, groups = split(pairs)
    ranks = grouped_ranks(values, groups, 5)
    for g in range(5):
        member = groups == g
        if member.any():
            assert_allclose(ranks[member], stats.rankdata(values[member]))


# --- Kendall's W ------------------------------------------------------------------------

# NAG Library g08daf example (data from Siegel 1956): three comparisons of ten objects,
# with ties; published result W = 0.828, significance 0.008.
# https://support.nag.com/numeric/fl/nagdoc_fl26.2/examples/baseresults/g08dafe.r.html
NAG_G08DAF = [
    [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
    [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
    [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
]

# R's friedman.test example (Hollander & Wolfe 1973, p. 140ff): 22 players (raters) x 3
# methods of rounding first base (items), with ties within players. R reports
# "Friedman chi-squared = 11.143, df = 2, p-value = 0.003805"; Kendall's W is the same
# test, W = chi-squared / (m (n - 1)).
# https://github.com/wch/r-source/blob/trunk/src/library/stats/man/friedman.test.Rd
ROUNDING_TIMES = [
    [5.40, 5.50, 5.55],
    [5.85, 5.70, 5.75],
    [5.20, 5.60, 5.50],
    [5.55, 5.50, 5.40],
    [5.90, 5.85, 5.70],
    [5.45, 5.55, 5.60],
    [5.40, 5.40, 5.35],
    [5.45, 5.50, 5.35],
    [5.25, 5.15, 5.00],
    [5.85, 5.80, 5.70],
    [5.25, 5.20, 5.10],
    [5.65, 5.55, 5.45],
    [5.60, 5.35, 5.45],
    [5.05, 5.00, 4.95],
    [5.50, 5.50, 5.40],
    [5.45, 5.55, 5.50],
    [5.55, 5.55, 5.35],
    [5.45, 5.50, 5.55],
    [5.50, 5.45, 5.25],
    [5.65, 5.60, 5.40],
    [5.70, 5.65, 5.55],
    [6.30, 6.30, 6.25],
]


def test_kendalls_w_nag_siegel_example_with_ties():
    result = kendalls_w(NAG_G08DAF)
    assert round(float(result.w), 3) == 0.828
    assert round(float(result.pvalue), 3) == 0.008
    # by hand: rank sums 5.5, 6.5, 9, 13.5, 12, 20, 23, 23.5, 25.5, 26.5 -> S = 591,
    # tie terms sum(t^3 - t) = 12 + 18 + 84 = 114, W = 12 * 591 / (9 * 990 - 3 * 114)
    assert_allclose(result.w, 12 * 591 / (9 * 990 - 3 * 114), rtol=1e-12)
    assert result.df == 9 and result.n_raters == 3 and result.n_items == 10


def test_kendalls_w_r_friedman_rounding_times_example():
    result = kendalls_w(ROUNDING_TIMES)
    assert round(float(result.statistic), 3) == 11.143
    assert round(float(result.pvalue), 6) == 0.003805
    assert_allclose(result.w, result.statistic / (22 * 2), rtol=1e-12)
    friedman = stats.friedmanchisquare(*np.array(ROUNDING_TIMES).T)
    assert_allclose(result.statistic, friedman.statistic, rtol=1e-12)
    assert_allclose(result.pvalue, friedman.pvalue, rtol=1e-12)


@settings(max_examples=60)
@given(
    st.integers(2, 6).flatmap(
        lambda m: st.integers(3, 7).flatmap(
            lambda n: st.lists(st.lists(grid, min_size=n, max_size=n), min_size=m, max_size=m)
        )
    )
)
def test_kendalls_w_is_the_tie_corrected_friedman_statistic(ratings):
    ratings = np.array(ratings)
    m, n = ratings.shape
    result = kendalls_w(ratings)
    ranks = stats.rankdata(ratings, axis=1)
    if np.all(ranks == (n + 1) / 2):  # every rater ties everything: W undefined
        assert np.isnan(result.w)
        return
    friedman = stats.friedmanchisquare(*ratings.T)
    assert_allclose(result.statistic, friedman.statistic, rtol=1e-9, atol=1e-12)
    assert_allclose(result.pvalue, friedman.pvalue, rtol=1e-9, atol=1e-12)
    assert_allclose(result.w, friedman.statistic / (m * (n - 1)), rtol=1e-9, atol=1e-12)
    assert -1e-12 <= result.w <= 1 + 1e-12


def test_kendalls_w_perfect_agreement_and_stacks():
    agree = np.tile(np.arange(6.0), (4, 1))
    assert_allclose(kendalls_w(agree).w, 1.0)
    stack = np.stack([agree, np.array(NAG_G08DAF)[:, :6][[0, 1, 2, 0]]])
    stacked = kendalls_w(stack)
    assert stacked.w.shape == (2,)
    assert_allclose(stacked.w[1], kendalls_w(stack[1]).w)


def test_grouped_kendalls_w_takes_sets_of_different_sizes_in_any_order():
    nag = np.array(NAG_G08DAF)
    rt = np.array(ROUNDING_TIMES)
    r0, i0 = np.indices(nag.shape)
    r1, i1 = np.indices(rt.shape)
    values = np.concatenate([nag.ravel(), rt.ravel()])
    groups = np.repeat([2, 0], [nag.size, rt.size])  # set 1 left empty
    raters = np.concatenate([r0.ravel() + 100, r1.ravel()])  # labels only need equality
    items = np.concatenate([i0.ravel() * 7, i1.ravel()])
    shuffle = np.random.default_rng(0).permutation(values.size)
    result = grouped_kendalls_w(
        values[shuffle], groups[shuffle], 3, raters[shuffle], items[shuffle]
    )
    assert_allclose(result.w[[2, 0]], [kendalls_w(nag).w, kendalls_w(rt).w], rtol=1e-12)
    assert np.isnan(result.w[1]) and np.isnan(result.pvalue[1])
    assert result.n_raters.tolist() == [22, 0, 3]
    assert result.n_items.tolist() == [3, 0, 10]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0, 2.0, 3.0], [0, 0, 0], 1, [0, 0, 1], [0, 0, 0]), "entry 1 repeats set 0"),
        (([1.0, 2.0, 3.0], [0, 0, 0], 1, [0, 0, 1], [0, 1, 0]), "set 0 is incomplete"),
        (([1.0, 2.0], [0, 0], 1, [0.0, 0.0], [0, 1]), "raters must be integers"),
        (([1.0, 2.0], [0, 0], 1, [0, 0], [0]), r"items must have shape \(2,\)"),
        (([1.0, np.inf], [0, 0], 1, [0, 0], [0, 1]), r"values\[1\] is inf"),
    ],
)
def test_kendalls_w_refuses_bad_designs(args, message):
    with pytest.raises(ValueError, match=message):
        grouped_kendalls_w(*args)


def test_kendalls_w_refuses_a_vector():
    with pytest.raises(ValueError, match="raters, items"):
        kendalls_w([1.0, 2.0])


# --- Wilcoxon signed-rank between rounds ------------------------------------------------


def test_wilcoxon_scipy_documentation_example():
    # Darwin's cross- vs self-fertilised plants (Fisher 1935), as in scipy.stats.wilcoxon's
    # docstring: statistic 24.0, p-value 0.041259765625 (exact test).
    d = np.array([6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75], dtype=float)
    result = grouped_wilcoxon(np.zeros(15), d, np.zeros(15, dtype=int), 1)
    assert result.statistic[0] == 24.0
    assert result.pvalue[0] == pytest.approx(0.041259765625, rel=1e-12)
    assert result.exact[0] and result.n[0] == 15


def _rounds(seed, n=400, n_groups=12):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    first = rng.integers(0, 10, n).astype(float)
    second = first + rng.integers(-3, 4, n) + (groups % 3 == 0)  # ties and zeros
    return first, second, groups


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("correction", [False, True])
def test_wilcoxon_asymptotic_matches_scipy_per_question(seed, correction):
    first, second, groups = _rounds(seed)
    result = grouped_wilcoxon(first, second, groups, 13, "asymptotic", correction)
    for g in range(12):
        m = groups == g
        ref = stats.wilcoxon(second[m], first[m], method="asymptotic", correction=correction)
        assert_allclose(result.statistic[g], ref.statistic, rtol=1e-12)
        assert_allclose(result.pvalue[g], ref.pvalue, rtol=1e-10)
    assert np.isnan(result.pvalue[12]) and result.n[12] == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_wilcoxon_exact_matches_scipy_per_question(seed):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(8), rng.integers(1, 20, 8))
    first = rng.normal(size=groups.size)
    second = first + rng.normal(0.3, 1, groups.size)  # continuous: no ties, no zeros
    result = grouped_wilcoxon(first, second, groups, 8)
    assert result.exact.all()
    for g in range(8):
        m = groups == g
        ref = stats.wilcoxon(second[m], first[m], method="exact")
        assert_allclose(result.statistic[g], ref.statistic, rtol=1e-12)
        assert_allclose(result.pvalue[g], ref.pvalue, rtol=1e-10)


def test_wilcoxon_forced_exact_with_ties_rounds_like_scipy():
    first, second, groups = _rounds(5, n=150, n_groups=6)
    result = grouped_wilcoxon(first, second, groups, 6, method="exact")
    for g in range(6):
        m = groups == g
        ref = stats.wilcoxon(second[m], first[m], method="exact")
        assert_allclose(result.pvalue[g], ref.pvalue, rtol=1e-10)


def test_wilcoxon_auto_picks_exact_only_without_ties_or_zeros():
    first = np.array([0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    second = np.array([1.0, 2, 3, 4, -5, 6, 1, 1, 2, 0, -3, 4])
    groups = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    result = grouped_wilcoxon(first, second, groups, 3)
    assert result.exact.tolist() == [True, False, False]
    assert result.n.tolist() == [6, 5, 0]
    with pytest.raises(ValueError, match="method must be"):
        grouped_wilcoxon(first, second, groups, 3, method="permutation")


def test_wilcoxon_refuses_mismatched_rounds():
    with pytest.raises(ValueError, match="first and second must have one shape"):
        grouped_wilcoxon([1.0, 2.0], [1.0], [0, 0], 1)
    with pytest.raises(ValueError, match=r"second\[1\] is nan"):
        grouped_wilcoxon([1.0, 2.0], [1.0, np.nan], [0, 0], 1)


def test_mean_absolute_change_known_values():
    result = grouped_mean_absolute_change(
        [10, 20, 30, 50, 0.5], [15, 10, 30, 60, 0.25], [0, 0, 0, 1, 3], 4
    )
    assert_allclose(result[[0, 1, 3]], [5.0, 10.0, 0.25])
    assert np.isnan(result[2])
    weighted = grouped_mean_absolute_change([0, 0], [1, 4], [0, 0], 1, weights=[3, 1])
    assert_allclose(weighted, [7 / 4])


# --- bootstrap --------------------------------------------------------------------------


def grouped_mean(values, groups, n_groups, weights=None):
    w = np.ones_like(values) if weights is None else weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(groups, weights=w * values, minlength=n_groups) / np.bincount(
            groups, weights=w, minlength=n_groups
        )


def test_bootstrap_is_the_loop_over_resamples_it_replaces():
    rng = np.random.default_rng(11)
    groups = rng.integers(0, 5, 60)
    values = rng.normal(groups, 1.0)
    weights = rng.uniform(0.5, 2, 60)
    result = grouped_bootstrap_ci(
        grouped_mean, values, groups, 6, weights, n_resamples=300, seed=42
    )
    # reference: the same uniforms, one resample and one group at a time, the experts of
    # a group taken in order of value, then weight
    u = np.random.default_rng(42).random((300, 60))
    order = np.lexsort((weights, values, groups))
    replicates = np.full((300, 6), np.nan)
    for b in range(300):
        for g in range(5):
            positions = np.flatnonzero(groups[order] == g)
            members = order[positions]
            pick = members[np.floor(u[b, positions] * members.size).astype(int)]
            replicates[b, g] = np.average(values[pick], weights=weights[pick])
    assert_allclose(result.low[:5], np.quantile(replicates[:, :5], 0.025, axis=0))
    assert_allclose(result.high[:5], np.quantile(replicates[:, :5], 0.975, axis=0))
    assert_allclose(result.standard_error[:5], replicates[:, :5].std(axis=0, ddof=1))
    assert_allclose(result.estimate, grouped_mean(values, groups, 6, weights), equal_nan=True)
    assert np.isnan(result.low[5]) and np.isnan(result.high[5])


def test_bootstrap_interval_does_not_depend_on_the_order_of_the_rows():
    rng = np.random.default_rng(4)
    groups = rng.integers(0, 4, 80)
    values = np.round(rng.uniform(0, 1, 80), 1)  # ties
    weights = rng.integers(1, 3, 80).astype(float)
    shuffle = rng.permutation(80)
    for w in (None, weights):
        one = grouped_bootstrap_ci(grouped_mean, values, groups, 4, w, n_resamples=200, seed=3)
        other = grouped_bootstrap_ci(
            grouped_mean,
            values[shuffle],
            groups[shuffle],
            4,
            None if w is None else w[shuffle],
            n_resamples=200,
            seed=3,
        )
        assert_allclose(one.low, other.low, rtol=1e-12)
        assert_allclose(one.high, other.high, rtol=1e-12)


def test_bootstrap_same_seed_same_interval_whatever_the_batch_size():
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 4, 80)
    values = rng.uniform(0, 1, 80)
    one = grouped_bootstrap_ci(grouped_mean, values, groups, 4, n_resamples=500, seed=7)
    batched = grouped_bootstrap_ci(
        grouped_mean, values, groups, 4, n_resamples=500, seed=7, max_batch_values=1000
    )
    for a, b in zip(one, batched, strict=True):
        assert_array_equal(a, b)
    other = grouped_bootstrap_ci(grouped_mean, values, groups, 4, n_resamples=500, seed=8)
    assert not np.array_equal(one.low, other.low)


def test_bootstrap_standard_error_of_a_mean_is_about_sd_over_root_n():
    rng = np.random.default_rng(5)
    values = rng.normal(0, 2.0, 400)
    groups = np.repeat([0, 1], 200)
    result = grouped_bootstrap_ci(grouped_mean, values, groups, 2, n_resamples=4000, seed=0)
    sd = np.array([values[:200].std(), values[200:].std()])
    assert_allclose(result.standard_error, sd / np.sqrt(200), rtol=0.06)
    assert np.all(result.low < result.estimate) and np.all(result.estimate < result.high)


def test_bootstrap_of_a_statistic_with_trailing_axes_and_a_constant_group():
    def quartiles(values, groups, n_groups):
        return grouped_quantiles(values, groups, n_groups, [0.25, 0.75])

    values = np.array([3.0, 3.0, 3.0, 1.0, 5.0, 9.0, 2.0])
    groups = np.array([0, 0, 0, 1, 1, 1, 1])
    result = grouped_bootstrap_ci(quartiles, values, groups, 2, n_resamples=200, seed=1)
    assert result.low.shape == (2, 2)
    assert_array_equal(result.low[0], [3.0, 3.0])
    assert_array_equal(result.high[0], [3.0, 3.0])
    assert np.all(result.low[1] <= result.high[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_resamples": 1}, "n_resamples must be an integer of at least 2"),
        ({"n_resamples": 2.5}, "n_resamples must be an integer of at least 2, got 2.5"),
        ({"level": None}, "level must be a finite number, got None"),
        ({"level": 1.0}, r"level must be in \(0, 1\)"),
        ({"pool": lambda v, g, n: np.zeros(n + 1)}, r"pool returned shape \(3,\)"),
    ],
)
def test_bootstrap_refuses_bad_arguments(kwargs, message):
    pool = kwargs.pop("pool", grouped_mean)
    with pytest.raises(ValueError, match=message):
        grouped_bootstrap_ci(pool, [1.0, 2.0], [0, 1], 2, **kwargs)


def test_bootstrap_reaches_a_pool_by_name_as_calling_it_directly():
    from elicit.core import pooling

    rng = np.random.default_rng(9)
    groups = rng.integers(0, 6, 120)
    values = np.round(rng.uniform(0, 1, 120), 2)
    weights = rng.uniform(0.5, 2, 120)
    for w in (None, weights):
        by_name = grouped_bootstrap_ci("median", values, groups, 7, w, n_resamples=50, seed=2)
        direct = grouped_bootstrap_ci(
            pooling.median_pool, values, groups, 7, w, n_resamples=50, seed=2
        )
        for a, b in zip(by_name, direct, strict=True):
            assert_array_equal(a, b)
        assert_array_equal(by_name.estimate, pooling.median_pool(values, groups, 7, w))
    with pytest.raises(ValueError, match="unknown pool 'mode'"):
        grouped_bootstrap_ci("mode", values, groups, 7, n_resamples=50)
