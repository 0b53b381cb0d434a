"""Binary probability pools: published reference values, properties, and refusal of bad input."""

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, logit

from elicit.core import pooling
from elicit.core.pooling import (
    CLIP_EPSILON,
    METHODS,
    extremized_log_odds_pool,
    geometric_mean_pool,
    grouped_sort,
    linear_pool,
    log_odds_pool,
    median_pool,
    metaculus_recency_weights,
    neyman_roughgarden_factor,
    pool_all,
    probit_pool,
    recency_weighted_median_pool,
    trimmed_mean_pool,
)

N_GROUPS = 5
probability = st.floats(0, 1, allow_nan=False)
weight = st.floats(0.01, 100, allow_nan=False)
judgments = st.lists(st.tuples(probability, st.integers(0, N_GROUPS - 1), weight), max_size=40)


def _columns(matrix):
    """Metaculus's test layout (rows: forecasters, columns: questions) as grouped arrays."""
    m = np.asarray(matrix, dtype=float)
    return m.T.ravel(), np.repeat(np.arange(m.shape[1]), m.shape[0]), m.shape[1]


def _members(values, groups, k):
    return np.asarray(values)[np.asarray(groups) == k]


# Metaculus's published test vectors ########################################################
# tests/unit/test_utils/test_the_math/test_measures.py (weighted_percentile_2d, 50th
# percentile) and test_aggregations.py (RecencyWeightedAggregation) in
# github.com/Metaculus/metaculus. Binary forecasts there are [P(no), P(yes)] pairs.


@pytest.mark.parametrize(
    ("matrix", "weights", "expected"),
    [
        ([[0.5, 0.5], [0.6, 0.4]], None, [0.55, 0.45]),
        ([[0.3, 0.7], [0.6, 0.4], [0.1, 0.9]], None, [0.3, 0.7]),
        ([[0.5, 0.5], [0.6, 0.4], [0.1, 0.9]], [0.1, 0.1, 1.0], [0.1, 0.9]),
        ([[0.33, 0.33, 0.34], [0.0, 0.5, 0.5], [0.4, 0.2, 0.4]], None, [0.33, 0.33, 0.4]),
        ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], None, [0.0, 0.0, 0.0]),
        (
            [[0.33, 0.33, 0.34], [0.0, 0.5, 0.5], [0.4, 0.2, 0.4], [0.2, 0.6, 0.2]],
            None,
            [0.265, 0.415, 0.37],
        ),
        (
            [[0.33, 0.33, 0.34], [0.0, 0.5, 0.5], [0.4, 0.2, 0.4], [0.2, 0.6, 0.2]],
            [0.1, 0.2, 0.3, 0.4],
            [0.2, 0.5, 0.37],
        ),
    ],
)
def test_weighted_median_matches_metaculus_test_vectors(matrix, weights, expected):
    values, groups, n_groups = _columns(matrix)
    w = None if weights is None else np.tile(weights, n_groups)
    assert_allclose(median_pool(values, groups, n_groups, w), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("yes", "expected"),
    [
        ([0.5], 0.5),
        ([0.8, 0.6], 0.7),
        ([0.8, 0.7, 0.6], 0.7),
        ([0.9, 0.7, 0.6], 0.7),
        ([0.8, 0.7, 0.5, 0.6], 0.6),
    ],
)
def test_recency_weighted_median_matches_metaculus_test_vectors(yes, expected):
    groups = np.zeros(len(yes), dtype=int)
    assert_allclose(recency_weighted_median_pool(yes, groups, 1), [expected], rtol=1e-12)
    # the same forecasts made at the listed times, handed over in reverse
    times = np.arange(len(yes), dtype=float)
    reversed_ = recency_weighted_median_pool(yes[::-1], groups, 1, times=times[::-1])
    assert_allclose(reversed_, [expected], rtol=1e-12)


def test_recency_weights_and_weighted_mean_match_metaculus_test_vectors():
    # histogram weights and recency-weighted means for forecasts made in 2021, 2022, 2023
    weights = metaculus_recency_weights([0, 0, 0], 1)
    assert_allclose(weights, [0.48092170020263214, 0.7277212189012763, 1.0], rtol=1e-14)
    assert_allclose(linear_pool([0.8, 0.7, 0.6], [0, 0, 0], 1, weights), [0.6764978623159252])
    four = metaculus_recency_weights([0, 0, 0, 0], 1)
    assert_allclose(linear_pool([0.8, 0.7, 0.5, 0.6], [0] * 4, 1, four), [0.6196126164947732])
    assert_array_equal(metaculus_recency_weights([0, 0, 1], 2), [1.0, 1.0, 1.0])


