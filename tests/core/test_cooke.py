"""Cooke's classical model against ANDURYL's published example and ANDURYL 1.2.2, with properties.

Expected values: ``tests/data/cooke/anduryl_1.2.2.json`` (produced by running
ANDURYL 1.2.2, see ``tests/data/cooke/SOURCE.md``) and the figures printed in
ANDURYL's example notebook for the tobacco study.
"""

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from elicit.core import cooke
from elicit.core.excalibur import read_excalibur

DATA = Path(__file__).resolve().parent.parent / "data" / "cooke"
EXPECTED = json.loads((DATA / "anduryl_1.2.2.json").read_text())["studies"]
FILES = {
    "tobacco": "tobacco.dtt",
    "ATCEP Error": "ATCEP Error.dtt",
    "Daniela": "Daniela.dtt",
    "7quants": "7quants.dtt",
    "TdC": "TdC.DTT",
}
AGREEING = ["tobacco", "ATCEP Error", "Daniela", "7quants"]
P3 = [0.05, 0.5, 0.95]


@cache
def study(name):
    return read_excalibur(DATA / FILES[name])


def args(name):
    s = study(name)
    return s.answers, s.realizations, s.quantiles, s.log_scale


def expected_quantiles(entry):
    q = np.array(entry["dm"]["quantiles"])
    q[q == -1.0] = np.nan
    return q


# ---------------------------------------------------------------------------
# published: ANDURYL's example notebook, tobacco study, global weights, overshoot 0.1
# (github.com/grongen/anduryl, notebooks/Example Anduryl with scripting.ipynb)
# ---------------------------------------------------------------------------

# info score total, info score realizations, calibration score, weight (cal x info)
PUBLISHED_EXPERTS = np.array(
    [
        [0.821255, 0.929125, 0.036982, 0.034361],
        [0.705990, 1.002679, 0.171575, 0.172035],
        [0.669885, 0.996867, 0.001053, 0.001050],
        [0.697621, 0.818449, 0.023658, 0.019363],
        [1.165807, 0.896439, 0.439946, 0.394384],
        [1.078725, 1.468409, 0.077960, 0.114477],
        [0.943491, 1.062177, 0.687587, 0.730339],
    ]
)
PUBLISHED_GLOBAL_DM = [0.943491, 1.062177, 0.687587, 0.730339]
PUBLISHED_USER_DM = [0.329472, 0.459663, 0.459729, 0.211320]
PUBLISHED_USER_WEIGHTS = [1.5, 0.2, 0.3, 0.4, 0.3, 0.4, 0.5]


def test_tobacco_matches_anduryls_published_example():
    model = cooke.classical_model(*args("tobacco"))
    ours = np.c_[model.information_all, model.information_seeds, model.calibration, model.combined]
    assert_allclose(ours, PUBLISHED_EXPERTS, rtol=0, atol=5e-7)
    dm = model.dm
    ours = [dm.information_all, dm.information_seeds, dm.calibration, dm.combined]
    assert_allclose(ours, PUBLISHED_GLOBAL_DM, rtol=0, atol=5e-7)
    assert model.n_seeds == 10
    # the optimum keeps only the best calibrated expert, Ex7: the DM is Ex7
    assert model.alpha == model.calibration[6]
    assert_array_equal(model.weights, np.eye(7)[6])
    assert_array_equal(dm.quantiles, study("tobacco").answers[6])


def test_tobacco_user_weight_dm_matches_anduryls_published_example():
    answers, realizations, quantiles, log = args("tobacco")
    dm = cooke.user_weight_dm(answers, realizations, quantiles, PUBLISHED_USER_WEIGHTS, log)
    ours = [dm.information_all, dm.information_seeds, dm.calibration, dm.combined]
    assert_allclose(ours, PUBLISHED_USER_DM, rtol=0, atol=5e-7)
    assert_allclose(dm.weights[:, 0], np.array(PUBLISHED_USER_WEIGHTS) / 3.6)


