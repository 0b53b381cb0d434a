"""Brier scores and range hits: known values, broadcasting, and refusal of bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from elicit.core.scoring import brier_score, interval_hit

probabilities = st.floats(0, 1, allow_nan=False)


def test_brier_known_values():
    result = brier_score([0.0, 1.0, 0.5, 0.3, 0.3, 0.9], [0, 1, 1, 0, 1, 0])
    assert_allclose(result, [0.0, 0.0, 0.25, 0.09, 0.49, 0.81], rtol=1e-12)
    assert result.dtype == np.float64
    assert result.shape == (6,)


def test_brier_best_and_worst():
    assert_array_equal(brier_score([1.0, 0.0], [1, 0]), [0.0, 0.0])
    assert_array_equal(brier_score([0.0, 1.0], [1, 0]), [1.0, 1.0])


def test_brier_accepts_boolean_outcomes():
    assert_allclose(brier_score([0.2, 0.2], [True, False]), [0.64, 0.04])
    assert_allclose(brier_score([0.2, 0.2], np.array([1.0, 0.0])), [0.64, 0.04])


def test_brier_of_scalars_is_a_single_number():
    result = brier_score(0.7, 1)
    assert np.shape(result) == ()
    assert float(result) == pytest.approx(0.09)


def test_brier_broadcasts_one_outcome_over_many_forecasts():
    assert_allclose(brier_score([0.1, 0.5, 0.8], 1), [0.81, 0.25, 0.04])
    assert_allclose(brier_score(0.25, [0, 1]), [0.0625, 0.5625])


def test_brier_broadcasts_to_a_grid():
    p = np.array([[0.1], [0.6]])
    o = np.array([0, 1, 1])
    result = brier_score(p, o)
    assert result.shape == (2, 3)
    assert_allclose(result, (p - o) ** 2)


def test_brier_of_nothing_is_empty():
    result = brier_score([], [])
    assert result.shape == (0,)


@pytest.mark.parametrize(
    ("probability", "outcome", "message"),
    [
        ([0.5, 1.01], [0, 1], r"probabilities must be finite and in \[0, 1\]"),
        ([-0.01], [0], r"probabilities must be finite and in \[0, 1\]"),
        ([np.nan], [0], r"probabilities must be finite and in \[0, 1\]"),
        ([np.inf], [1], r"probabilities must be finite and in \[0, 1\]"),
        ([35.0], [1], r"probabilities must be finite and in \[0, 1\]"),  # a percentage
        ([0.5], [2], "outcomes must be 0 or 1"),
        ([0.5], [0.5], "outcomes must be 0 or 1"),
        ([0.5], [-1], "outcomes must be 0 or 1"),
        ([0.5], [np.nan], "outcomes must be 0 or 1"),
    ],
)
def test_brier_refuses_bad_input(probability, outcome, message):
    with pytest.raises(ValueError, match=message):
        brier_score(probability, outcome)


def test_brier_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError):
        brier_score([0.1, 0.2, 0.3], [0, 1])


@given(
    st.lists(st.tuples(probabilities, st.booleans()), max_size=50),
)
def test_brier_is_squared_error_within_zero_and_one(pairs):
    p = np.array([x for x, _ in pairs], dtype=float)
    o = np.array([y for _, y in pairs], dtype=int)
    result = brier_score(p, o)
    assert result.shape == p.shape
    assert np.all((result >= 0) & (result <= 1))
    assert_allclose(result, (p - o) ** 2, rtol=0, atol=0)


@given(probabilities)
def test_brier_is_symmetric_in_the_event_and_its_complement(p):
    assert float(brier_score(p, 1)) == pytest.approx(float(brier_score(1 - p, 0)), abs=1e-15)


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=probabilities))
def test_brier_keeps_any_shape(p):
    assert brier_score(p, 0).shape == p.shape
    assert_allclose(brier_score(p, 0), p**2)


# --- interval_hit --------------------------------------------------------------------------


def test_interval_hit_known_values():
    result = interval_hit([1, 1, 1, 1, 1], [3, 3, 3, 3, 3], [0.5, 1, 2, 3, 3.5])
    assert result.dtype == np.bool_
    assert result.tolist() == [False, True, True, True, False]


def test_interval_hit_of_a_point_range():
    assert interval_hit([2, 2], [2, 2], [2, 2.0000001]).tolist() == [True, False]


def test_interval_hit_broadcasts():
    # one realization against many ranges
    assert interval_hit([0, 5, 9], [4, 8, 12], 6).tolist() == [False, True, False]
    # one range against many realizations
    assert interval_hit(0, 10, [-1, 0, 10, 11]).tolist() == [False, True, True, False]
    # a grid: ranges down, realizations across
    result = interval_hit([[0], [5]], [[4], [9]], [1, 6])
    assert result.shape == (2, 2)
    assert result.tolist() == [[True, False], [False, True]]


def test_interval_hit_of_scalars():
    result = interval_hit(1.0, 2.0, 1.5)
    assert np.shape(result) == ()
    assert bool(result) is True


@pytest.mark.parametrize(
    ("lower", "upper", "realization", "message"),
    [
        ([1, 5], [2, 4], [1.5, 4.5], "each range needs lower <= upper"),
        ([np.nan], [1], [0.5], "ranges and realizations must be finite numbers"),
        ([0], [np.inf], [0.5], "ranges and realizations must be finite numbers"),
        ([0], [1], [np.nan], "ranges and realizations must be finite numbers"),
        ([-np.inf], [1], [0], "ranges and realizations must be finite numbers"),
    ],
)
def test_interval_hit_refuses_bad_input(lower, upper, realization, message):
    with pytest.raises(ValueError, match=message):
        interval_hit(lower, upper, realization)


def test_interval_hit_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError):
        interval_hit([0, 1], [1, 2, 3], [0.5])


@given(
    st.lists(
        st.tuples(
            st.floats(-1e9, 1e9, allow_nan=False),
            st.floats(0, 1e9, allow_nan=False),
            st.floats(-1e9, 1e9, allow_nan=False),
        ),
        max_size=40,
    )
)
def test_interval_hit_matches_the_definition(rows):
    low = np.array([a for a, _, _ in rows], dtype=float)
    high = low + np.array([w for _, w, _ in rows], dtype=float)
    x = np.array([r for _, _, r in rows], dtype=float)
    assert_array_equal(interval_hit(low, high, x), (low <= x) & (x <= high))
    # both ends always count as hits
    assert interval_hit(low, high, low).all()
    assert interval_hit(low, high, high).all()