def test_forecasts_made_at_the_same_time_share_their_recency_weights():
    ranks = np.exp(np.sqrt([1, 2, 3]) - np.sqrt(3))
    shared = (ranks[0] + ranks[1]) / 2
    weights = metaculus_recency_weights([0, 0, 0], 1, times=[7.0, 3.0, 3.0])
    assert_allclose(weights, [1.0, shared, shared], rtol=1e-14)


def test_recency_weights_follow_times_within_each_question():
    weights = metaculus_recency_weights([1, 0, 1, 1, 0, 0], 2, times=[5.0, 2, 1, 3, 0, 1])
    n = 3
    expected = [np.exp(np.sqrt(k) - np.sqrt(n)) for k in (3, 3, 1, 2, 1, 2)]
    assert_allclose(weights, expected, rtol=1e-14)


# Neyman-Roughgarden extremization factor ##################################################


def test_neyman_roughgarden_factor_closed_forms():
    d = neyman_roughgarden_factor([1, 2, 3, 4, 10])
    expected = [
        1.0,
        2 * (math.sqrt(7) - 2),
        3 * (math.sqrt(19) - 2) / 5,
        4 * (math.sqrt(37) - 2) / 11,
        10 * (math.sqrt(271) - 2) / 89,
    ]
    assert_allclose(d, expected, rtol=1e-14)
    assert_allclose(d[:2], [1.0, 1.2915026221291814], rtol=1e-14)


def test_neyman_roughgarden_factor_grows_to_root_three():
    d = neyman_roughgarden_factor(np.arange(1, 2000))
    assert np.all(np.diff(d) > 0)
    assert_allclose(neyman_roughgarden_factor(1e8), math.sqrt(3), rtol=1e-8)
    assert np.all(d < math.sqrt(3))


def test_extremized_pool_uses_the_factor_of_the_number_of_forecasts():
    p = [0.6, 0.7, 0.8, 0.3, 0.4]
    groups = [0, 0, 0, 1, 1]
    mean_z = [np.mean(logit(p[:3])), np.mean(logit(p[3:]))]
    d = neyman_roughgarden_factor([3, 2])
    assert_allclose(extremized_log_odds_pool(p, groups, 2), expit(d * mean_z), rtol=1e-13)
    assert_allclose(extremized_log_odds_pool(p, groups, 2, d=2.5), expit(2.5 * np.array(mean_z)))
    # a zero-weight forecast does not count towards n
    w = [1, 1, 0, 1, 1]
    z01 = np.mean(logit(p[:2]))
    expected0 = expit(neyman_roughgarden_factor(2) * z01)
    assert_allclose(extremized_log_odds_pool(p, groups, 2, w)[0], expected0, rtol=1e-13)


# Known values #############################################################################


def test_hand_computed_values():
    assert_allclose(log_odds_pool([0.2, 0.8], [0, 0], 1), [0.5])
    assert_allclose(log_odds_pool([0.5, 0.9], [0, 0], 1), [0.75])  # odds 1 and 9 -> 3
    assert_allclose(geometric_mean_pool([0.25, 1.0], [0, 0], 1), [0.5])
    assert_allclose(geometric_mean_pool([0.0, 0.9], [0, 0], 1), [0.0])
    assert_allclose(probit_pool([0.5], [0], 1), [0.5])
    assert_allclose(probit_pool([0.1, 0.9], [0, 0], 1), [0.5])
    assert_allclose(trimmed_mean_pool([0.1, 0.2, 0.3, 0.9], [0] * 4, 1, fraction=0.25), [0.25])
    assert_allclose(linear_pool([0.2, 0.6], [0, 0], 1, [3, 1]), [0.3])
    assert_allclose(log_odds_pool([0.0, 1.0], [0, 0], 1), [0.5])
    assert_allclose(log_odds_pool([0.0], [0], 1), [CLIP_EPSILON])
    assert_allclose(log_odds_pool([0.0], [0], 1, eps=1e-6), [1e-6])


