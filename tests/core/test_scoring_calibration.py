"""Scores and calibration per expert or method, against published examples and brute force.

Published reference values: scikit-learn's brier_score_loss and calibration_curve
documentation examples, Newcombe (1998) for Wilson intervals, Gordon et al. (2021) for
the replication-markets data; the rest is checked against SciPy or a loop over pairs.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from elicit.core.scoring import (
    baseline_score,
    brier_score,
    grouped_auc,
    grouped_brier_decomposition,
    grouped_cooke_calibration,
    grouped_mean_score,
    grouped_reliability,
    log_score,
    peer_score,
    wilson_interval,
)

from ._replication_markets import load

probability = st.floats(0, 1, allow_nan=False)
forecasts = st.lists(st.tuples(probability, st.booleans(), st.integers(0, 3)), max_size=80)
coarse = st.integers(0, 10).map(lambda k: k / 10)  # ties


def unpack(rows):
    return (
        np.array([p for p, _, _ in rows], dtype=float),
        np.array([o for _, o, _ in rows], dtype=int),
        np.array([g for _, _, g in rows], dtype=int),
    )


def parts_sum(d):
    return (
        d.reliability
        - d.resolution
        + d.uncertainty
        + d.within_bin_variance
        - d.within_bin_covariance
    )


# --- scikit-learn documentation examples ------------------------------------------------


def test_brier_matches_scikit_learn_brier_score_loss_examples():
    # https://scikit-learn.org/stable/modules/generated/sklearn.metrics.brier_score_loss.html
    # y_true = [0, 1, 1, 0], y_prob = [0.1, 0.9, 0.8, 0.3] -> 0.037... (= 0.0375)
    d = grouped_brier_decomposition([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0], [0] * 4, 1)
    assert_allclose(d.brier, [0.0375], rtol=1e-12)
    assert_allclose(parts_sum(d), d.brier, rtol=1e-12)
    # https://scikit-learn.org/stable/modules/model_evaluation.html#brier-score-loss
    # y_prob = [0.1, 0.9, 0.8, 0.4] -> 0.055; thresholded at 0.5 -> 0.0
    assert_allclose(np.mean(brier_score([0.1, 0.9, 0.8, 0.4], [0, 1, 1, 0])), 0.055)
    d = grouped_brier_decomposition([0.0, 1.0, 1.0, 0.0], [0, 1, 1, 0], [0] * 4, 1)
    assert_array_equal(d.brier, [0.0])


def test_reliability_matches_scikit_learn_calibration_curve_example():
    # https://scikit-learn.org/stable/modules/generated/sklearn.calibration.calibration_curve.html
    # n_bins=3: prob_true [0, 0.5, 1], prob_pred [0.2, 0.525, 0.85]
    y_true = [0, 0, 0, 0, 1, 1, 1, 1, 1]
    y_pred = [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0]
    r = grouped_reliability(y_pred, y_true, [0] * 9, 1, bins=3)
    assert_allclose(r.observed_frequency[0], [0.0, 0.5, 1.0])
    assert_allclose(r.mean_forecast[0], [0.2, 0.525, 0.85])
    assert r.count[0].tolist() == [3, 2, 4]
    assert_allclose(r.edges, [0, 1 / 3, 2 / 3, 1])


# --- the Brier score decomposition ------------------------------------------------------


@settings(max_examples=200)
@given(forecasts, st.sampled_from([1, 2, 3, 5, 10, [0, 0.05, 0.5, 0.9, 1]]))
def test_decomposition_adds_up_exactly_to_the_brier_score(rows, bins):
    p, o, g = unpack(rows)
    d = grouped_brier_decomposition(p, o, g, 4, bins)
    for k in range(4):
        member = g == k
        if not member.any():
            assert np.isnan(d.brier[k])
            continue
        assert_allclose(d.brier[k], np.mean((p[member] - o[member]) ** 2), rtol=1e-12, atol=1e-15)
    present = d.count > 0
    assert_allclose(parts_sum(d)[present], d.brier[present], rtol=1e-10, atol=1e-14)
    assert np.all(d.reliability[present] >= 0) and np.all(d.resolution[present] >= -1e-15)
    assert np.all(d.within_bin_variance[present] >= 0)


@given(st.lists(st.tuples(coarse, st.booleans(), st.integers(0, 2)), min_size=1, max_size=60))
def test_with_one_forecast_value_per_bin_murphys_three_parts_suffice(rows):
    p, o, g = unpack(rows)
    d = grouped_brier_decomposition(
        p, o, g, 3, bins=[0, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1]
    )
    present = d.count > 0
    assert_allclose(d.within_bin_variance[present], 0, atol=1e-15)
    assert_allclose(d.within_bin_covariance[present], 0, atol=1e-15)
    murphy = d.reliability - d.resolution + d.uncertainty
    assert_allclose(murphy[present], d.brier[present], rtol=1e-12, atol=1e-15)


def test_decomposition_by_hand():
    # one bin [0, 1]: REL = (mean p - mean o)^2, RES = 0, UNC = o(1 - o);
    # WBV = var(p), WBC = 2 cov(p, o) (population)
    p, o = np.array([0.2, 0.6, 0.9, 0.5]), np.array([0, 1, 1, 0])
    d = grouped_brier_decomposition(p, o, [0] * 4, 1, bins=1)
    assert_allclose(d.reliability, [(0.55 - 0.5) ** 2])
    assert_allclose(d.resolution, [0.0], atol=1e-17)
    assert_allclose(d.uncertainty, [0.25])
    assert_allclose(d.within_bin_variance, [np.var(p)])
    assert_allclose(d.within_bin_covariance, [2 * np.cov(p, o, ddof=0)[0, 1]])


# --- log, baseline and peer scores ------------------------------------------------------


def test_log_score_known_values():
    assert_allclose(
        log_score([0.5, 0.8, 0.8, 1.0], [1, 1, 0, 1]), [np.log(2), -np.log(0.8), -np.log(0.2), 0.0]
    )
    assert log_score(0.0, 1) == np.inf
    assert_allclose(log_score(0.0, 1, clip=0.001), -np.log(0.001))
    with pytest.raises(ValueError, match=r"clip must be in \[0, 0.5\)"):
        log_score(0.5, 1, clip=0.5)
    with pytest.raises(ValueError, match="outcomes must be 0 or 1"):
        log_score(0.5, 2)


def test_baseline_score_is_metaculus_binary_baseline():
    # Metaculus Scores FAQ: binary baseline = 100 * (log2(P(outcome)) + 1)
    result = baseline_score([0.5, 1.0, 0.2, 0.2, 0.999], [1, 1, 1, 0, 0], clip=0.0)
    assert_allclose(
        result,
        [
            0.0,
            100.0,
            100 * (np.log2(0.2) + 1),
            100 * (np.log2(0.8) + 1),
            100 * (np.log2(0.001) + 1),
        ],
        rtol=1e-12,
    )
    assert baseline_score(0.0, 1) == -np.inf


def test_baseline_score_time_average_is_metaculus_coverage_weighting():
    # scoring/score_math.py (github.com/Metaculus/metaculus), binary questions:
    # score = 100 * ln(pmf[outcome] * 2) / ln(2), times the share of the open time each
    # forecast stood (its coverage), summed over the forecaster's forecasts
    forecasts, coverage = np.array([0.3, 0.6, 0.9]), np.array([0.2, 0.5, 0.3])
    metaculus = sum(
        c * 100 * np.log(p * 2) / np.log(2) for p, c in zip(forecasts, coverage, strict=True)
    )
    ours = grouped_mean_score(baseline_score(forecasts, 1), [0, 0, 0], 1, weights=coverage)
    assert_allclose(ours, [metaculus], rtol=1e-12)


def test_peer_score_is_metaculus_geometric_mean_form_and_sums_to_zero():
    rng = np.random.default_rng(2)
    questions = rng.integers(0, 6, 70)
    outcomes = np.array([1, 0, 1, 1, 0, 0])
    p = rng.uniform(0.01, 0.99, 70)
    result = peer_score(p, questions, outcomes)
    for q in range(6):
        member = questions == q
        po = np.where(outcomes[q] == 1, p[member], 1 - p[member])
        n = po.size
        # score_math.py: 100 * N / (N - 1) * ln(p / geometric mean of all N)
        expected = 100 * n / (n - 1) * np.log(po / stats.gmean(po))
        assert_allclose(result[member], expected, rtol=1e-10)
        # FAQ: 100 / (N - 1) * sum over the others of ln(p) - ln(p_j)
        brute = [100 * np.mean(np.log(po[i]) - np.log(np.delete(po, i))) for i in range(n)]
        assert_allclose(result[member], brute, rtol=1e-10)
        assert abs(result[member].sum()) < 1e-9


def test_peer_score_against_a_panel_lone_forecasters_and_certain_misses():
    outcomes = [1, 0]
    panel_p, panel_q = np.array([0.6, 0.8, 0.3]), np.array([0, 0, 0])
    pooled = peer_score([0.7, 0.4], [0, 1], outcomes, panel_p, panel_q)
    assert_allclose(pooled[0], 100 * (np.log(0.7) - np.mean(np.log(panel_p))))
    assert np.isnan(pooled[1])  # no panel forecast on question 1
    alone = peer_score([0.7, 0.2, 1.0], [0, 1, 1], outcomes)
    assert np.isnan(alone[0])
    assert alone[1] == np.inf and alone[2] == -np.inf  # 1.0 on what did not happen
    clipped = peer_score([0.7, 0.2, 1.0], [0, 1, 1], outcomes, clip=0.01)
    assert_allclose(clipped[1:], [100 * np.log(0.8 / 0.01), 100 * np.log(0.01 / 0.8)])
    with pytest.raises(ValueError, match="both panel_probability and panel_questions"):
        peer_score([0.7], [0], outcomes, panel_p)
    with pytest.raises(ValueError, match=r"outcomes\[1\] = 2 is not 0 or 1"):
        peer_score([0.7], [0], [1, 2])
    with pytest.raises(ValueError, match=r"groups\[0\] = 5 is outside \[0, 2\)"):
        peer_score([0.7], [5], outcomes)


def test_grouped_mean_score_time_weights_and_infinities():
    scores = np.array([10.0, 20.0, -5.0, np.inf])
    assert_allclose(grouped_mean_score(scores[:3], [0, 0, 1], 3), [15.0, -5.0, np.nan])
    assert_allclose(grouped_mean_score(scores[:3], [0, 0, 1], 2, weights=[3, 1, 0]), [12.5, np.nan])
    assert grouped_mean_score(scores, [0, 0, 0, 1], 2)[1] == np.inf
    with pytest.raises(ValueError, match=r"scores\[1\] is nan"):
        grouped_mean_score([1.0, np.nan], [0, 0], 1)


# --- AUC --------------------------------------------------------------------------------


def brute_force_auc(p, o):
    pos, neg = p[o == 1], p[o == 0]
    if pos.size == 0 or neg.size == 0:
        return np.nan
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (pos.size * neg.size)


@given(st.lists(st.tuples(coarse, st.booleans(), st.integers(0, 3)), max_size=60))
def test_auc_matches_a_brute_force_pairwise_count(rows):
    p, o, g = unpack(rows)
    result = grouped_auc(p, o, g, 4)
    for k in range(4):
        assert_allclose(result[k], brute_force_auc(p[g == k], o[g == k]), equal_nan=True)


def test_auc_known_values():
    assert_allclose(grouped_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], [0] * 4, 1), [0.75])
    assert_allclose(grouped_auc([0.5, 0.5], [0, 1], [0, 0], 1), [0.5])


# --- Wilson intervals -------------------------------------------------------------------


def test_wilson_interval_newcombe_1998_examples():
    # Newcombe, Statistics in Medicine 17:857-872 (1998), Table II, method 3 (score
    # interval without continuity correction), 95 %
    low, high = wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    assert_allclose(low, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    assert_allclose(high, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)
    assert low[2] == 0.0


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_closed_form_and_symmetry(kn):
    k, n = kn
    z = stats.norm.ppf(0.975)
    root = z * np.sqrt(z * z + 4 * k * (n - k) / n)
    low, high = wilson_interval(k, n)
    assert_allclose(low, max(0.0, (2 * k + z * z - root) / (2 * (n + z * z))), atol=1e-12)
    assert_allclose(high, min(1.0, (2 * k + z * z + root) / (2 * (n + z * z))), atol=1e-12)
    mirror_low, mirror_high = wilson_interval(n - k, n)
    assert_allclose([low, high], [1 - mirror_high, 1 - mirror_low], atol=1e-12)
    assert 0 <= low <= k / n <= high <= 1


def test_wilson_interval_refuses_impossible_counts():
    low, _ = wilson_interval([0], [0])
    assert np.isnan(low[0])
    with pytest.raises(ValueError, match=r"successes 5.0 and trials 4.0 at \(1,\)"):
        wilson_interval([1, 5], [4, 4])
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        wilson_interval(1, 2, level=95)


def test_reliability_intervals_are_wilson_and_empty_bins_nan():
    r = grouped_reliability([0.05, 0.15, 0.12, 0.95], [0, 1, 0, 1], [0, 0, 0, 1], 2, bins=10)
    low, high = wilson_interval(1, 2)
    assert_allclose([r.lower[0, 1], r.upper[0, 1]], [low, high])
    assert r.count[1].tolist() == [0] * 9 + [1]
    assert np.isnan(r.mean_forecast[1, :9]).all() and np.isnan(r.lower[1, 0])


# --- Cooke calibration ------------------------------------------------------------------


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(probability.map(lambda x: round(x, 6)), st.booleans(), st.integers(0, 3)),
        max_size=80,
    ),
    st.sampled_from([2, 5, 10]),
)
def test_cooke_statistic_is_the_sum_of_per_bin_likelihood_ratio_tests(rows, bins):
    p, o, g = unpack(rows)
    result = grouped_cooke_calibration(p, o, g, 4, bins)
    index = np.minimum(np.floor(np.round(p * bins, 9)), bins - 1)
    for k in range(4):
        member = g == k
        if not member.any():
            assert np.isnan(result.calibration[k])
            continue
        total, df = 0.0, 0
        for b in np.unique(index[member]):
            cell = member & (index == b)
            n, s, pk = cell.sum(), o[cell].sum(), p[cell].mean()
            observed = np.array([s, n - s], dtype=float)
            expected = np.array([n * pk, n * (1 - pk)])
            if np.any((expected == 0) & (observed > 0)):
                g_stat = np.inf  # a certain forecast that failed
            else:
                keep = expected > 0
                g_stat = stats.power_divergence(
                    observed[keep], expected[keep], lambda_="log-likelihood"
                ).statistic
            total += g_stat
            df += 1
        assert result.df[k] == df
        assert_allclose(result.statistic[k], total, rtol=1e-9, atol=1e-9)
        assert_allclose(result.calibration[k], stats.chi2.sf(total, df), rtol=1e-7, atol=1e-12)


def test_cooke_perfect_calibration_and_information():
    # in each of the bins 0.2 and 0.8, exactly 20 % and 80 % of the events happen
    p = np.repeat([0.2, 0.8], 10)
    o = np.array([1, 1] + [0] * 8 + [1] * 8 + [0, 0])
    result = grouped_cooke_calibration(p, o, np.zeros(20, dtype=int), 1)
    assert_allclose(result.statistic, [0.0], atol=1e-12)
    assert_allclose(result.calibration, [1.0])
    assert result.df[0] == 2
    info = 0.2 * np.log(0.4) + 0.8 * np.log(1.6)
    assert_allclose(result.information, [info])
    certain = grouped_cooke_calibration([1.0, 1.0], [1, 0], [0, 0], 1)
    assert certain.calibration[0] == 0.0 and certain.statistic[0] == np.inf


# --- bad input names the entry ----------------------------------------------------------


@pytest.mark.parametrize(
    "function",
    [grouped_brier_decomposition, grouped_auc, grouped_reliability, grouped_cooke_calibration],
)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.2, 1.5], [0, 1], [0, 0], 1), r"probability\[1\] = 1.5 is outside \[0, 1\]"),
        (([0.2, 0.5], [0, 2], [0, 0], 1), r"outcome\[1\] = 2.0 is not 0 or 1"),
        (([0.2, 0.5], [0], [0, 0], 1), r"outcome must have shape \(2,\)"),
        (([0.2, 0.5], [0, 1], [0, 3], 2), r"groups\[1\] = 3 is outside \[0, 2\)"),
        (([0.2, np.nan], [0, 1], [0, 0], 1), r"values\[1\] is nan"),
    ],
)
def test_grouped_scores_refuse_bad_input(function, args, message):
    with pytest.raises(ValueError, match=message):
        function(*args)


@pytest.mark.parametrize(
    "bins",
    [0, 2.5, np.inf, None, "10", [0.0, 0.5], [0.1, 1.0], [0, 0.6, 0.4, 1], [0, np.nan, 1]],
)
@pytest.mark.parametrize(
    "function", [grouped_brier_decomposition, grouped_reliability, grouped_cooke_calibration]
)
def test_bad_bins_are_refused(function, bins):
    with pytest.raises(ValueError, match="bin"):
        function([0.5], [1], [0], 1, bins)


def test_grouped_scores_refuse_a_number_of_groups_that_is_not_an_integer():
    for n_groups in (1.0, None, True):
        with pytest.raises(ValueError, match="n_groups must be an integer of at least 0"):
            grouped_auc([0.5], [1], [0], n_groups)


def test_peer_score_of_no_forecasts_and_against_an_empty_panel():
    assert peer_score([], [], [1]).shape == (0,)
    assert_array_equal(peer_score([0.3, 0.4], [0, 0], [1], [], []), [np.nan, np.nan])


# --- real data: replication-markets survey forecasts (CC0) ------------------------------


def test_replication_markets_pooled_mean_matches_the_published_correlation():
    data = load()
    assert (data.n_findings, data.probability.size, data.n_forecasters) == (103, 7377, 345)
    pooled = np.bincount(data.finding, weights=data.probability) / np.bincount(data.finding)
    # Gordon et al., PLOS ONE 16(4): e0248780 (2021), abstract: the average survey
    # responses are correlated with outcomes, 0.564
    assert round(np.corrcoef(pooled, data.replicated)[0, 1], 3) == 0.564


def test_replication_markets_pooled_forecasts_decompose_and_discriminate():
    data = load()
    pooled = np.bincount(data.finding, weights=data.probability) / np.bincount(data.finding)
    one = np.zeros(data.n_findings, dtype=int)
    d = grouped_brier_decomposition(pooled, data.replicated, one, 1)
    assert_allclose(d.brier, [np.mean((pooled - data.replicated) ** 2)], rtol=1e-13)
    assert_allclose(parts_sum(d), d.brier, rtol=1e-12)
    assert_allclose(d.uncertainty, [50 / 103 * 53 / 103])
    # per project at once, against the brute-force pairwise count
    auc = grouped_auc(pooled, data.replicated, data.project, len(data.projects))
    for k in range(len(data.projects)):
        member = data.project == k
        assert_allclose(auc[k], brute_force_auc(pooled[member], data.replicated[member]))
    assert_allclose(
        grouped_auc(pooled, data.replicated, one, 1), [brute_force_auc(pooled, data.replicated)]
    )


def test_replication_markets_per_forecaster_scores():
    data = load()
    outcome = data.replicated[data.finding]
    d = grouped_brier_decomposition(data.probability, outcome, data.forecaster, data.n_forecasters)
    assert_allclose(parts_sum(d), d.brier, rtol=1e-10, atol=1e-15)
    auc = grouped_auc(data.probability, outcome, data.forecaster, data.n_forecasters)
    calibration = grouped_cooke_calibration(
        data.probability, outcome, data.forecaster, data.n_forecasters
    )
    for k in np.random.default_rng(0).choice(data.n_forecasters, 25, replace=False):
        member = data.forecaster == k
        p, o = data.probability[member], outcome[member]
        assert_allclose(d.brier[k], np.mean((p - o) ** 2), rtol=1e-12)
        assert_allclose(auc[k], brute_force_auc(p, o), equal_nan=True)
        assert calibration.count[k] == member.sum()
    assert np.all((calibration.calibration >= 0) & (calibration.calibration <= 1))
    # peer scores of the survey responses (Metaculus bounds: [0.001, 0.999]) sum to zero
    peers = peer_score(data.probability, data.finding, data.replicated, clip=0.001)
    assert_allclose(np.bincount(data.finding, weights=peers), 0, atol=1e-8)
    assert np.isfinite(grouped_mean_score(peers, data.forecaster, data.n_forecasters)).all()