# ---------------------------------------------------------------------------
# ANDURYL 1.2.2, run on the study files (tests/data/cooke/anduryl_1.2.2.json)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("weighting", ["global", "item"])
@pytest.mark.parametrize("name", AGREEING)
def test_matches_anduryl(name, weighting):
    expected = EXPECTED[name][weighting]
    model = cooke.classical_model(*args(name), weighting=weighting)
    for field, value in expected["experts"].items():
        assert_allclose(getattr(model, field), value, rtol=1e-9, atol=1e-12, err_msg=field)
    assert_allclose(model.alpha, expected["alpha"], rtol=1e-12)
    for field in ("calibration", "information_all", "information_seeds", "combined"):
        assert_allclose(getattr(model.dm, field), expected["dm"][field], rtol=1e-9, err_msg=field)
    assert_allclose(model.dm.quantiles, expected_quantiles(expected), rtol=1e-9)


@pytest.mark.parametrize("name", AGREEING + ["TdC"])
def test_equal_weight_dm_matches_anduryl(name):
    expected = EXPECTED[name]["equal"]
    dm = cooke.equal_weight_dm(*args(name))
    assert_allclose(dm.quantiles, expected_quantiles(expected), rtol=1e-9)
    for field in ("calibration", "information_all", "information_seeds", "combined"):
        assert_allclose(getattr(dm, field), expected["dm"][field], rtol=1e-9, err_msg=field)


def test_user_weight_dm_matches_anduryl():
    expected = EXPECTED["tobacco"]["user"]
    answers, realizations, quantiles, log = args("tobacco")
    dm = cooke.user_weight_dm(answers, realizations, quantiles, expected["user_weights"], log)
    assert_allclose(dm.quantiles, expected_quantiles(expected), rtol=1e-9)
    assert_allclose(dm.calibration, expected["dm"]["calibration"], rtol=1e-9)


def robustness_table(result, ids):
    rows = np.c_[result.information_all, result.information_seeds, result.calibration]
    return {ids[k]: row for k, row in zip(result.left_out, rows, strict=True)}


@pytest.mark.parametrize("weighting", ["global", "item"])
def test_robustness_matches_anduryl(weighting):
    expected = EXPECTED["tobacco"]["robustness"][weighting]
    s = study("tobacco")
    items = cooke.item_robustness(*args("tobacco"), weighting=weighting)
    experts = cooke.expert_robustness(*args("tobacco"), weighting=weighting)
    assert_array_equal(items.left_out, np.flatnonzero(s.is_seed))
    assert_array_equal(experts.left_out, np.arange(7))
    ours = robustness_table(experts, s.expert_ids)
    for expert, row in expected["expert"].items():
        assert_allclose(ours[expert], row, rtol=1e-9, err_msg=expert)
    ours = robustness_table(items, s.item_ids)
    for item, row in expected["item"].items():
        if weighting == "item" and item == "$TAdProm2005":
            continue  # ANDURYL splits a tie here, see test_anduryl_splits_ties_we_keep
        assert_allclose(ours[item], row, rtol=1e-9, err_msg=item)


def test_anduryl_splits_ties_we_keep():
    # Without $TAdProm2005, Ex5 and Ex7 are equally calibrated. ANDURYL's two values
    # differ by rounding, it tries them as two alpha levels and keeps a worse DM.
    answers, realizations, quantiles, log = args("tobacco")
    keep = np.arange(21) != 0
    model = cooke.classical_model(
        answers[:, keep], realizations[keep], quantiles, log[keep], weighting="item"
    )
    # hits (1, 1, 1, 3, 2, 1) and (0, 2, 3, 1, 2, 1): different, equally likely
    assert_allclose(model.calibration[4], model.calibration[6], rtol=1e-15)
    assert model.alpha == min(model.calibration[4], model.calibration[6])
    assert set(np.flatnonzero(model.weights)) == {4, 6}
    theirs = EXPECTED["tobacco"]["robustness"]["item"]["item"]["$TAdProm2005"]
    assert model.dm.combined > theirs[1] * theirs[2]  # ours scores better
    row = cooke.item_robustness(*args("tobacco"), weighting="item")
    assert_allclose(row.calibration[0], model.dm.calibration)


