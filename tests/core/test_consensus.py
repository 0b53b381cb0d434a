"""Grouped quantiles agree with ``np.quantile`` per group, and refuse bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from elicit.core.consensus import grouped_count, grouped_quantiles

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(
    st.lists(st.tuples(finite, st.integers(0, 6)), max_size=60),
    st.lists(st.floats(0, 1), min_size=1, max_size=4),
)
def test_matches_numpy_quantile_for_every_group(pairs, levels):
    values = np.array([v for v, _ in pairs], dtype=float)
    groups = np.array([g for _, g in pairs], dtype=int)
    result = grouped_quantiles(values, groups, 7, levels)
    assert result.shape == (7, len(levels))
    for g in range(7):
        members = values[groups == g]
        if members.size:
            assert_allclose(result[g], np.quantile(members, levels), rtol=1e-12, atol=1e-9)
        else:
            assert np.isnan(result[g]).all()


@given(st.lists(st.tuples(finite, st.integers(0, 4)), min_size=1, max_size=40), st.randoms())
def test_order_of_values_does_not_matter(pairs, random):
    shuffled = pairs[:]
    random.shuffle(shuffled)
    a = grouped_quantiles([v for v, _ in pairs], [g for _, g in pairs], 5, [0.25, 0.5, 0.75])
    b = grouped_quantiles([v for v, _ in shuffled], [g for _, g in shuffled], 5, [0.25, 0.5, 0.75])
    assert_allclose(a, b, equal_nan=True)


def test_known_values():
    result = grouped_quantiles([0.1, 0.9, 0.5, 0.2, 0.4], [0, 0, 0, 1, 1], 3, [0.5, 0.25])
    assert_allclose(result[:2], [[0.5, 0.3], [0.3, 0.25]])
    assert np.isnan(result[2]).all()
    assert grouped_count([0, 0, 2], 4).tolist() == [2, 0, 1, 0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.1, np.nan], [0, 0], 1, [0.5]), r"values\[1\] is nan"),
        (([0.1, 0.2], [0, 3], 2, [0.5]), r"groups\[1\] = 3 is outside \[0, 2\)"),
        (([0.1, 0.2], [0], 1, [0.5]), "1-d arrays of one length"),
        (([0.1], [0.5], 1, [0.5]), "groups must be integers"),
        (([0.1], [0], 1, [1.5]), r"q must be levels in \[0, 1\]"),
        (([0.1], [0], -1, [0.5]), "n_groups must be an integer of at least 0"),
    ],
)
def test_bad_input_raises_value_error_naming_it(args, message):
    with pytest.raises(ValueError, match=message):
        grouped_quantiles(*args)


def test_core_imports_no_web_or_database_library():
    import ast
    from pathlib import Path

    import elicit.core

    for path in Path(elicit.core.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        names |= {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not names & {"flask", "werkzeug", "sqlalchemy", "flask_sqlalchemy", "elicit"}, path


def test_grouped_mean_matches_numpy_per_group_with_and_without_weights():
    from elicit.core.consensus import grouped_mean

    rng = np.random.default_rng(7)
    values = rng.normal(100, 30, 500)
    groups = rng.integers(0, 12, 500)
    weights = rng.uniform(0, 2, 500)
    got = grouped_mean(values, groups, 13)
    weighted = grouped_mean(values, groups, 13, weights)
    for g in range(12):
        chosen = groups == g
        assert got[g] == pytest.approx(values[chosen].mean())
        assert weighted[g] == pytest.approx(np.average(values[chosen], weights=weights[chosen]))
    assert np.isnan(got[12]) and np.isnan(weighted[12])
    with pytest.raises(ValueError, match="values"):
        grouped_mean([1.0, np.inf], [0, 0], 1)
