"""aggreCAT's methods: published confidence scores, a plain re-implementation, bad input.

Published values (all computed by aggreCAT with ``percent_toggle = TRUE`` unless noted):

* ArMean for the first ten claims of the whole pilot dataset: aggreCAT's README and the
  manuscript ``vignettes/aggreCAT.tex`` (Gould et al., "aggreCAT: an R package for
  mathematically aggregating expert judgments"), github.com/metamelb-repliCATS/aggreCAT.
* ArMean, IndIntWAgg, IntWAgg and ShiftWAgg on the manuscript's "focal claims" (claims
  24, 108, 138, 186 judged by five participants, named in ``inst/ms/aggreCAT.tex``),
  and the AUC / Brier score / accuracy tables for those methods on the focal claims
  (``inst/ms/aggreCAT.tex``) and on all 25 claims (``vignettes/aggreCAT.tex``).
* The green-turtle example of the manuscript (Arlidge et al. 2020, Table S51): counts,
  not probabilities, aggregated with ``percent_toggle = FALSE``.

The other methods have no published scores; they are checked against ``_reference``
below, a straightforward claim-by-claim, expert-by-expert transcription of aggreCAT's
R code (``R/*WAgg.R``, ``R/weight_*.R``) written for this test.
"""

import csv
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.optimize import brentq

from elicit.core import aggrecat
from elicit.core.aggrecat import EPS, METHODS, NEEDS_EXPERTS, NEEDS_ROUND1

DATA = Path(__file__).resolve().parents[1] / "data" / "replicats"
FOCAL_USERS = {"5nuvx01cj5", "f35wd3nhdz", "g31jx5dffs", "kf7fxabzu0", "lvr6dwbqag"}
FOCAL_CLAIMS = {"24", "108", "138", "186"}


def _load(claims=None, users=None):
    """Round-2 judgments with their round-1 pairs, as probabilities, one row per (claim, expert)."""
    points = defaultdict(dict)
    with open(DATA / "data_ratings.csv", newline="") as f:
        for row in csv.DictReader(f):
            if not row["element"].startswith("three_point_"):
                continue
            if (claims and row["paper_id"] not in claims) or (
                users and row["user_name"] not in users
            ):
                continue
            key = (row["round"], row["paper_id"], row["user_name"])
            points[key][row["element"].removeprefix("three_point_")] = float(row["value"]) / 100
    pairs = sorted((c, u) for r, c, u in points if r == "round_2")
    claim_ids = sorted({c for c, _ in pairs}, key=int)
    user_ids = sorted({u for _, u in pairs})

    def column(round_, element):
        return np.array([points[(round_, c, u)][element] for c, u in pairs])

    return {
        "claims": claim_ids,
        "lower": column("round_2", "lower"),
        "best": column("round_2", "best"),
        "upper": column("round_2", "upper"),
        "groups": np.array([claim_ids.index(c) for c, _ in pairs]),
        "n_groups": len(claim_ids),
        "experts": np.array([user_ids.index(u) for _, u in pairs]),
        "round1": tuple(column("round_1", e) for e in ("lower", "best", "upper")),
    }


def _outcomes(claims):
    with open(DATA / "data_outcomes.csv", newline="") as f:
        outcome = {row["paper_id"]: float(row["outcome"]) for row in csv.DictReader(f)}
    return np.array([outcome[c] for c in claims])


def _run(name, data):
    return METHODS[name](
        data["lower"],
        data["best"],
        data["upper"],
        data["groups"],
        data["n_groups"],
        experts=data["experts"],
        round1=data["round1"],
    )


@pytest.fixture(scope="module")
def pilot():
    return _load()


@pytest.fixture(scope="module")
def focal():
    return _load(FOCAL_CLAIMS, FOCAL_USERS)


# Published confidence scores ##############################################################


def test_pilot_data_is_complete(pilot):
    assert pilot["n_groups"] == 25
    assert pilot["best"].size == 625
    assert np.bincount(pilot["groups"]).tolist() == [25] * 25


def test_armean_matches_published_scores_for_the_pilot_data(pilot):
    published = [0.706, 0.308, 0.625, 0.471, 0.365, 0.718, 0.725, 0.626, 0.548, 0.599]
    claims = ("100", "102", "103", "104", "106", "108", "109", "116", "118", "133")
    order = [pilot["claims"].index(c) for c in claims]
    assert_allclose(_run("ArMean", pilot)[order], published, atol=5e-4)