@pytest.mark.parametrize("weighting", ["global", "item"])
def test_tdc_where_anduryl_differs(weighting):
    # ANDURYL's chi-square tail is off for small statistics (expert Ex.14), and its DM
    # made of Ex.14 alone falls below alpha by rounding (exp(log(1000)) < 1000 moves a
    # realization into another bin), so ANDURYL settles for alpha = 0.139.
    expected = EXPECTED["TdC"][weighting]
    s = study("TdC")
    model = cooke.classical_model(*args("TdC"), weighting=weighting)
    for field in ("information_all", "information_seeds"):
        assert_allclose(getattr(model, field), expected["experts"][field], rtol=1e-9)
    others = np.arange(18) != 13
    theirs = np.array(expected["experts"]["calibration"])
    assert_allclose(model.calibration[others], theirs[others], rtol=1e-6, atol=1e-9)
    assert abs(model.calibration[13] - theirs[13]) > 1e-4
    counts = cooke.bin_counts(s.answers, s.realizations)[13]
    p = np.diff([0, *P3, 1])
    relative = np.sum(counts / 17 * np.log(counts / 17 / p))
    assert_allclose(model.calibration[13], stats.chi2.sf(2 * 17 * relative, 3), rtol=1e-12)
    assert expected["alpha"] < 0.14
    assert model.alpha == model.calibration[13]
    assert_array_equal(model.dm.quantiles, s.answers[13])
    assert model.dm.calibration == model.calibration[13]
    assert model.dm.combined > EXPECTED["TdC"][weighting]["dm"]["combined"]


# ---------------------------------------------------------------------------
# formulas by hand
# ---------------------------------------------------------------------------


def test_bin_counts_put_a_realization_on_a_quantile_in_the_lower_bin():
    answers = np.array([[[1.0, 2.0, 3.0]] * 5])
    realizations = [0.5, 1.0, 2.5, 3.0, 9.0]
    assert_array_equal(cooke.bin_counts(answers, realizations), [[2, 0, 2, 1]])