@given(judgments)
def test_unweighted_pools_agree_with_numpy_and_scipy(rows):
    values = np.array([p for p, _, _ in rows])
    groups = np.array([g for _, g, _ in rows], dtype=int)
    got = {name: pool(values, groups, N_GROUPS) for name, pool in METHODS.items()}
    trimmed = trimmed_mean_pool(values, groups, N_GROUPS, fraction=0.3)
    for k in range(N_GROUPS):
        x = _members(values, groups, k)
        if not x.size:
            assert all(np.isnan(r[k]) for r in got.values())
            continue
        clipped = np.clip(x, CLIP_EPSILON, 1 - CLIP_EPSILON)
        assert_allclose(got["linear"][k], np.mean(x), rtol=1e-12, atol=1e-15)
        assert_allclose(got["median"][k], np.median(x), rtol=1e-15)
        assert_allclose(got["trimmed_mean"][k], scipy.stats.trim_mean(x, 0.1), atol=1e-14)
        assert_allclose(trimmed[k], scipy.stats.trim_mean(x, 0.3), atol=1e-14)
        with np.errstate(divide="ignore"):
            assert_allclose(got["geometric_mean"][k], scipy.stats.gmean(x), atol=1e-14)
        assert_allclose(got["log_odds"][k], expit(np.mean(logit(clipped))), atol=1e-13)
        probit = scipy.stats.norm.cdf(np.mean(scipy.stats.norm.ppf(clipped)))
        assert_allclose(got["probit"][k], probit, atol=1e-12)


@given(judgments)
def test_weighted_pools_agree_with_weighted_formulas(rows):
    values = np.array([p for p, _, _ in rows])
    groups = np.array([g for _, g, _ in rows], dtype=int)
    weights = np.array([w for _, _, w in rows])
    for k in range(N_GROUPS):
        x, w = _members(values, groups, k), _members(weights, groups, k)
        if not x.size:
            continue
        clipped = np.clip(x, CLIP_EPSILON, 1 - CLIP_EPSILON)
        assert_allclose(linear_pool(values, groups, N_GROUPS, weights)[k], np.average(x, weights=w))
        with np.errstate(divide="ignore"):
            geometric = np.exp(np.average(np.log(x), weights=w))
        assert_allclose(
            geometric_mean_pool(values, groups, N_GROUPS, weights)[k], geometric, atol=1e-14
        )
        log_odds = expit(np.average(logit(clipped), weights=w))
        assert_allclose(log_odds_pool(values, groups, N_GROUPS, weights)[k], log_odds)


@given(
    st.lists(st.tuples(probability, st.integers(0, N_GROUPS - 1), st.integers(0, 4)), max_size=40)
)
def test_integer_weights_act_as_repeated_forecasts_in_the_median(rows):
    values = np.array([p for p, _, _ in rows])
    groups = np.array([g for _, g, _ in rows], dtype=int)
    counts = np.array([c for _, _, c in rows])
    totals = np.bincount(groups, weights=counts, minlength=N_GROUPS)
    present = np.bincount(groups, minlength=N_GROUPS) > 0
    assume(np.all(totals[present] > 0))
    result = median_pool(values, groups, N_GROUPS, counts)
    for k in np.flatnonzero(present):
        repeated = np.repeat(_members(values, groups, k), _members(counts, groups, k))
        assert_allclose(result[k], np.median(repeated), rtol=1e-15)


# Properties ###############################################################################


@given(probability, st.integers(1, 12), weight)
def test_identical_forecasts_pool_to_that_forecast(p, n, w):
    values, groups = np.full(n, p), np.zeros(n, dtype=int)
    clipped = min(max(p, CLIP_EPSILON), 1 - CLIP_EPSILON)
    for weights in (None, np.full(n, w)):
        for name, pool in METHODS.items():
            result = pool(values, groups, 1, weights)
            if name == "extremized_log_odds":
                fixed = extremized_log_odds_pool(values, groups, 1, weights, d=1.0)
                assert_allclose(fixed, [clipped], rtol=1e-12, err_msg=name)
            elif name in ("log_odds", "probit"):
                assert_allclose(result, [clipped], rtol=1e-9, err_msg=name)
            else:
                assert_allclose(result, [p], rtol=1e-12, atol=1e-300, err_msg=name)