@pytest.mark.parametrize(
    ("method", "published"),
    [
        # claims 108, 138, 186, 24 as printed by the manuscript (3 significant digits)
        ("ArMean", [0.74, 0.686, 0.576, 0.222]),
        ("IndIntWAgg", [0.740, 0.685, 0.561, 0.19]),
        ("IntWAgg", [0.748, 0.694, 0.581, 0.181]),
        ("ShiftWAgg", [0.715, 0.706, 0.438, 0.209]),
    ],
)
def test_published_scores_for_the_focal_claims(focal, method, published):
    order = [focal["claims"].index(c) for c in ("108", "138", "186", "24")]
    assert_allclose(_run(method, focal)[order], published, atol=5e-4)


def test_focal_claim_108_matches_the_manuscript_table(focal):
    k = focal["claims"].index("108")
    members = focal["groups"] == k
    rows = sorted(
        zip(focal["lower"][members], focal["best"][members], focal["upper"][members], strict=True)
    )
    expected = [
        (0.4, 0.65, 0.9),
        (0.5, 0.6, 0.7),
        (0.6, 0.8, 0.9),
        (0.7, 0.8, 0.9),
        (0.7, 0.85, 0.9),
    ]
    assert_allclose(rows, expected)


def _auc(scores, outcomes):
    pos, neg = scores[outcomes == 1], scores[outcomes == 0]
    return np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))


@pytest.mark.parametrize(
    ("method", "auc", "brier", "accuracy"),
    [
        ("ArMean", 0.94, 0.15, 0.84),
        ("IndIntWAgg", 0.93, 0.14, 0.84),
        ("IntWAgg", 0.93, 0.14, 0.84),
        ("ShiftWAgg", 0.96, 0.15, 0.88),
    ],
)
def test_published_evaluation_on_all_claims(pilot, method, auc, brier, accuracy):
    scores, outcomes = _run(method, pilot), _outcomes(pilot["claims"])
    assert round(_auc(scores, outcomes), 2) == auc
    assert round(float(np.mean((scores - outcomes) ** 2)), 2) == brier
    assert np.mean((scores > 0.5) == outcomes) == accuracy


@pytest.mark.parametrize(
    ("method", "brier", "accuracy"),
    [
        ("ArMean", 0.099, 1.0),
        ("IndIntWAgg", 0.099, 1.0),
        ("IntWAgg", 0.091, 1.0),
        ("ShiftWAgg", 0.132, 0.75),
    ],
)
def test_published_evaluation_on_the_focal_claims(focal, method, brier, accuracy):
    scores, outcomes = _run(method, focal), _outcomes(focal["claims"])
    assert _auc(scores, outcomes) == 1.0
    assert round(float(np.mean((scores - outcomes) ** 2)), 3) == brier
    assert np.mean((scores > 0.5) == outcomes) == accuracy


def test_green_turtle_example_matches_the_manuscript():
    # user, round 1 (lower, upper, best), round 2 (lower, upper, best); counts of turtles.
    table = np.array(
        [
            [10.00, 16.43, 10.00, 10.00, 16.43, 10.00],
            [500.00, 522.50, 500.00, 293.75, 406.25, 350.00],
            [400.00, 512.50, 400.00, 300.00, 356.25, 300.00],
            [32.29, 65.10, 41.67, 32.29, 65.10, 41.67],
            [6.67, 7.74, 6.67, 6.67, 7.74, 6.67],
        ]
    )
    # The methods below are scale-free, so dividing by 1000 (into [0, 1]) and multiplying
    # the scores back gives aggreCAT's percent_toggle = FALSE results on the counts.
    low1, up1, best1, low, up, best = (table / 1000).T
    groups, experts = np.zeros(5, dtype=int), np.arange(5)
    published = {"ArMean": 141.67, "IndIntWAgg": 141.67, "IntWAgg": 15.26, "ShiftWAgg": 328.85}
    for method, score in published.items():
        result = METHODS[method](
            low, best, up, groups, 1, experts=experts, round1=(low1, best1, up1)
        )
        assert_allclose(1000 * result, [score], atol=0.005, err_msg=method)


# A plain transcription of aggreCAT's R code ###############################################


def _weighted(best, weights):
    total = sum(weights)
    return sum(w * b for w, b in zip(weights, best, strict=True)) / total if total else math.nan


