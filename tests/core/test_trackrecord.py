"""Track-record weighting: records use only earlier outcomes; weights shrink as documented."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elicit.core import trackrecord as tr
from elicit.core.pooling import linear_pool


@st.composite
def histories(draw):
    """A few experts' forecasts of a few questions at integer times, some questions resolved."""
    n_questions = draw(st.integers(1, 6))
    n_experts = draw(st.integers(1, 4))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_questions - 1),
                st.integers(0, n_experts - 1),
                st.integers(0, 12),
                st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.8, 1.0]),
            ),
            min_size=1,
            max_size=30,
        )
    )
    outcomes = draw(
        st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=n_questions, max_size=n_questions)
    )
    resolved = draw(st.lists(st.integers(0, 14), min_size=n_questions, max_size=n_questions))
    q, e, t, p = (np.array(column) for column in zip(*rows, strict=True))
    return (
        p.astype(float),
        q.astype(np.intp),
        e.astype(np.intp),
        t.astype(float),
        n_questions,
        np.array(outcomes),
        np.array(resolved, dtype=float),
    )


def _brute_record(p, q, e, t, n_questions, o, r, score="brier"):
    """The as-of record by loops over judgments, as the docstrings define it."""
    scores = {}
    for expert in set(e.tolist()):
        for question in range(n_questions):
            if np.isnan(o[question]):
                continue
            mine = (e == expert) & (q == question) & (t < r[question])
            if not mine.any():
                continue
            latest = mine & (t == t[mine].max())
            if score == "brier":
                each = (p[latest] - o[question]) ** 2
            else:
                each = -np.log(
                    np.where(o[question] == 1, p[latest], 1 - p[latest]).clip(1e-3, 1 - 1e-3)
                )
            scores[expert, question] = each.mean()
    count, mean = [], []
    for i in range(p.size):
        earned = [
            s
            for (x, question), s in scores.items()
            if x == e[i] and question != q[i] and r[question] < t[i]
        ]
        count.append(len(earned))
        mean.append(np.mean(earned) if earned else np.nan)
    return np.array(count), np.array(mean)


@settings(max_examples=200, deadline=None)
@given(histories(), st.sampled_from(["brier", "log"]))
def test_the_record_counts_only_other_questions_resolved_strictly_before(history, score):
    record = tr.as_of_record(*history, score=score)
    count, mean = _brute_record(*history, score=score)
    assert record.count.tolist() == count.tolist()
    np.testing.assert_allclose(record.mean, mean, rtol=1e-12, atol=1e-15)


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(0, 14), st.randoms(use_true_random=False))
def test_outcomes_resolved_after_a_forecast_never_change_it(history, cut, random):
    """Alter, annul or permute every outcome resolved at or after ``cut``: nothing earlier moves."""
    p, q, e, t, n_questions, o, r = history
    later = np.flatnonzero(r >= cut)
    changed = o.copy()
    shuffled = changed[later].copy()
    random.shuffle(shuffled)
    changed[later] = [random.choice([0.0, 1.0, np.nan, v]) for v in shuffled]
    before = tr.as_of_record(p, q, e, t, n_questions, o, r)
    after = tr.as_of_record(p, q, e, t, n_questions, changed, r)
    early = t <= cut
    assert before.count[early].tolist() == after.count[early].tolist()
    assert np.array_equal(before.mean[early], after.mean[early], equal_nan=True)
    # a question whose every forecast came by ``cut`` pools exactly as before
    latest = np.full(n_questions, -np.inf)
    np.maximum.at(latest, q, t)
    settled = (latest <= cut) & np.isfinite(latest)
    for method in ("linear", "median", "log_odds"):
        old = tr.track_record_pool(
            p, q, e, t, n_questions, o, r, method=method, minimum=1, shrinkage=1
        )
        new = tr.track_record_pool(
            p, q, e, t, n_questions, changed, r, method=method, minimum=1, shrinkage=1
        )
        assert np.array_equal(old[settled], new[settled])


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(0, 14))
def test_the_backtests_forecasts_use_no_later_outcome(history, cut):
    p, q, e, t, n_questions, o, r = history
    changed = np.where(r >= cut, 1 - np.nan_to_num(o, nan=0.0), o)
    before = tr.track_record_backtest(p, q, e, t, n_questions, o, r, minimum=1, shrinkage=0.5)
    after = tr.track_record_backtest(p, q, e, t, n_questions, changed, r, minimum=1, shrinkage=0.5)
    latest = np.full(n_questions, -np.inf)
    np.maximum.at(latest, q, t)
    settled = latest <= cut
    for name in before.result.methods:
        old = before.result.forecasts[before.result.methods.index(name)]
        new = after.result.forecasts[after.result.methods.index(name)]
        assert np.array_equal(old[settled], new[settled], equal_nan=True), name


def test_judgments_made_once_the_outcome_was_known_are_neither_scored_nor_pooled():
    # expert 0 answers question 0 before (t=1) and after (t=9) it resolves at 5
    p = np.array([0.9, 0.0, 0.7])
    q = np.array([0, 0, 1])
    e = np.array([0, 0, 0])
    t = np.array([1.0, 9.0, 9.0])
    o = np.array([0.0, np.nan])
    r = np.array([5.0, np.nan])
    scored = tr.scored_forecasts(p, q, e, t, 2, o, r)
    assert scored.score.tolist() == pytest.approx([0.81])
    record = tr.as_of_record(p, q, e, t, 2, o, r)
    # the t=9 judgment of question 0 does not count question 0's own outcome
    assert record.count.tolist() == [0, 0, 1]
    bt = tr.track_record_backtest(p, q, e, t, 2, o, r, minimum=1)
    assert bt.forecast.tolist() == [True, False, True]
    linear = bt.result.forecasts[bt.result.methods.index("linear")]
    assert linear.tolist() == pytest.approx([0.9, 0.7])