@settings(max_examples=50)
@given(judgments, st.randoms(use_true_random=False))
def test_order_of_experts_does_not_matter(rows, random):
    assume(rows)
    values = np.array([p for p, _, _ in rows])
    groups = np.array([g for _, g, _ in rows], dtype=int)
    weights = np.array([w for _, _, w in rows])
    times = np.floor(weights) % 4  # forecasts made at the same time, too
    permutation = list(range(len(rows)))
    random.shuffle(permutation)
    for w in (None, weights):
        before = pool_all(values, groups, N_GROUPS, w, times=times)
        wp = None if w is None else w[permutation]
        after = pool_all(
            values[permutation], groups[permutation], N_GROUPS, wp, times=times[permutation]
        )
        for name in METHODS:
            assert_allclose(after[name], before[name], rtol=1e-12, atol=1e-15, equal_nan=True)


@given(judgments)
def test_every_pool_stays_in_the_unit_interval(rows):
    values = np.array([p for p, _, _ in rows])
    groups = np.array([g for _, g, _ in rows], dtype=int)
    weights = np.array([w for _, _, w in rows])
    for w in (None, weights):
        for name, result in pool_all(values, groups, N_GROUPS, w).items():
            present = np.bincount(groups, minlength=N_GROUPS) > 0
            assert np.all(np.isnan(result) == ~present), name
            assert np.all((result[present] >= 0) & (result[present] <= 1)), name


@given(judgments, st.floats(1e-3, 1e3))
def test_equal_weights_give_the_unweighted_pool(rows, w):
    values = np.array([p for p, _, _ in rows])
    groups = np.array([g for _, g, _ in rows], dtype=int)
    equal = np.full(values.size, w)
    for name, pool in METHODS.items():
        assert_allclose(
            pool(values, groups, N_GROUPS, equal),
            pool(values, groups, N_GROUPS),
            rtol=1e-12,
            atol=1e-15,
            equal_nan=True,
            err_msg=name,
        )


@given(judgments)
def test_pool_all_equals_each_pool(rows):
    values = np.array([p for p, _, _ in rows])
    groups = np.array([g for _, g, _ in rows], dtype=int)
    weights = np.array([w for _, _, w in rows])
    every = pool_all(values, groups, N_GROUPS, weights)
    assert list(every) == list(METHODS)
    for name, pool in METHODS.items():
        assert_allclose(every[name], pool(values, groups, N_GROUPS, weights), equal_nan=True)


@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.integers(0, N_GROUPS - 1)), max_size=50))
def test_grouped_sort_sorts_each_group(rows):
    values = np.array([v for v, _ in rows])
    groups = np.array([g for _, g in rows], dtype=int)
    order, counts, starts = grouped_sort(values, groups, N_GROUPS)
    assert sorted(order.tolist()) == list(range(len(rows)))
    assert_array_equal(counts, np.bincount(groups, minlength=N_GROUPS))
    assert_array_equal(groups[order], np.repeat(np.arange(N_GROUPS), counts))
    for k in range(N_GROUPS):
        assert_array_equal(
            values[order][starts[k] : starts[k] + counts[k]], np.sort(values[groups == k])
        )


def test_uneven_groups_and_many_groups_use_the_fallback_sorts():
    rng = np.random.default_rng(7)
    # one large group among many single forecasts: too wide to pad
    groups = np.concatenate([np.zeros(5000, dtype=int), np.arange(1, 3001)])
    values = rng.random(groups.size)
    sort = grouped_sort(values, groups, 3001)
    assert_array_equal(values[sort.order], values[np.lexsort((values, groups))])
    assert_allclose(median_pool(values, groups, 3001)[0], np.median(values[:5000]))
    # more than 2**16 groups: no 16-bit radix sort
    groups = rng.integers(0, 70_000, 20_000)
    values = rng.random(groups.size)
    sort = grouped_sort(values, groups, 70_000)
    assert_array_equal(values[sort.order], values[np.lexsort((values, groups))])


def test_presorted_is_shared_and_equal_to_sorting_again():
    rng = np.random.default_rng(3)
    values, groups = rng.random(300), rng.integers(0, 9, 300)
    shared = grouped_sort(values, groups, 9)
    for pool in (median_pool, trimmed_mean_pool, recency_weighted_median_pool):
        assert_array_equal(pool(values, groups, 9, presorted=shared), pool(values, groups, 9))


