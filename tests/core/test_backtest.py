"""Backtesting pooling methods: scores, leave-one-question-out fitting, ranking, real data."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, special

from elicit.core.backtest import (
    BacktestResult,
    ExtremizedPool,
    FittedPool,
    backtest,
    fit_extremizing_factor,
)
from elicit.core.consensus import grouped_quantiles

from ._replication_markets import load

# simple pools of our own, in the grouped layout (pooling.py's METHODS have this shape)


def mean_pool(values, groups, n_groups, weights=None):
    w = np.ones_like(values) if weights is None else weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(groups, weights=w * values, minlength=n_groups) / np.bincount(
            groups, weights=w, minlength=n_groups
        )


def median_pool(values, groups, n_groups, weights=None):
    return grouped_quantiles(values, groups, n_groups, [0.5])[:, 0]


def log_odds_pool(values, groups, n_groups, weights=None):
    x = special.logit(np.clip(values, 0.01, 0.99))
    return special.expit(mean_pool(x, groups, n_groups, weights))


def coin(values, groups, n_groups, weights=None):
    return np.full(n_groups, 0.5)


def reference_factor(p, y, clip=1e-4, max_factor=10.0):
    """The extremising factor by root-finding on the score (derivative of the log-likelihood)."""
    x = special.logit(np.clip(p, clip, 1 - clip))

    def score(a):
        return np.sum((y - special.expit(a * x)) * x)

    if score(0.0) <= 0:
        return 0.0
    if score(max_factor) >= 0:
        return max_factor
    return optimize.brentq(score, 0.0, max_factor, xtol=1e-14, rtol=1e-14)


def synthetic(seed, n_questions=40, n_experts=9):
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.05, 0.95, n_questions)
    outcomes = (rng.random(n_questions) < truth).astype(float)
    groups = np.repeat(np.arange(n_questions), n_experts)
    noise = rng.normal(0, 0.8, groups.size)
    values = special.expit(0.6 * special.logit(truth[groups]) + noise)  # under-confident
    return values, groups, n_questions, outcomes


# --- fitting the extremising factor -------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_factor_is_the_maximum_likelihood_root(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, 60)
    y = (rng.random(60) < special.expit(2 * special.logit(p))).astype(float)
    assert_allclose(fit_extremizing_factor(p, y), [reference_factor(p, y)], rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_leave_one_out_factors_equal_refitting_without_each_question(seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.02, 0.98, 35)
    y = (rng.random(35) < special.expit(1.7 * special.logit(p))).astype(float)
    loo = fit_extremizing_factor(p, y, leave_one_out=True)
    expected = [reference_factor(np.delete(p, j), np.delete(y, j)) for j in range(35)]
    assert_allclose(loo, expected, rtol=1e-9)


def test_factor_bounds_for_separable_and_backwards_outcomes():
    assert_array_equal(fit_extremizing_factor([0.9, 0.2, 0.7], [1, 0, 1]), [10.0])
    assert_array_equal(fit_extremizing_factor([0.9, 0.2, 0.7], [0, 1, 0]), [0.0])
    assert_array_equal(fit_extremizing_factor([0.9, 0.2], [1, 0], max_factor=3), [3.0])
    assert_array_equal(fit_extremizing_factor([0.5, 0.5], [1, 0]), [0.0])  # no signal
    assert fit_extremizing_factor([], [], leave_one_out=True).shape == (0,)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0.5, 1.2], [0, 1]), {}, r"probability\[1\] = 1.2 is not in \[0, 1\]"),
        (([0.5, 0.2], [0, 0.5]), {}, r"outcome\[1\] = 0.5 is not 0 or 1"),
        (([0.5], [0, 1]), {}, "1-d of one length"),
        (([0.5], [1]), {"clip": 0}, r"clip must be in \(0, 0.5\)"),
        (([0.5], [1]), {"max_factor": -1}, "max_factor must be a positive number"),
    ],
)
def test_factor_refuses_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_extremizing_factor(*args, **kwargs)


def test_extremized_pool_fit_then_call_and_loo_predict():
    values, groups, n, outcomes = synthetic(4)
    pool = ExtremizedPool(mean_pool)
    assert isinstance(pool, FittedPool)
    with pytest.raises(ValueError, match="no factor: fit it first"):
        pool(values, groups, n)
    fitted = pool.fit(values, groups, n, outcomes)
    base = mean_pool(values, groups, n)
    assert fitted.factor == pytest.approx(reference_factor(base, outcomes), rel=1e-9)
    assert fitted.factor > 1  # the synthetic experts are under-confident
    assert_allclose(
        fitted(values, groups, n), special.expit(fitted.factor * special.logit(base)), rtol=1e-12
    )
    loo = pool.loo_predict(values, groups, n, outcomes)
    for q in (0, 7, 39):
        a = reference_factor(np.delete(base, q), np.delete(outcomes, q))
        assert_allclose(loo[q], special.expit(a * special.logit(base[q])), rtol=1e-9)
    # an unresolved question is forecast with the factor fitted on all resolved ones
    partial = outcomes.copy()
    partial[5] = np.nan
    loo = pool.loo_predict(values, groups, n, partial)
    a_all = reference_factor(np.delete(base, 5), np.delete(outcomes, 5))
    assert_allclose(loo[5], special.expit(a_all * special.logit(base[5])), rtol=1e-9)


# --- the backtest -------------------------------------------------------------------------


def test_backtest_scores_and_ranks_methods():
    values, groups, n, outcomes = synthetic(0)
    methods = {
        "coin": coin,
        "median": median_pool,
        "mean": mean_pool,
        "extremized mean": ExtremizedPool(mean_pool),
    }
    result = backtest(values, groups, n, outcomes, methods)
    assert isinstance(result, BacktestResult)
    assert set(result.methods) == set(methods) and result.scored.all()
    assert np.all(np.diff(result.brier) >= 0)  # ranked by Brier, best first
    assert result.methods[-1] == "coin"
    coin_row = result.rows()[-1]
    assert coin_row["brier"] == pytest.approx(0.25) and coin_row["log_score"] == pytest.approx(
        np.log(2)
    )
    assert coin_row["auc"] == 0.5 and coin_row["rank"] == 4
    for i, name in enumerate(result.methods):
        p = result.forecasts[i]
        if name != "extremized mean":
            assert_allclose(p, methods[name](values, groups, n))
        assert_allclose(result.brier[i], np.mean((p - outcomes) ** 2), rtol=1e-12)
        assert_allclose(
            result.log_score[i],
            -np.mean(np.log(np.where(outcomes == 1, p, 1 - p))),
            rtol=1e-12,
        )
        parts = (
            result.reliability[i]
            - result.resolution[i]
            + result.uncertainty[i]
            + result.within_bin_variance[i]
            - result.within_bin_covariance[i]
        )
        assert_allclose(parts, result.brier[i], rtol=1e-12)
    by_log = backtest(values, groups, n, outcomes, methods, rank_by="log_score")
    assert np.all(np.diff(by_log.log_score) >= 0) and by_log.rank_by == "log_score"


def test_backtest_skips_unresolved_and_unanswered_questions_and_passes_weights():
    values, groups, n, outcomes = synthetic(1, n_questions=12)
    outcomes[3] = np.nan
    keep = groups != 7  # question 7 has no judgments
    weights = np.random.default_rng(0).uniform(0.1, 1, keep.sum())
    result = backtest(values[keep], groups[keep], n, outcomes, {"mean": mean_pool}, weights)
    scored = np.ones(n, dtype=bool)
    scored[[3, 7]] = False
    assert_array_equal(result.scored, scored)
    p = mean_pool(values[keep], groups[keep], n, weights)
    assert_allclose(result.brier, [np.mean((p[scored] - outcomes[scored]) ** 2)], rtol=1e-12)
    assert np.isnan(result.forecasts[0, 7])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 0.0}, "factor must be a positive number"),
        ({"factor": np.nan}, "factor must be a finite number, got nan"),
        ({"clip": 0.7}, r"clip must be in \(0, 0.5\)"),
        ({"clip": None}, "clip must be a finite number, got None"),
        ({"max_factor": -1.0}, "max_factor must be a positive number"),
    ],
)
def test_extremized_pool_refuses_a_factor_clip_or_bound_it_cannot_use(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ExtremizedPool(mean_pool, **kwargs)


def test_methods_without_any_score_are_ranked_by_name():
    values, groups, n, outcomes = synthetic(2, n_questions=5)
    unresolved = np.full(n, np.nan)
    result = backtest(values, groups, n, unresolved, {"zeta": mean_pool, "alpha": mean_pool})
    assert result.methods == ("alpha", "zeta")
    assert np.isnan(result.brier).all()


def test_backtest_refuses_bad_methods_and_input():
    values, groups, n, outcomes = synthetic(2, n_questions=5)
    with pytest.raises(ValueError, match="method 'short': pool returned shape"):
        backtest(values, groups, n, outcomes, {"short": lambda v, g, k: np.zeros(k - 1)})
    with pytest.raises(ValueError, match="method 'big' gave 1.5 for question 0"):
        backtest(values, groups, n, outcomes, {"big": lambda v, g, k: np.full(k, 1.5)})
    with pytest.raises(ValueError, match="methods is empty"):
        backtest(values, groups, n, outcomes, {})
    with pytest.raises(ValueError, match="rank_by must be"):
        backtest(values, groups, n, outcomes, {"mean": mean_pool}, rank_by="auc")
    bad = outcomes.copy()
    bad[2] = 0.3
    with pytest.raises(ValueError, match=r"outcomes\[2\] = 0.3 is not 0, 1 or NaN"):
        backtest(values, groups, n, bad, {"mean": mean_pool})
    with pytest.raises(ValueError, match=r"values\[0\] = 2.0 is outside \[0, 1\]"):
        backtest(np.r_[2.0, values[1:]], groups, n, outcomes, {"mean": mean_pool})


# --- real data: replication-markets survey forecasts (CC0) ------------------------------


def test_backtest_on_the_replication_markets_findings():
    data = load()
    methods = {
        "mean": mean_pool,
        "median": median_pool,
        "log-odds mean": log_odds_pool,
        "extremized log-odds mean": ExtremizedPool(log_odds_pool),
    }
    result = backtest(data.probability, data.finding, data.n_findings, data.replicated, methods)
    row = {r["method"]: r for r in result.rows()}
    pooled = np.bincount(data.finding, weights=data.probability) / np.bincount(data.finding)
    assert row["mean"]["brier"] == pytest.approx(np.mean((pooled - data.replicated) ** 2))
    assert row["mean"]["brier"] == pytest.approx(0.2052893, abs=1e-7)
    for r in result.rows():
        parts = (
            r["reliability"]
            - r["resolution"]
            + r["uncertainty"]
            + r["within_bin_variance"]
            - r["within_bin_covariance"]
        )
        assert parts == pytest.approx(r["brier"], rel=1e-12)
        assert r["uncertainty"] == pytest.approx(50 / 103 * 53 / 103)
    # leave-one-question-out: each finding's extremising factor fitted on the other 102
    base = log_odds_pool(data.probability, data.finding, data.n_findings)
    i = result.methods.index("extremized log-odds mean")
    for q in range(0, 103, 17):
        a = reference_factor(np.delete(base, q), np.delete(data.replicated, q).astype(float))
        assert_allclose(
            result.forecasts[i, q], special.expit(a * special.logit(base[q])), rtol=1e-9
        )
    assert result.methods[0] == "log-odds mean"


def test_backtest_takes_the_pooling_modules_methods_as_they_are():
    pooling = pytest.importorskip("elicit.core.pooling")
    data = load()
    methods = dict(pooling.METHODS)
    methods["extremized linear, fitted"] = ExtremizedPool(pooling.METHODS["linear"])
    result = backtest(data.probability, data.finding, data.n_findings, data.replicated, methods)
    assert sorted(result.methods) == sorted(methods)
    parts = (
        result.reliability
        - result.resolution
        + result.uncertainty
        + result.within_bin_variance
        - result.within_bin_covariance
    )
    assert_allclose(parts, result.brier, rtol=1e-12)
    assert np.all(np.diff(result.brier) >= 0)


def test_backtest_forecasts_are_the_pools_called_directly():
    from functools import partial

    from elicit.core import pooling

    values, groups, n, outcomes = synthetic(4, n_questions=30)
    weights = np.random.default_rng(4).uniform(0.5, 2, values.size)
    answered = groups != 3  # question 3 unanswered
    values, groups, weights = values[answered], groups[answered], weights[answered]
    fitted = ExtremizedPool(pooling.log_odds_pool)
    methods = {
        "median": pooling.median_pool,
        "trimmed": partial(pooling.trimmed_mean_pool, fraction=0.25),
        "extremized": fitted,
    }
    for w in (None, weights):
        result = backtest(values, groups, n, outcomes, methods, w)
        row = {name: result.forecasts[i] for i, name in enumerate(result.methods)}
        expected = {
            "median": pooling.pool("median", values, groups, n, w),
            "trimmed": pooling.pool("trimmed_mean", values, groups, n, w, fraction=0.25),
            "extremized": fitted.loo_predict(values, groups, n, outcomes, w),
        }
        for name, forecast in expected.items():
            assert_array_equal(row[name], forecast, err_msg=name)
        assert np.isnan(row["median"][3])
        base = pooling.pool("log_odds", values, groups, n, w)
        extremized = ExtremizedPool(pooling.log_odds_pool, factor=1.5)(values, groups, n, w)
        x = special.logit(np.clip(base, 1e-4, 1 - 1e-4))
        assert_array_equal(extremized, special.expit(1.5 * x))