def _equal_if_all_zero(weights):
    return [1.0] * len(weights) if all(w == 0 for w in weights) else weights


def _normalized(weights):
    total = sum(weights)
    return [w / total for w in weights]


def _beta66(x):
    """pbeta(x, 6, 6) as a binomial tail: P(at least 6 of 11 uniforms fall below x)."""
    return sum(math.comb(11, j) * x**j * (1 - x) ** (11 - j) for j in range(6, 12))


def _distribution_median(cdf, rows):
    """Smallest x where the average distribution function reaches 1/2."""

    def average(x):
        return statistics.fmean(cdf(x, *row) for row in rows) - 0.5

    if average(0.0) >= 0:
        return 0.0
    root = brentq(average, 0.0, 1.0, xtol=1e-15, rtol=4 * sys.float_info.epsilon)
    # on a flat stretch at 1/2 the smallest median is where the stretch starts: a bound
    flat_starts = [x for row in rows for x in row if x <= root and abs(average(x)) < 1e-12]
    return min([root, *flat_starts])


def _uniform_pieces(x, low, best, up):
    if x < low:
        return 0.05 / low * x
    if x < best:
        return 0.45 / (best - low) * (x - low) + 0.05
    if x < up:
        return 0.45 / (up - best) * (x - best) + 0.5
    if x < 1:
        return 0.05 / (1 - up) * (x - up) + 0.95
    return 1.0


def _triangle(x, low, best, up):
    if x < low:
        return 0.0
    if x < best:
        return (x - low) ** 2 / ((up - low) * (best - low))
    if x < up:
        return 1 - (up - x) ** 2 / ((up - low) * (up - best))
    return 1.0