def test_empty_questions_and_empty_input_give_nan():
    for name, pool in METHODS.items():
        result = pool([0.3, 0.4], [2, 2], 4)
        assert np.isnan(result[[0, 1, 3]]).all(), name
        assert np.isfinite(result[2]), name
        assert pool([], [], 3).shape == (3,)
        assert np.isnan(pool([], [], 3)).all(), name
        assert pool([], [], 0).shape == (0,)


def test_weighted_trimming_drops_whole_forecasts_only():
    # weights 1, 1, 2: the lowest 25 % of weight is the first forecast, kept whole otherwise
    result = trimmed_mean_pool([0.1, 0.5, 0.9], [0, 0, 0], 1, [1, 1, 2], fraction=0.25)
    assert_allclose(result, [(0.5 + 2 * 0.9) / 3])
    assert_allclose(trimmed_mean_pool([0.1, 0.5, 0.9], [0] * 3, 1, [1, 1, 2], fraction=0.2), [0.6])


# Refusing bad input #######################################################################


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: linear_pool([0.1, 1.2], [0, 0], 1), r"values\[1\] is 1.2, outside \[0, 1\]"),
        (lambda: median_pool([0.1, -0.1], [0, 0], 1), r"values\[1\] is -0.1, outside"),
        (lambda: log_odds_pool([np.nan], [0], 1), r"values\[0\] is nan, not a finite number"),
        (lambda: probit_pool([0.1, 0.2], [0, 2], 2), r"groups\[1\] = 2 is outside \[0, 2\)"),
        (lambda: geometric_mean_pool([0.1, 0.2], [0], 1), "1-d arrays of one length"),
        (lambda: linear_pool([0.1], [0.0], 1), "groups must be integers"),
        (lambda: linear_pool([0.1], [0], 1, [-1.0]), r"weights\[0\] is -1.0"),
        (lambda: linear_pool([0.1], [0], 1, [1.0, 2.0]), r"weights must have shape \(1,\)"),
        (lambda: median_pool([0.1, 0.2], [0, 1], 2, [1, 0]), "weights of group 1 sum to 0"),
        (lambda: trimmed_mean_pool([0.1], [0], 1, fraction=0.5), r"fraction must be in \[0, 0.5\)"),
        (lambda: trimmed_mean_pool([0.1], [0], 1, fraction=-0.1), "fraction must be in"),
        (
            lambda: trimmed_mean_pool([0.16, 0.98], [0, 0], 1, [1.0, 1.0], fraction=0.4999999999),
            "at least 2e-10 below 0.5",
        ),
        (
            lambda: median_pool(np.full(5000, 0.5), np.zeros(5000, int), 1, np.full(5000, 1e308)),
            "sum overflows",
        ),
        (lambda: log_odds_pool([0.1], [0], 1, eps=0), r"eps must be in \(0, 0.5\)"),
        (lambda: probit_pool([0.1], [0], 1, eps=0.5), r"eps must be in \(0, 0.5\)"),
        (lambda: extremized_log_odds_pool([0.1], [0], 1, d=0), "d must be a positive finite"),
        (lambda: extremized_log_odds_pool([0.1], [0], 1, d=np.inf), "d must be a positive"),
        (
            lambda: recency_weighted_median_pool([0.1, 0.2], [0, 0], 1, times=[0, np.nan]),
            r"times\[1\] is nan, not a finite number",
        ),
        (
            lambda: recency_weighted_median_pool([0.1, 0.2], [0, 0], 1, times=[0]),
            r"times must have shape \(2,\)",
        ),
        (
            lambda: median_pool([0.1, 0.2], [0, 0], 1, presorted=grouped_sort([0.1], [0], 1)),
            "presorted does not fit",
        ),
        (lambda: neyman_roughgarden_factor([2, 0]), r"n\[1\] is 0.0, not a whole number"),
        (lambda: neyman_roughgarden_factor(2.5), r"n\[0\] is 2.5, not a whole number"),
        (lambda: metaculus_recency_weights([0, 3], 2), r"groups\[1\] = 3 is outside"),
        (lambda: grouped_sort([0.1, np.inf], [0, 0], 1), r"values\[1\] is inf"),
        (lambda: pool_all([0.1, 2.0], [0, 0], 1), r"values\[1\] is 2.0, outside"),
    ],
)
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_recency_weights_that_underflow_leave_no_weight_and_are_refused():
    # exp(1 - sqrt(N)) underflows to 0 for N > ~555,000; weight only on the oldest forecast
    n = 600_000
    weights = np.zeros(n)
    weights[0] = 1.0
    with pytest.raises(ValueError, match="weights of group 0 sum to 0"):
        recency_weighted_median_pool(np.full(n, 0.5), np.zeros(n, dtype=int), 1, weights)