def test_resolution_at_the_very_time_of_a_forecast_does_not_count():
    p = np.array([0.2, 0.6, 0.4])
    q = np.array([0, 1, 1])
    e = np.array([0, 0, 0])
    t = np.array([0.0, 5.0, 6.0])
    o = np.array([1.0, np.nan])
    r = np.array([5.0, np.nan])
    assert tr.as_of_record(p, q, e, t, 2, o, r).count.tolist() == [0, 0, 1]


def _record(counts, means):
    return np.array(counts), np.array(means, dtype=float)


def test_below_the_minimum_every_weight_is_equal():
    count, mean = _record([4, 4, 0], [0.01, 0.3, np.nan])
    weights = tr.track_record_weights(count, mean, [0, 0, 0], 1, minimum=5)
    assert weights.tolist() == pytest.approx([1 / 3] * 3)
    weights = tr.track_record_weights(count, mean, [0, 0, 0], 1, minimum=4)
    assert weights[0] > weights[2] > weights[1]


def test_shrinkage_mixes_skill_weights_with_equal_weights():
    count, mean = _record([20, 20, 20], [0.05, 0.15, 0.25])
    skill = np.exp(-2.0 * mean / 0.25)
    share = skill / skill.sum()
    for k in (0.0, 5.0, 20.0, 1e9):
        lam = 20 / (20 + k)
        weights = tr.track_record_weights(count, mean, [0, 0, 0], 1, shrinkage=k)
        assert weights == pytest.approx(lam * share + (1 - lam) / 3)
    # no sharpness: no skill differences, equal weights
    flat = tr.track_record_weights(count, mean, [0, 0, 0], 1, sharpness=0)
    assert flat.tolist() == pytest.approx([1 / 3] * 3)


def test_more_record_earns_more_trust():
    # the same (good) mean score over 6 and over 60 questions, against an average newcomer
    few = tr.track_record_weights(*_record([6, 0], [0.05, np.nan]), [0, 0], 1)
    many = tr.track_record_weights(*_record([60, 0], [0.05, np.nan]), [0, 0], 1)
    assert few[0] == pytest.approx(0.5)  # the only record sets the group's average
    two = tr.track_record_weights(*_record([6, 60, 6], [0.05, 0.05, 0.25]), [0, 0, 0], 1)
    assert two[1] > two[0] > two[2]
    assert many.sum() == pytest.approx(1.0)


def test_weights_sum_to_one_per_question_and_pool_as_the_linear_pool():
    count, mean = _record([10, 3, 10, 12], [0.1, 0.2, 0.3, np.nan])
    count[3] = 0
    groups = np.array([0, 0, 1, 1])
    weights = tr.track_record_weights(count, mean, groups, 2, minimum=5)
    assert np.bincount(groups, weights=weights).tolist() == pytest.approx([1.0, 1.0])
    p = np.array([0.2, 0.8, 0.4, 0.6])
    assert linear_pool(p, groups, 2, weights) == pytest.approx(
        [weights[0] * 0.2 + weights[1] * 0.8, weights[2] * 0.4 + weights[3] * 0.6]
    )


def test_the_better_expert_makes_the_weighted_pool_beat_equal_weights():
    rng = np.random.default_rng(3)
    n_questions, n_experts = 60, 6
    q = np.repeat(np.arange(n_questions), n_experts)
    e = np.tile(np.arange(n_experts), n_questions)
    t = q * 10.0
    o = rng.integers(0, 2, n_questions).astype(float)
    r = t[::n_experts] + 5
    miss = np.linspace(0.05, 0.45, n_experts)[e]
    p = np.clip(np.where(o[q] == 1, 1 - miss, miss) + rng.normal(0, 0.05, q.size), 0, 1)
    bt = tr.track_record_backtest(p, q, e, t, n_questions, o, r)
    brier = dict(zip(bt.result.methods, bt.result.brier, strict=True))
    assert brier["track_record_linear"] < brier["linear"]
    assert bt.minimum == tr.DEFAULT_MINIMUM and bt.shrinkage == tr.DEFAULT_SHRINKAGE
    # the first questions, before anyone has a record of 5, are pooled with equal weights
    first = q < tr.DEFAULT_MINIMUM
    assert bt.weights[first] == pytest.approx(1 / n_experts)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(values=[1.5, 0.2]), "outside"),
        (dict(experts=[0, -1]), "negative"),
        (dict(times=[0.0, np.nan]), "times"),
        (dict(outcomes=[2.0]), "outcomes"),
        (dict(resolved_at=[np.nan]), "resolved_at"),
        (dict(score="spherical"), "score"),
        (dict(minimum=0), "minimum"),
        (dict(shrinkage=-1.0), "shrinkage"),
        (dict(method="mode"), "unknown pool"),
    ],
)
def test_bad_input_is_refused(change, message):
    arguments = (
        dict(
            values=[0.1, 0.2],
            questions=[0, 0],
            experts=[0, 1],
            times=[0.0, 1.0],
            n_questions=1,
            outcomes=[1.0],
            resolved_at=[3.0],
        )
        | change
    )
    with pytest.raises(ValueError, match=message):
        tr.track_record_pool(**arguments)


def test_the_backtest_refuses_unknown_pools_and_a_bad_scored_mask():
    arguments = ([0.1], [0], [0], [0.0], 1, [1.0], [3.0])
    with pytest.raises(ValueError, match="unknown pool"):
        tr.track_record_backtest(*arguments, weighted=("nope",))
    with pytest.raises(ValueError, match="scored"):
        tr.track_record_backtest(*arguments, scored=[True, False])