def _reference(name, data):
    """Confidence scores of aggreCAT method ``name``, one claim and one expert at a time."""
    rows = [
        dict(claim=c, expert=e, low=lo, best=b, up=u, low1=l1, best1=b1, up1=u1)
        for c, e, lo, b, u, l1, b1, u1 in zip(
            data["groups"].tolist(),
            data["experts"].tolist(),
            data["lower"].tolist(),
            data["best"].tolist(),
            data["upper"].tolist(),
            *(a.tolist() for a in data["round1"]),
            strict=True,
        )
    ]
    widths = defaultdict(list)
    bests = defaultdict(list)
    for r in rows:
        widths[r["expert"]].append(abs(r["up"] - r["low"]))
        bests[r["expert"]].append(r["best"])

    def width(r):
        return r["up"] - r["low"] or EPS

    def widest(r):
        return max(widths[r["expert"]]) or EPS

    def individual(r):
        return 1 / (width(r) / widest(r))

    def asym(r):
        ul = width(r)
        if r["best"] >= ul / 2 + r["low"]:
            w = 1 - 2 * (r["up"] - r["best"]) / ul
        else:
            w = 1 - 2 * (r["best"] - r["low"]) / ul
        return max(w, 0.0)

    def variance(r):
        ws = [w or EPS for w in widths[r["expert"]]]
        return statistics.variance(ws) if len(ws) > 1 else 0.0

    def granularity(r):
        fine = [math.ceil(b / 0.05 - math.floor(b / 0.05 + EPS * 4)) for b in bests[r["expert"]]]
        return statistics.fmean(fine) or EPS

    def int_shift(r):
        change = (r["up"] - r["low"]) - (r["up1"] - r["low1"])
        return 1 / (change + 1) if change != -1 else math.inf

    def dist_shift(r):
        return 1 - (min(r["best"], 1 - r["best"]) - min(r["best1"], 1 - r["best1"]))

    def best_shift(r):
        b1, b = r["best1"], r["best"]
        if b == b1:
            return 0.0
        if (b < b1 <= 0.5) or (b1 > b > 0.5) or (b1 > 0.5 and b <= 0.5):
            return abs(b1 - b) / b1
        return abs(b1 - b) / (1 - b1)

    def moved_in(r):
        up = 1 - EPS if r["up"] == 1 else r["up"]
        low = EPS if r["low"] == 0 else r["low"]
        up = max(up, r["best"])
        low = min(low, r["best"])
        return low, r["best"], up

    scores = np.full(data["n_groups"], np.nan)
    claims = defaultdict(list)
    for r in rows:
        claims[r["claim"]].append(r)
    for c, rs in claims.items():
        best = [r["best"] for r in rs]
        n = len(rs)
        if name == "ArMean":
            s = statistics.fmean(best)
        elif name == "Median":
            s = statistics.median(best)
        elif name == "GeoMean":
            s = math.prod(best) ** (1 / n)
        elif name == "LOArMean":
            clipped = [1 - EPS if b == 1 else EPS if b == 0 else b for b in best]
            z = statistics.fmean(math.log(b / (1 - b)) for b in clipped)
            s = math.exp(z) / (1 + math.exp(z))
        elif name == "ProbitArMean":
            clipped = [min(max(b, EPS), 1 - EPS) for b in best]
            normal = statistics.NormalDist()
            s = normal.cdf(statistics.fmean(normal.inv_cdf(b) for b in clipped))
        elif name == "BetaArMean":
            s = _beta66(statistics.fmean(best))
        elif name == "IntWAgg":
            s = _weighted(best, [1 / width(r) for r in rs])
        elif name == "IndIntWAgg":
            s = _weighted(best, [individual(r) for r in rs])
        elif name == "AsymWAgg":
            s = _weighted(best, _equal_if_all_zero([asym(r) for r in rs]))
        elif name == "VarIndIntWAgg":
            s = _weighted(best, _equal_if_all_zero([variance(r) for r in rs]))
        elif name in ("IndIntAsymWAgg", "KitchSinkWAgg"):
            parts = [[individual(r) for r in rs], [asym(r) for r in rs]]
            if name == "KitchSinkWAgg":
                parts.append([variance(r) for r in rs])
            w = [1.0] * n
            for part in parts:
                w = [a * b for a, b in zip(w, _normalized(_equal_if_all_zero(part)), strict=True)]
            s = _weighted(best, w)
        elif name == "DistLimitWAgg":
            s = _weighted(best, [max(b, 1 - b) for b in best])
        elif name == "OutWAgg":
            middle = statistics.median(best)
            d = [(middle - b) ** 2 for b in best]
            largest = max(d) or EPS
            s = _weighted(best, _equal_if_all_zero([1 - x / largest for x in d]))
        elif name == "GranWAgg":
            s = _weighted(best, [granularity(r) for r in rs])
        elif name == "ShiftWAgg":
            moves = [
                abs(r["best1"] - r["best"])
                + abs(r["low1"] - r["low"]) / 2
                + abs(r["up1"] - r["up"]) / 2
                for r in rs
            ]
            s = _weighted(best, _equal_if_all_zero(moves))
        elif name == "BestShiftWAgg":
            s = _weighted(best, _equal_if_all_zero([best_shift(r) for r in rs]))
        elif name == "IntShiftWAgg":
            s = _weighted(best, [int_shift(r) for r in rs])
        elif name == "DistShiftWAgg":
            s = _weighted(best, [dist_shift(r) for r in rs])
        elif name == "DistIntShiftWAgg":
            a = _normalized([int_shift(r) for r in rs])
            b = _normalized([dist_shift(r) for r in rs])
            s = _weighted(best, [x * y for x, y in zip(a, b, strict=True)])
        elif name == "DistribArMean":
            s = _distribution_median(_uniform_pieces, [moved_in(r) for r in rs])
        elif name == "TriDistribArMean":
            s = _distribution_median(_triangle, [moved_in(r) for r in rs])
        else:
            raise AssertionError(name)
        scores[c] = s
    return scores


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_matches_the_plain_transcription_on_the_pilot_data(pilot, name):
    assert_allclose(_run(name, pilot), _reference(name, pilot), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_matches_the_plain_transcription_on_the_focal_claims(focal, name):
    assert_allclose(_run(name, focal), _reference(name, focal), rtol=1e-11, atol=1e-13)


# Random judgments: re-implementation, invariance, range ###################################

grid = st.integers(0, 20).map(lambda k: k / 20)


@st.composite
def panels(draw, n_claims=4, n_experts=5):
    """Three-point judgments in both rounds, some experts skipping some claims."""
    rows = []
    for c in range(n_claims):
        for e in range(n_experts):
            if draw(st.booleans()) or e == 0:
                rounds = [sorted(draw(st.lists(grid, min_size=3, max_size=3))) for _ in range(2)]
                rows.append((c, e, *rounds[1], *rounds[0]))
    columns = np.array(rows, dtype=float).T
    return {
        "groups": columns[0].astype(int),
        "n_groups": n_claims + 1,  # one claim nobody judged
        "experts": columns[1].astype(int),
        "lower": columns[2],
        "best": columns[3],
        "upper": columns[4],
        "round1": (columns[5], columns[6], columns[7]),
    }


@settings(max_examples=60, deadline=None)
@given(panels())
def test_every_method_matches_the_plain_transcription_on_random_panels(data):
    for name in METHODS:
        expected = _reference(name, data)
        # where an average of triangles meets 1/2 with zero slope, the median is only
        # determined to about the square root of the rounding error of the average
        atol = 1e-7 if name == "TriDistribArMean" else 1e-12
        assert_allclose(_run(name, data), expected, rtol=1e-9, atol=atol, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(panels(), st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_the_order_of_judgments(data, random):
    permutation = list(range(data["best"].size))
    random.shuffle(permutation)
    shuffled = {
        key: (tuple(a[permutation] for a in value) if key == "round1" else value[permutation])
        if key != "n_groups"
        else value
        for key, value in data.items()
    }
    for name in METHODS:
        assert_allclose(
            _run(name, shuffled),
            _run(name, data),
            rtol=1e-12,
            atol=1e-14,
            equal_nan=True,
            err_msg=name,
        )


@settings(max_examples=40, deadline=None)
@given(panels())
def test_scores_are_probabilities_and_nan_only_for_unjudged_claims(data):
    judged = np.bincount(data["groups"], minlength=data["n_groups"]) > 0
    for name in METHODS:
        scores = _run(name, data)
        finite = np.isfinite(scores)
        if name not in ("IntShiftWAgg", "DistIntShiftWAgg", "KitchSinkWAgg"):  # may be NaN
            assert np.array_equal(finite, judged), name
        assert np.all((scores[finite] >= 0) & (scores[finite] <= 1)), name
        assert not finite[~judged].any(), name


@settings(max_examples=60, deadline=None)
@given(
    st.lists(grid, min_size=3, max_size=3),
    st.lists(grid, min_size=3, max_size=3),
    st.integers(1, 6),
)
def test_identical_judgments_pool_to_the_shared_best_estimate(points, points1, n):
    low, best, up = sorted(points)
    low1, best1, up1 = sorted(points1)
    assume(not (up1 - low1 == 1 and up == low))  # IntShiftWAgg weight 1/0
    data = {
        "lower": np.full(n, low),
        "best": np.full(n, best),
        "upper": np.full(n, up),
        "groups": np.zeros(n, dtype=int),
        "n_groups": 1,
        "experts": np.arange(n),
        "round1": (np.full(n, low1), np.full(n, best1), np.full(n, up1)),
    }
    for name in set(METHODS) - {"BetaArMean", "TriDistribArMean"}:
        expected = min(max(best, EPS), 1 - EPS) if name in ("LOArMean", "ProbitArMean") else best
        assert_allclose(_run(name, data), [expected], rtol=1e-9, atol=1e-15, err_msg=name)


def test_degenerate_weights_give_nan():
    # IntShiftWAgg: an interval shrinking from [0, 1] to a point gets weight 1/0
    round1 = ([0.0, 0.2], [0.5, 0.3], [1.0, 0.4])
    shrunk = aggrecat.IntShiftWAgg([0.5, 0.2], [0.5, 0.3], [0.5, 0.4], [0, 0], 1, round1=round1)
    assert np.isnan(shrunk).all()
    # KitchSinkWAgg on claim 0: expert 0 has an asymmetric interval but one claim only
    # (width variance 0), expert 1 a symmetric one (asymmetry 0): every product is 0
    kitchen = aggrecat.KitchSinkWAgg(
        [0.25, 0.25, 0.125],
        [0.375, 0.5, 0.5],
        [0.75, 0.75, 0.875],
        [0, 0, 1],
        2,
        experts=[0, 1, 1],
    )
    assert np.isnan(kitchen[0])
    assert_allclose(kitchen[1], 0.5)


def test_flat_average_distribution_gives_the_smallest_median():
    # two triangles with disjoint supports: the average is 1/2 on [0.3, 0.6]
    result = aggrecat.TriDistribArMean([0.1, 0.6], [0.2, 0.7], [0.3, 0.8], [0, 0], 1)
    assert_allclose(result, [0.3], atol=1e-15)
    # the piecewise-uniform reading has no flat stretch: the median lies in between
    spread = aggrecat.DistribArMean([0.1, 0.6], [0.2, 0.7], [0.3, 0.8], [0, 0], 1)
    assert 0.3 < spread[0] < 0.6


def test_beta_ar_mean_extremizes_the_mean():
    result = aggrecat.BetaArMean([0.6, 0.7], [0.7, 0.8], [0.8, 0.9], [0, 0], 1)
    assert_allclose(result, [_beta66(0.75)], rtol=1e-12)
    assert_allclose(aggrecat.BetaArMean([0.5], [0.5], [0.5], [0], 1), [0.5])
    alpha_one = aggrecat.BetaArMean([0.6], [0.7], [0.8], [0], 1, alpha=1, beta=1)
    assert_allclose(alpha_one, [0.7])


def test_snake_case_aliases_and_registry():
    assert aggrecat.ar_mean is aggrecat.ArMean is METHODS["ArMean"]
    assert aggrecat.kitch_sink_wagg is aggrecat.KitchSinkWAgg
    assert aggrecat.tri_distrib_ar_mean is aggrecat.TriDistribArMean
    for name, method in METHODS.items():
        assert getattr(aggrecat, name) is method
    assert set(METHODS) > NEEDS_EXPERTS | NEEDS_ROUND1


# Refusing bad input #######################################################################

L, B, U, G = [0.2, 0.3], [0.4, 0.5], [0.6, 0.7], [0, 0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: aggrecat.ArMean(L, [0.4, 1.5], U, G, 1), r"best\[1\] is 1.5, outside \[0, 1\]"),
        (lambda: aggrecat.ArMean([0.2, -0.2], B, U, G, 1), r"lower\[1\] is -0.2, outside"),
        (lambda: aggrecat.IntWAgg(L, B, [0.6, np.nan], G, 1), r"upper\[1\] is nan, not a finite"),
        (
            lambda: aggrecat.Median([0.2, 0.6], B, U, G, 1),
            r"lower\[1\] is 0.6, above best\[1\] = 0.5",
        ),
        (lambda: aggrecat.GeoMean(L, B, [0.6, 0.45], G, 1), r"upper\[1\] is 0.45, below best\[1\]"),
        (lambda: aggrecat.ArMean(L, B, [0.6], G, 1), r"upper must have the shape of best, \(2,\)"),
        (lambda: aggrecat.ArMean(L, [[0.4, 0.5]], U, G, 1), "best must be a 1-d array"),
        (lambda: aggrecat.ArMean(L, B, U, [0, 1], 1), r"groups\[1\] = 1 is outside \[0, 1\)"),
        (lambda: aggrecat.ArMean(L, B, U, [0], 1), "1-d arrays of one length"),
        (lambda: aggrecat.IndIntWAgg(L, B, U, G, 1), "IndIntWAgg needs experts"),
        (lambda: aggrecat.GranWAgg(L, B, U, G, 1, experts=[0.5, 1.0]), "experts must be integers"),
        (
            lambda: aggrecat.VarIndIntWAgg(L, B, U, G, 1, experts=[0]),
            r"experts must have the shape",
        ),
        (lambda: aggrecat.ShiftWAgg(L, B, U, G, 1), r"ShiftWAgg needs round1=\(lower1"),
        (lambda: aggrecat.IntShiftWAgg(L, B, U, G, 1, round1=(L, B)), "round1 must be .* got 2"),
        (
            lambda: aggrecat.DistShiftWAgg(L, B, U, G, 1, round1=(L, [0.1, 0.5], U)),
            r"lower1\[0\] is 0.2, above best1\[0\] = 0.1",
        ),
        (
            lambda: aggrecat.BestShiftWAgg(L, B, U, G, 1, round1=(L, B, [0.6, 2.0])),
            r"upper1\[1\] is 2.0, outside",
        ),
        (lambda: aggrecat.BetaArMean(L, B, U, G, 1, alpha=0), "alpha must be a positive finite"),
        (lambda: aggrecat.BetaArMean(L, B, U, G, 1, beta=np.nan), "beta must be a positive"),
    ],
)
def test_bad_input_raises_value_error_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_empty_input_gives_nan_for_every_claim():
    for name, method in METHODS.items():
        result = method([], [], [], [], 2, experts=np.array([], dtype=int), round1=([], [], []))
        assert result.shape == (2,) and np.isnan(result).all(), name