def test_module_exposes_every_pool_by_name():
    assert set(METHODS) == {
        "linear",
        "median",
        "trimmed_mean",
        "geometric_mean",
        "log_odds",
        "extremized_log_odds",
        "probit",
        "recency_weighted_median",
    }
    assert pooling.geometric_mean_of_odds_pool is log_odds_pool


# The binned median-type pools at scale, against one sort per question ####################


def _reference_weighted_median(p, w):
    order = np.argsort(p, kind="stable")
    p, w = p[order], w[order]
    share = np.cumsum(w) / w.sum()
    left = np.argmax(share >= 0.5 - pooling.TIE_TOLERANCE)
    right = np.argmax(share > 0.5 + pooling.TIE_TOLERANCE)
    return 0.5 * (p[left] + p[right])


def _reference_weighted_trimmed_mean(p, w, alpha=pooling.DEFAULT_TRIM_FRACTION):
    order = np.argsort(p, kind="stable")
    p, w = p[order], w[order]
    _, tie, count = np.unique(p, return_inverse=True, return_counts=True)
    w = (np.bincount(tie, weights=w) / count)[tie]
    share = np.cumsum(w) / w.sum()
    tol = pooling.TIE_TOLERANCE
    keep = (share > alpha + tol) & (share - w / w.sum() < 1 - alpha - tol)
    return np.average(p[keep], weights=w[keep])


def _reference_recency_median(p, t):
    n = p.size
    if n <= 2:
        return np.median(p)
    rank = np.empty(n)
    rank[np.argsort(t, kind="stable")] = np.arange(1, n + 1)
    recency = np.exp(np.sqrt(rank) - np.sqrt(n))
    _, same, count = np.unique(t, return_inverse=True, return_counts=True)
    return _reference_weighted_median(p, (np.bincount(same, weights=recency) / count)[same])


def _spread(kind, rng, n):
    if kind == "whole percent":
        values = np.round(rng.beta(2, 2, n), 2)
        values[rng.random(n) < 0.01] = 0.0
        return values
    if kind == "uniform":
        return rng.random(n)
    if kind == "consensus":  # most in one bin: sorted instead
        return np.where(rng.random(n) < 0.8, 0.7, np.round(rng.random(n), 2))
    if kind == "narrow":  # all in a range of 1e-9 but for one 0 and one 1
        values = 0.5 + 1e-9 * rng.random(n)
        values[:2] = 0.0, 1.0
        return values
    return np.full(n, 0.3)  # "constant"


@pytest.mark.parametrize("kind", ["whole percent", "uniform", "consensus", "narrow", "constant"])
@pytest.mark.parametrize("n_groups", [40, 2000])
def test_median_type_pools_match_a_sort_of_each_question(kind, n_groups):
    # 40 questions: ~75 bins each; 2000 questions: a handful of judgments each, sorted
    rng = np.random.default_rng(11)
    n = 6000
    groups = rng.integers(0, n_groups, n)
    values = _spread(kind, rng, n)
    weights = rng.gamma(2.0, 1.0, n)
    weights[rng.random(n) < 0.2] = 0.0
    weights[np.unique(groups, return_index=True)[1]] = 1.0  # every question has weight
    times = rng.integers(0, 40, n).astype(float)  # with ties
    median = median_pool(values, groups, n_groups)
    weighted = median_pool(values, groups, n_groups, weights)
    trimmed = trimmed_mean_pool(values, groups, n_groups)
    trimmed_w = trimmed_mean_pool(values, groups, n_groups, weights)
    recency = recency_weighted_median_pool(values, groups, n_groups, times=times)
    for k in range(n_groups):
        x, w, t = (_members(a, groups, k) for a in (values, weights, times))
        if not x.size:
            assert np.isnan(median[k]) and np.isnan(trimmed_w[k])
            continue
        assert median[k] == np.median(x)
        assert weighted[k] == _reference_weighted_median(x, w)
        assert_allclose(trimmed[k], scipy.stats.trim_mean(x, 0.1), rtol=1e-12, atol=1e-15)
        ref = _reference_weighted_trimmed_mean(x, w)
        assert_allclose(trimmed_w[k], ref, rtol=1e-12, atol=1e-15)
        assert recency[k] == _reference_recency_median(x, t)