def test_calibration_by_hand():
    answers = np.array([[[1.0, 2.0, 3.0]] * 4, [[0.0, 5.0, 10.0]] * 4])
    realizations = np.array([0.5, 1.5, 2.5, 3.5])
    p = np.array([0.05, 0.45, 0.45, 0.05])
    s = np.array([[0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.nansum(s * np.log(s / p), axis=1)
    expected = stats.chi2.sf(2 * 4 * relative, df=3)
    assert_allclose(cooke.calibration_score(answers, realizations, P3), expected, rtol=1e-12)
    assert_allclose(
        cooke.calibration_score(answers, realizations, P3, n_seeds=2),
        stats.chi2.sf(2 * 2 * relative, df=3),
        rtol=1e-12,
    )


def test_calibration_uses_the_smallest_number_of_answered_seeds():
    answers = np.array([[[1.0, 2.0, 3.0]] * 4, [[0.0, 5.0, 10.0]] * 4])
    answers[1, 3] = np.nan
    realizations = np.array([0.5, 1.5, 2.5, 3.5])
    full = cooke.calibration_score(answers, realizations, P3, n_seeds=3)
    assert_array_equal(cooke.calibration_score(answers, realizations, P3), full)
    assert cooke.classical_model(answers, realizations, P3).n_seeds == 3


def test_information_by_hand():
    answers = np.array([[[1.0, 2.0, 4.0]], [[2.0, 3.0, 5.0]]])
    realizations = np.array([0.0])
    lower, upper = cooke.intrinsic_range(answers, realizations)
    assert_allclose([lower[0], upper[0]], [-0.5, 5.5])
    widths = np.array([[1.5, 1.0, 2.0, 1.5], [2.5, 1.0, 2.0, 0.5]])
    p = np.array([0.05, 0.45, 0.45, 0.05])
    expected = np.log(6.0) + np.sum(p * np.log(p / widths), axis=1)
    info = cooke.information_score(answers, realizations, P3)
    assert_allclose(info.per_item[:, 0], expected, rtol=1e-12)
    assert_allclose(info.seeds, expected, rtol=1e-12)
    assert_allclose(info.all_items, expected, rtol=1e-12)


def test_log_items_are_scored_on_logarithms():
    answers = np.array(
        [[[1.0, 10.0, 100.0], [2.0, 3.0, 4.0]], [[5.0, 50.0, 500.0], [1.0, 2.0, 3.0]]]
    )
    realizations = np.array([20.0, 2.5])
    log = np.array([True, False])
    logged = answers.copy()
    logged[:, 0] = np.log(logged[:, 0])
    r_logged = realizations.copy()
    r_logged[0] = np.log(20.0)
    info = cooke.information_score(answers, realizations, P3, log)
    assert_allclose(info.per_item, cooke.information_score(logged, r_logged, P3).per_item)
    lower, upper = cooke.intrinsic_range(answers, realizations, log)
    span = np.log(500.0) - np.log(1.0)
    assert_allclose([lower[0], upper[0]], [-0.1 * span, np.log(500.0) + 0.1 * span])
    pooled = cooke.pooled_quantiles(answers, realizations, P3, [1, 1], log)
    pooled_logged = cooke.pooled_quantiles(logged, r_logged, P3, [1, 1])
    assert_allclose(np.log(pooled[0]), pooled_logged[0], rtol=1e-12)


def test_intrinsic_range_includes_realization_and_partly_given_answers():
    answers = np.array([[[1.0, 2.0, 3.0]], [[np.nan, np.nan, 9.0]]])
    lower, upper = cooke.intrinsic_range(answers, [-1.0], overshoot=0.5)
    assert_allclose([lower[0], upper[0]], [-6.0, 14.0])
    # the partly given answer counts for the range only
    info = cooke.information_score(answers, [-1.0], P3, overshoot=0.5)
    assert np.isnan(info.per_item[1, 0])
    assert_array_equal(cooke.bin_counts(answers, [-1.0]), [[1, 0, 0, 0], [0, 0, 0, 0]])


def test_global_and_item_weights():
    cal, info = np.array([0.5, 0.1, 0.01]), np.array([1.0, 2.0, 3.0])
    assert_allclose(cooke.global_weights(cal, info), [0.5, 0.2, 0.03] / np.float64(0.73))
    assert_allclose(cooke.global_weights(cal, info, alpha=0.1), [0.5, 0.2, 0] / np.float64(0.7))
    per_item = np.array([[1.0, np.nan], [2.0, 1.0], [3.0, 1.0]])
    w = cooke.item_weights(cal, per_item, alpha=0.05)
    assert_allclose(w, [[0.5 / 0.7, 0.0], [0.2 / 0.7, 1.0], [0.0, 0.0]])
    assert np.isnan(cooke.item_weights(cal, per_item, alpha=0.3)[:, 1]).all()


def pooled_by_loop(answers, realizations, quantiles, weights, overshoot=0.1):
    """The linear pool item by item with np.interp: the reference for the vectorised one."""
    lower, upper = cooke.intrinsic_range(answers, realizations, overshoot=overshoot)
    levels = np.concatenate([[0.0], quantiles, [1.0]])
    out = np.full(answers.shape[1:], np.nan)
    for i in range(answers.shape[1]):
        answered = ~np.isnan(answers[:, i]).any(-1)
        w = weights[:, i] * answered
        if not w.sum() > 0:
            continue
        w = w / w.sum()
        grid = np.unique(np.r_[lower[i], answers[answered, i].ravel(), upper[i]])
        cdf = sum(
            w[e] * np.interp(grid, np.r_[lower[i], answers[e, i], upper[i]], levels)
            for e in np.flatnonzero(answered)
        )
        out[i] = np.interp(quantiles, cdf, grid)
    return out


def test_pool_with_one_expert_returns_its_quantiles_exactly():
    # Other experts give the same answers (ties in the knots), some items are on logs.
    rng = np.random.default_rng(3)
    base = np.sort(rng.uniform(1, 100, (1, 6, 5)), axis=-1)
    answers = np.concatenate([base, base, np.sort(rng.uniform(1, 100, (2, 6, 5)), -1)])
    realizations = rng.uniform(1, 100, 6)
    log = np.array([True, False] * 3)
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    for weights in ([0, 1, 0, 0], [1, 1, 0, 0]):
        pooled = cooke.pooled_quantiles(answers, realizations, levels, weights, log)
        assert_array_equal(pooled, base[0])


# ---------------------------------------------------------------------------
# properties on random studies
# ---------------------------------------------------------------------------

LEVELS = [[0.5], [0.1, 0.5, 0.9], P3, [0.05, 0.25, 0.5, 0.75, 0.95]]


def random_study(seed, n_experts, n_items, levels, missing=0.15, logs=True):
    rng = np.random.default_rng(seed)
    n_q = len(levels)
    centre = rng.normal(0, 10, n_items)
    steps = rng.exponential(rng.uniform(0.5, 5, (n_experts, n_items, 1)), (n_experts, n_items, n_q))
    answers = centre[:, None] + rng.normal(0, 5, (n_experts, n_items, 1)) + np.cumsum(steps, -1)
    realizations = centre + rng.normal(0, 8, n_items)
    if n_q > 1:  # with one quantile, a target item could have a single value
        realizations[rng.random(n_items) < 0.3] = np.nan
    realizations[0] = centre[0]  # at least one seed
    log = (rng.random(n_items) < 0.3) if logs else np.zeros(n_items, bool)
    answers[:, log] = np.exp(answers[:, log] / 10)
    realizations[log] = np.exp(realizations[log] / 10)
    gone = rng.random((n_experts, n_items)) < missing
    gone[:, 0] = False  # everybody answers a seed
    gone[:2] = False  # every item has an answer, also without the first expert
    answers[gone] = np.nan
    return answers, realizations, np.array(levels), log


def study_strategy(logs=True):
    return st.builds(
        random_study,
        seed=st.integers(0, 2**32 - 1),
        n_experts=st.integers(1, 6),
        n_items=st.integers(1, 7),
        levels=st.sampled_from(LEVELS),
        logs=st.just(logs),
    )


studies = study_strategy()


@settings(max_examples=60, deadline=None)
@given(studies)
def test_pool_matches_the_item_by_item_reference(study_arrays):
    answers, realizations, levels, _ = study_arrays
    weights = np.random.default_rng(1).uniform(0, 1, answers.shape[:2])
    ours = cooke.pooled_quantiles(answers, realizations, levels, weights)
    assert_allclose(ours, pooled_by_loop(answers, realizations, levels, weights), rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(studies, st.sampled_from(["global", "item"]))
def test_weights_sum_to_one(study_arrays, weighting):
    model = cooke.classical_model(*study_arrays, weighting=weighting)
    assert_allclose(model.weights.sum(), 1.0)
    assert (model.weights[model.calibration < model.alpha * (1 - 1e-10)] == 0).all()
    per_item = model.dm.weights.sum(0)
    assert_allclose(per_item[per_item > 0], 1.0)
    assert np.isnan(model.dm.quantiles[per_item == 0]).all()
    # The chosen DM scores best; a DM calibrated below its alpha scores 0 in the search
    # (then every candidate did), though its own combined score is still reported.
    qualifies = model.dm.calibration >= model.alpha * (1 - cooke.TIE_RTOL)
    assert model.dm.combined * qualifies == model.candidate_scores.max()
    assert model.alpha in model.candidates


@settings(max_examples=60, deadline=None)
@given(studies, st.randoms(use_true_random=False), st.sampled_from(["global", "item"]))
def test_order_of_experts_does_not_matter(study_arrays, random, weighting):
    answers, realizations, levels, log = study_arrays
    order = list(range(answers.shape[0]))
    random.shuffle(order)
    a = cooke.classical_model(answers, realizations, levels, log, weighting=weighting)
    b = cooke.classical_model(answers[order], realizations, levels, log, weighting=weighting)
    assert_allclose(b.calibration, a.calibration[order], rtol=1e-12)
    assert_allclose(b.information_all, a.information_all[order], rtol=1e-12)
    assert_allclose(b.weights, a.weights[order], rtol=1e-9, atol=1e-12)
    assert_allclose(b.dm.quantiles, a.dm.quantiles, rtol=1e-9)
    assert_allclose(b.dm.combined, a.dm.combined, rtol=1e-9, atol=1e-12)  # 0 vs -1e-16


@settings(max_examples=40, deadline=None)
@given(studies, st.randoms(use_true_random=False))
def test_order_of_items_does_not_matter(study_arrays, random):
    answers, realizations, levels, log = study_arrays
    order = list(range(answers.shape[1]))
    random.shuffle(order)
    a = cooke.classical_model(answers, realizations, levels, log)
    b = cooke.classical_model(answers[:, order], realizations[order], levels, log[order])
    assert_allclose(b.calibration, a.calibration, rtol=1e-9)
    assert_allclose(b.information_seeds, a.information_seeds, rtol=1e-9)
    assert_allclose(b.dm.quantiles, a.dm.quantiles[order], rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(study_strategy(logs=False), st.floats(0.01, 100), st.floats(-1e3, 1e3))
def test_scores_do_not_depend_on_the_unit_of_uniform_items(study_arrays, scale, shift):
    answers, realizations, levels, _ = study_arrays
    a = cooke.classical_model(answers, realizations, levels)
    b = cooke.classical_model(answers * scale + shift, realizations * scale + shift, levels)
    assert_allclose(b.calibration, a.calibration, rtol=1e-6, atol=1e-12)
    assert_allclose(b.information_all, a.information_all, rtol=1e-6, atol=1e-9)
    assert_allclose(b.dm.quantiles, a.dm.quantiles * scale + shift, rtol=1e-6, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(studies)
def test_robustness_rows_are_the_model_without_the_item_or_expert(study_arrays):
    answers, realizations, levels, log = study_arrays
    seeds = np.flatnonzero(np.isfinite(realizations))
    if seeds.size >= 2:
        table = cooke.item_robustness(answers, realizations, levels, log)
        keep = np.arange(realizations.size) != seeds[-1]
        answered = ~np.isnan(answers).any(-1)
        experts = answered[:, keep & np.isfinite(realizations)].any(-1)
        model = cooke.classical_model(
            answers[experts][:, keep], realizations[keep], levels, log[keep]
        )
        assert table.left_out[-1] == seeds[-1]
        assert_allclose(table.combined[-1], model.dm.combined, rtol=1e-12)
    if answers.shape[0] >= 2:
        table = cooke.expert_robustness(answers, realizations, levels, log)
        model = cooke.classical_model(answers[1:], realizations, levels, log)
        assert_allclose(table.calibration[0], model.dm.calibration, rtol=1e-12)
        assert_allclose(table.information_all[0], model.dm.information_all, rtol=1e-12)


# ---------------------------------------------------------------------------
# conventions: missing answers, ties, fixed alpha
# ---------------------------------------------------------------------------


def test_an_expert_missing_an_item_has_no_weight_there():
    answers, realizations, levels, log = args("Daniela")
    missing = np.argwhere(np.isnan(answers).any(-1))
    e, i = missing[0]
    model = cooke.classical_model(answers, realizations, levels, log)
    assert model.dm.weights[e, i] == 0
    assert_allclose(model.dm.weights[:, i].sum(), 1.0)
    assert np.isnan(model.information_per_item[e, i])
    dm = cooke.equal_weight_dm(answers, realizations, levels, log)
    assert_allclose(dm.weights[:, i], np.where(np.arange(4) == e, 0, 1 / 3))


def answers_in_bins(bins, realizations):
    """Quantiles one apart, placed so that each realization falls in its bin."""
    return np.array(
        [r + np.array([0.5, 1.5, 2.5]) - b for b, r in zip(bins, realizations, strict=True)]
    )


def test_calibrations_equal_up_to_rounding_are_one_alpha():
    # Hits swapped between the 5 % and the 95 % tail give the same statistic; computed
    # naively (1 - 0.95 is not 0.05) the two scores would differ by rounding.
    realizations = np.linspace(0.0, 7.0, 8)
    answers = np.array(
        [
            answers_in_bins([0, 0, 1, 2, 2, 2, 2, 3], realizations),
            answers_in_bins([0, 1, 2, 2, 2, 2, 3, 3], realizations),
        ]
    )
    assert_array_equal(cooke.bin_counts(answers, realizations), [[2, 1, 4, 1], [1, 1, 4, 2]])
    model = cooke.classical_model(answers, realizations, P3)
    assert model.calibration[0] == model.calibration[1]
    assert model.candidates.size == 1
    assert (model.weights > 0).all()


def test_fixed_alpha_drops_experts_below_it():
    model = cooke.classical_model(*args("tobacco"), alpha=0.1)
    assert model.alpha == 0.1
    assert_array_equal(model.weights > 0, model.calibration >= 0.1)
    assert model.candidates.tolist() == [0.1]


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

GOOD = np.array([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[1.5, 2.5, 3.5], [3.0, 5.5, 7.0]]])
SEEDS = np.array([2.2, np.nan])


def bad(answers=GOOD, realizations=SEEDS, quantiles=P3, log=None, **options):
    return cooke.classical_model(answers, realizations, quantiles, log, **options)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bad(answers=GOOD[0]), r"answers must have shape \(n_experts, n_items"),
        (lambda: bad(answers=GOOD[:, :, :0], quantiles=[]), "answers must have shape"),
        (lambda: bad(quantiles=[0.05, 0.5]), "quantiles has 2 levels but answers give 3"),
        (lambda: bad(quantiles=[0.0, 0.5, 0.95]), r"quantiles\[0\] = 0.0 is not a level"),
        (lambda: bad(quantiles=[0.05, 0.5, np.nan]), r"quantiles\[2\] = nan is not a level"),
        (lambda: bad(quantiles=[0.5, 0.5, 0.95]), r"quantiles\[1\] = 0.5 does not increase"),
        (lambda: bad(quantiles=[[0.5]]), "quantiles must be a non-empty 1-d array"),
        (lambda: bad(realizations=[1.0]), r"realizations must have shape \(2,\)"),
        (lambda: bad(realizations=[np.inf, 1.0]), r"realizations\[0\] is infinite"),
        (lambda: bad(log=[True]), "log_scale must be 2 booleans"),
        (lambda: bad(log=[0, 2]), "log_scale must be 2 booleans"),
        (
            lambda: bad(answers=np.where(GOOD == 5.5, np.inf, GOOD)),
            r"answers\[1, 1, 1\] is infinite",
        ),
        (
            lambda: bad(answers=np.where(GOOD == 5.5, 8.0, GOOD)),
            r"answers\[1, 1\] = \[3. 8. 7.\] does not increase strictly",
        ),
        (
            lambda: bad(answers=np.where(GOOD == 2.5, 1.5, GOOD)),
            r"answers\[1, 0\] .* does not increase strictly",
        ),
        (
            lambda: bad(answers=GOOD - 4, log=[False, True]),
            r"answers\[0, 1, 0\] = 0.0 is not positive on a log item",
        ),
        (
            lambda: bad(answers=GOOD - 1.5, log=[True, False]),
            r"answers\[0, 0, 0\] = -0.5 is not positive on a log item",
        ),
        (
            lambda: bad(realizations=[-2.0, np.nan], log=[True, False]),
            r"realizations\[0\] = -2.0 is not positive on a log item",
        ),
        (lambda: bad(overshoot=0), "overshoot must be a positive number, got 0"),
        (lambda: bad(overshoot=np.nan), "overshoot must be a positive number"),
        (lambda: bad(realizations=[np.nan, np.nan]), "no seed item"),
        (lambda: bad(answers=np.where(GOOD == 1.0, np.nan, GOOD)), "expert 0 answered no seed"),
        (lambda: bad(weighting="equal"), "weighting must be 'global' or 'item'"),
        (lambda: bad(alpha=0.99), r"alpha = 0.99 is above every calibration score"),
        (
            lambda: cooke.classical_model(np.ones((2, 1, 1)), [1.0], [0.5]),
            "item 0: all its values are equal",
        ),
        (
            lambda: cooke.calibration_score(GOOD, SEEDS, P3, n_seeds=0),
            "n_seeds must be a positive integer, got 0",
        ),
        (
            lambda: cooke.calibration_score(GOOD, SEEDS, P3, n_seeds=1.5),
            "n_seeds must be a positive integer, got 1.5",
        ),
        (
            lambda: cooke.global_weights([0.5, -0.1], [1.0, 1.0]),
            r"calibration\[1\] = -0.1 is not a finite non-negative number",
        ),
        (
            lambda: cooke.global_weights([0.5, 0.1], [1.0]),
            r"information must have shape \(2,\), got \(1,\)",
        ),
        (
            lambda: cooke.global_weights([0.5, 0.1], [1.0, 1.0], alpha=0.6),
            "no expert has a positive weight at alpha = 0.6",
        ),
        (
            lambda: cooke.item_weights([0.5, 0.1], [1.0, 1.0]),
            r"information_per_item must have shape \(2, n_items\)",
        ),
        (
            lambda: cooke.item_weights([0.5, 0.1], [[1.0], [-np.inf]]),
            r"information_per_item\[1, 0\] = -.* is not a finite non-negative number",
        ),
        (
            lambda: cooke.decision_maker(GOOD, SEEDS, P3, [1.0, -1.0]),
            r"weights\[1, 0\] = -1.0 is not a finite non-negative number",
        ),
        (
            lambda: cooke.decision_maker(GOOD, SEEDS, P3, [1.0, 1.0, 1.0]),
            r"weights must have shape \(2, 2\), got \(3,\)",
        ),
        (lambda: cooke.decision_maker(GOOD, SEEDS, P3, [0, 0]), "weights are all zero"),
        (
            lambda: cooke.pooled_quantiles(GOOD, SEEDS, P3, [np.nan, 1.0]),
            r"weights\[0, 0\] = nan is not a finite non-negative number",
        ),
        (
            lambda: cooke.user_weight_dm(GOOD, SEEDS, P3, np.ones((2, 2))),
            r"user_weights must be 1-d, got shape \(2, 2\)",
        ),
        (lambda: cooke.item_robustness(GOOD, SEEDS, P3), "needs two seed items, the study has 1"),
        (
            lambda: cooke.expert_robustness(GOOD[:1], SEEDS, P3),
            "needs two experts, the study has 1",
        ),
        (lambda: cooke.intrinsic_range(GOOD, SEEDS, overshoot=-1), "overshoot must be a positive"),
        (lambda: cooke.bin_counts(GOOD, [1.0, 2.0, 3.0]), r"realizations must have shape"),
        (lambda: cooke.calibration_score(GOOD, SEEDS, None), "quantiles must give the"),
        (lambda: bad(quantiles=None), "quantiles must give the quantile levels"),
        (lambda: bad(alpha=-0.5), r"alpha must be a number in \[0, 1\], got -0.5"),
        (lambda: bad(alpha="0.1"), "alpha must be a finite number, got '0.1'"),
        (
            lambda: cooke.global_weights([0.5, 0.1], [1.0, 1.0], alpha=-0.1),
            r"alpha must be a number in \[0, 1\]",
        ),
        (
            lambda: cooke.item_weights([0.5, 0.1], [[np.inf, 1.0], [2.0, 1.0]]),
            r"information_per_item\[0, 0\] = inf is not a finite non-negative number",
        ),
    ],
)
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_decision_maker_without_seed_answers_has_no_calibration():
    answers = np.array([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[1.5, 2.5, 3.5], [3.0, 5.5, 7.0]]])
    weights = np.array([[0.0, 1.0], [0.0, 1.0]])  # nobody's weight on the seed item
    dm = cooke.decision_maker(answers, [2.2, np.nan], P3, weights)
    assert np.isnan(dm.calibration) and np.isnan(dm.information_seeds)


def test_calibration_that_underflows_for_every_expert_is_refused():
    rng = np.random.default_rng(0)
    n_items = 400  # every expert badly calibrated on 400 seeds: scores below 1e-308
    answers = np.sort(rng.normal(0, 1, (3, n_items, 3)), axis=-1)
    realizations = np.full(n_items, 50.0)
    with pytest.raises(ValueError, match="calibration score is 0 to double precision"):
        cooke.classical_model(answers, realizations, P3)
