"""The one grouped sort and what it gives: checked against NumPy and SciPy group by group."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from elicit.core import consensus, pooling, scoring, sorting
from elicit.core.sorting import (
    TIE_TOLERANCE,
    _cumulative_share,
    _grouped_sort,
    _median_sorted,
    _running_sum,
    _share_ties,
    grouped_quantiles,
    grouped_ranks,
    grouped_sort,
)

N_GROUPS = 5
value = st.floats(-1e6, 1e6, allow_nan=False)
on_a_grid = st.integers(0, 8).map(lambda k: k / 8)  # ties
weight = st.floats(0.01, 100, allow_nan=False)


def _split(rows):
    values = np.array([r[0] for r in rows], dtype=float)
    groups = np.array([r[1] for r in rows], dtype=int)
    return values, groups


def _uneven(rng, n_groups):
    """One large group among many single values: the grid is too wide, the fallback sorts."""
    groups = np.concatenate([np.zeros(3000, dtype=int), np.arange(1, n_groups)])
    return np.round(rng.random(groups.size), 2), groups


def reference_weighted_median(x, w):
    """Metaculus's weighted median of one group, as the pools define it."""
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    share = np.cumsum(w) / w.sum()
    left = np.argmax(share >= 0.5 - TIE_TOLERANCE)
    right = np.argmax(share > 0.5 + TIE_TOLERANCE)
    return 0.5 * (x[left] + x[right])


def test_pooling_consensus_and_scoring_sort_through_this_module():
    assert pooling.grouped_sort is grouped_sort
    assert pooling.GroupedSort is sorting.GroupedSort
    assert pooling.TIE_TOLERANCE == TIE_TOLERANCE
    assert consensus.grouped_quantiles is grouped_quantiles
    assert consensus.grouped_ranks is grouped_ranks
    assert scoring.grouped_ranks is grouped_ranks


@given(st.lists(st.tuples(value, st.integers(0, N_GROUPS - 1)), max_size=60))
def test_median_of_sorted_groups_is_numpys_median(rows):
    values, groups = _split(rows)
    result = _median_sorted(values, None, grouped_sort(values, groups, N_GROUPS))
    for k in range(N_GROUPS):
        members = values[groups == k]
        if members.size:
            assert result[k] == np.median(members)
        else:
            assert np.isnan(result[k])


@given(st.lists(st.tuples(on_a_grid, st.integers(0, N_GROUPS - 1), weight), max_size=60))
def test_weighted_median_of_sorted_groups_is_metaculus_weighted_median(rows):
    values, groups = _split(rows)
    weights = np.array([r[2] for r in rows])
    result = _median_sorted(values, weights, grouped_sort(values, groups, N_GROUPS))
    for k in range(N_GROUPS):
        member = groups == k
        if member.any():
            expected = reference_weighted_median(values[member], weights[member])
            assert_allclose(result[k], expected, rtol=1e-12)


@given(st.lists(st.tuples(on_a_grid, st.integers(0, N_GROUPS - 1), weight), max_size=60))
def test_cumulative_share_and_shared_ties_within_sorted_groups(rows):
    values, groups = _split(rows)
    weights = np.array([r[2] for r in rows])
    sort = grouped_sort(values, groups, N_GROUPS)
    ordered, in_order = values[sort.order], groups[sort.order]
    shared = _share_ties(ordered, weights[sort.order], in_order)
    upto, share = _cumulative_share(shared, sort)
    for k in range(N_GROUPS):
        block = slice(sort.starts[k], sort.starts[k] + sort.counts[k])
        if not sort.counts[k]:
            continue
        assert_allclose(shared[block].sum(), weights[groups == k].sum(), rtol=1e-12)
        for tie in np.unique(ordered[block]):  # equal values: equal weights, same total
            same = ordered[block] == tie
            assert np.ptp(shared[block][same]) <= 1e-12 * shared[block][same].max()
        assert_allclose(upto[block], np.cumsum(share[block]), rtol=1e-12, atol=1e-15)
        assert upto[block][-1] == pytest.approx(1.0, abs=1e-12)


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40), st.data())
def test_running_sum_restarts_at_every_run(x, data):
    x = np.array(x)
    cuts = data.draw(st.sets(st.integers(1, max(x.size - 1, 1)), max_size=5))
    firsts = np.array(sorted({0} | {c for c in cuts if c < x.size}), dtype=np.intp)
    expected = np.concatenate([np.cumsum(run) for run in np.split(x, firsts[1:])])
    assert_allclose(_running_sum(x, firsts), expected, rtol=1e-9, atol=1e-9)


@given(st.lists(st.tuples(value, st.integers(0, N_GROUPS - 1)), max_size=60))
def test_ties_key_orders_equal_values_whatever_the_row_order(rows):
    values, groups = _split(rows)
    ties = np.arange(values.size, dtype=float)[::-1]
    sort = _grouped_sort(values, groups, N_GROUPS, ties=ties)
    assert_array_equal(sort.order, np.lexsort((ties, values, groups)))
    assert_array_equal(sort.counts, np.bincount(groups, minlength=N_GROUPS))
    assert_array_equal(sort.starts, np.cumsum(sort.counts) - sort.counts)


def test_quantiles_and_ranks_on_uneven_and_many_groups_use_the_fallback_sort():
    rng = np.random.default_rng(5)
    for values, groups, n_groups in (
        (*_uneven(rng, 4000), 4000),
        (np.round(rng.random(20_000), 1), rng.integers(0, 70_000, 20_000), 70_000),
    ):
        levels = [0.0, 0.1, 0.5, 0.9, 1.0]
        quantiles = grouped_quantiles(values, groups, n_groups, levels)
        ranks = grouped_ranks(values, groups, n_groups)
        for k in np.unique(groups)[:50]:
            member = groups == k
            assert_allclose(quantiles[k], np.quantile(values[member], levels), rtol=1e-12)
            assert_array_equal(ranks[member], scipy.stats.rankdata(values[member]))


def test_empty_input_sorts_to_empty_groups():
    sort = grouped_sort([], [], 3)
    assert sort.order.shape == (0,)
    assert_array_equal(sort.counts, [0, 0, 0])
    assert np.isnan(grouped_quantiles([], [], 2, [0.5])).all()
    assert grouped_ranks([], [], 2).shape == (0,)
    assert np.isnan(_median_sorted(np.zeros(0), np.zeros(0), sort)).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: grouped_sort([0.1, np.nan], [0, 0], 1), r"values\[1\] is nan"),
        (lambda: grouped_ranks([0.1, 0.2], [0, 2], 2), r"groups\[1\] = 2 is outside"),
        (lambda: grouped_quantiles([0.1], [0], 1, [np.nan]), r"q must be levels in \[0, 1\]"),
    ],
)
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()