@pytest.mark.parametrize("kind", ["whole percent", "consensus", "narrow"])
def test_presorted_gives_the_same_pools_whether_binned_or_sorted(kind):
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 30, 9000)
    values = _spread(kind, rng, groups.size)
    weights = rng.gamma(2.0, 1.0, groups.size)
    shared = grouped_sort(values, groups, 30)
    for pool in (median_pool, trimmed_mean_pool, recency_weighted_median_pool):
        for w in (None, weights):
            assert_array_equal(
                pool(values, groups, 30, w, presorted=shared), pool(values, groups, 30, w)
            )
    every = pool_all(values, groups, 30, weights)
    assert_array_equal(every["trimmed_mean"], trimmed_mean_pool(values, groups, 30, weights))


@pytest.mark.parametrize("steps", [100, 1000, None])
def test_probit_table_of_whole_percents_equals_ndtri_of_each(steps):
    rng = np.random.default_rng(2)
    n = 5000
    if steps is None:  # near the grid but off it: no table
        values = np.round(rng.random(n), 2)
        values[7] = np.nextafter(0.37, 1.0)
    else:
        values = np.round(rng.random(n), 3 if steps == 1000 else 2)
    clipped = np.clip(values, CLIP_EPSILON, 1 - CLIP_EPSILON)
    assert_array_equal(pooling._probit(values, CLIP_EPSILON), scipy.special.ndtri(clipped))
    groups = rng.integers(0, 20, n)
    expected = [
        scipy.special.ndtr(np.mean(scipy.special.ndtri(clipped[groups == k]))) for k in range(20)
    ]
    assert_allclose(probit_pool(values, groups, 20), expected, rtol=1e-13)


# Probabilities on a grid (whole percents, per mille): the bins are the grid ##############


@pytest.mark.parametrize(
    ("decimals", "n_groups", "steps"),
    [(2, 40, 100), (3, 4, 1000), (3, 40, None), (None, 40, None)],
)
def test_probabilities_on_a_grid_are_binned_on_it(decimals, n_groups, steps):
    # per mille on 40 questions would need 40,040 bins for 6,000 judgments: not a grid
    rng = np.random.default_rng(3)
    values = rng.random(6000) if decimals is None else np.round(rng.random(6000), decimals)
    groups = rng.integers(0, n_groups, values.size)
    bins = pooling._Bins(values, groups, n_groups)
    assert bins.steps == steps
    if steps:
        assert_array_equal(bins.value(bins.key), values)  # every judgment has its bin's value


@pytest.mark.parametrize("decimals", [2, 3])
@pytest.mark.parametrize("weighting", ["none", "gamma", "equal", "integer", "some zero"])
def test_median_type_pools_on_a_grid_match_a_sort_of_each_question(decimals, weighting):
    rng = np.random.default_rng(17)
    n_groups = 40 if decimals == 2 else 4
    groups = rng.integers(0, n_groups, 6000)
    # bunched: many ties, so trimming and median cuts fall inside runs of equal values
    values = np.round(np.clip(rng.normal(0.6, 0.04, groups.size), 0, 1), decimals)
    # a consensus on the first question: every kept judgment lies in one bin
    values[(groups == 0) & (rng.random(groups.size) < 0.9)] = 0.7
    weights = {
        "none": None,
        "gamma": rng.gamma(2.0, 1.0, groups.size),
        "equal": np.full(groups.size, 0.1),
        "integer": rng.integers(1, 4, groups.size).astype(float),
        "some zero": np.where(rng.random(groups.size) < 0.3, 0.0, 1.0),
    }[weighting]
    assert pooling._Bins(values, groups, n_groups).steps == 10**decimals
    median = median_pool(values, groups, n_groups, weights)
    trimmed = trimmed_mean_pool(values, groups, n_groups, weights)
    trimmed_quarter = trimmed_mean_pool(values, groups, n_groups, weights, fraction=0.25)
    w = np.ones(groups.size) if weights is None else weights
    for k in range(n_groups):
        x, wk = _members(values, groups, k), _members(w, groups, k)
        if weights is None:
            assert median[k] == np.median(x)
            assert_allclose(trimmed[k], scipy.stats.trim_mean(x, 0.1), rtol=1e-12)
            assert_allclose(trimmed_quarter[k], scipy.stats.trim_mean(x, 0.25), rtol=1e-12)
        else:
            assert median[k] == _reference_weighted_median(x, wk)
            assert_allclose(trimmed[k], _reference_weighted_trimmed_mean(x, wk), rtol=1e-12)
            ref = _reference_weighted_trimmed_mean(x, wk, 0.25)
            assert_allclose(trimmed_quarter[k], ref, rtol=1e-12)
    if weighting == "equal":  # equal weights: the unweighted pools, to rounding
        assert_array_equal(median, median_pool(values, groups, n_groups))
        assert_allclose(trimmed, trimmed_mean_pool(values, groups, n_groups), rtol=1e-12)


def test_grid_and_sorted_paths_agree_on_the_same_whole_percents():
    rng = np.random.default_rng(23)
    groups = rng.integers(0, 30, 9000)
    values = np.round(rng.beta(2, 5, groups.size), 2)
    weights = rng.gamma(1.0, 1.0, groups.size)
    binned, every = pooling._Bins(values, groups, 30), grouped_sort(values, groups, 30)
    assert binned.steps == 100
    for w in (None, weights):
        assert_array_equal(
            pooling._median(values, w, binned), pooling._median_sorted(values, w, every)
        )
        assert_allclose(
            pooling._trimmed_mean(values, w, binned, 0.1),
            pooling._trimmed_mean_sorted(values, w, every, 0.1),
            rtol=1e-12,
        )


# One way into a pool ######################################################################


def test_pool_by_name_is_the_named_pool_with_its_parameters():
    rng = np.random.default_rng(17)
    values, groups = np.round(rng.random(400), 2), rng.integers(0, 12, 400)
    weights, times = rng.gamma(1.0, 1.0, 400), rng.random(400)
    for w in (None, weights):
        for name, method in METHODS.items():
            assert_array_equal(
                pooling.pool(name, values, groups, 13, w), method(values, groups, 13, w)
            )
        assert_array_equal(
            pooling.pool("trimmed_mean", values, groups, 13, w, fraction=0.3),
            trimmed_mean_pool(values, groups, 13, w, fraction=0.3),
        )
        assert_array_equal(
            pooling.pool("recency_weighted_median", values, groups, 13, w, times=times),
            recency_weighted_median_pool(values, groups, 13, w, times=times),
        )
        assert_array_equal(
            pooling.pool(log_odds_pool, values, groups, 13, w, eps=0.01),
            log_odds_pool(values, groups, 13, w, eps=0.01),
        )


def test_pool_passes_weights_only_when_given_and_checks_the_shape():
    def unweighted(values, groups, n_groups):
        return np.bincount(groups, minlength=n_groups).astype(float)

    assert_array_equal(pooling.pool(unweighted, [0.1, 0.2], [0, 0], 2), [2.0, 0.0])
    with pytest.raises(TypeError):
        pooling.pool(unweighted, [0.1, 0.2], [0, 0], 2, [1.0, 1.0])
    with pytest.raises(ValueError, match=r"pool returned shape \(3,\), expected \(2, ...\)"):
        pooling.pool(lambda v, g, n: np.zeros(n + 1), [0.1], [0], 2)
    with pytest.raises(ValueError, match=r"pool returned shape \(\), expected"):
        pooling.pool(lambda v, g, n: 0.5, [0.1], [0], 2)
    with pytest.raises(ValueError, match="unknown pool 'mean'; known: linear, median"):
        pooling.pool("mean", [0.1], [0], 1)
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 0.5\)"):
        pooling.pool("trimmed_mean", [0.1], [0], 1, fraction=0.7)
