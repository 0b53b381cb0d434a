"""The offline commands `elicit pool`, `elicit score` and `elicit cooke`: files in, figures out."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from elicit.core import pooling
from elicit.core.scoring import brier_score

DATA = Path(__file__).parent / "data"
HEADER = "question_id,expert_id,round,element,value\n"


def table(text: str) -> list[dict]:
    """Parse CSV output into rows."""
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def judgments(tmp_path):
    """Three binary questions (a, b, c) answered by three experts, and a three-point one (d)."""
    rows = [
        "a,E1,1,p,0.2",
        "a,E2,1,p,0.4",
        "a,E3,1,p,0.9",
        "b,E1,1,p,0.7",
        "b,E2,1,p,0.8",
        "b,E3,1,p,0.6",
        "c,E1,1,p,0.1",
        "c,E2,1,p,0.3",
        "c,E3,1,p,0.2",
        "d,E1,1,lower,0.1",
        "d,E1,1,best,0.3",
        "d,E1,1,upper,0.5",
        "d,E2,1,lower,0.4",
        "d,E2,1,best,0.6",
        "d,E2,1,upper,0.9",
    ]
    path = tmp_path / "judgments.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("question_id,outcome\na,1\nb,1\nc,0\n", encoding="utf-8")
    return path, outcomes


def test_pool_runs_every_method_and_names_its_parameters(runner, judgments):
    result = runner.invoke(args=["pool", str(judgments[0])])
    assert result.exit_code == 0, result.output
    rows = table(result.stdout)
    by = {(r["question_id"], r["method"]): r for r in rows}
    assert set(pooling.METHODS) <= {m for _, m in by}
    assert float(by["a", "linear"]["value"]) == pytest.approx(0.5)
    assert float(by["a", "median"]["value"]) == pytest.approx(0.4)
    assert by["a", "linear"]["n"] == "3"
    assert json.loads(by["a", "trimmed_mean"]["parameters"]) == {"fraction": 0.1}
    assert float(by["d", "ArMean"]["value"]) == pytest.approx(0.45)
    assert ("d", "linear") not in by and ("a", "ArMean") not in by


def test_pool_can_pick_methods_and_write_json(runner, judgments, tmp_path):
    out = tmp_path / "pooled.json"
    result = runner.invoke(
        args=["pool", str(judgments[0]), "--method", "median", "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert {r["method"] for r in rows} == {"median"}
    assert [r["value"] for r in rows] == pytest.approx([0.4, 0.7, 0.2])


def test_score_ranks_experts_and_methods_against_outcomes(runner, judgments):
    result = runner.invoke(args=["score", *map(str, judgments)])
    assert result.exit_code == 0, result.output
    rows = table(result.stdout)
    experts = {r["name"]: r for r in rows if r["kind"] == "expert"}
    expected = brier_score([0.2, 0.7, 0.1], [1, 1, 0]).mean()
    assert float(experts["E1"]["brier"]) == pytest.approx(expected)
    parts = ["reliability", "resolution", "uncertainty", "within_bin_variance"]
    e1 = experts["E1"]
    total = sum(float(e1[p]) * s for p, s in zip(parts, [1, -1, 1, 1], strict=True))
    total -= 2 * float(e1["within_bin_covariance"])
    assert total == pytest.approx(float(e1["brier"]))
    methods = [r for r in rows if r["kind"] == "method"]
    assert [int(r["rank"]) for r in methods] == list(range(1, len(methods) + 1))
    briers = [float(r["brier"]) for r in methods]
    assert briers == sorted(briers)
    linear = next(r for r in methods if r["name"] == "linear")
    pooled = [0.5, 0.7, 0.2]
    assert float(linear["brier"]) == pytest.approx(brier_score(pooled, [1, 1, 0]).mean())
    assert "extremized_log_odds_fitted" in {r["name"] for r in methods}


def test_cooke_reproduces_anduryl_on_the_tobacco_study(runner):
    expected = json.loads((DATA / "cooke" / "anduryl_1.2.2.json").read_text())
    expected = expected["studies"]["tobacco"]["global"]
    result = runner.invoke(args=["cooke", str(DATA / "cooke" / "tobacco.dtt")])
    assert result.exit_code == 0, result.output
    rows = table(result.stdout)
    experts = [r for r in rows if r["record"] == "expert"]
    for name in ("calibration", "information_seeds", "information_all", "combined"):
        got = [float(r[name]) for r in experts]
        assert_allclose(got, expected["experts"][name], rtol=1e-9)
    assert_allclose([float(r["weight"]) for r in experts], expected["experts"]["weights"])
    [dm] = [r for r in rows if r["record"] == "decision_maker"]
    assert float(dm["combined"]) == pytest.approx(expected["dm"]["combined"])
    quantiles = [r for r in rows if r["record"] == "dm_quantiles"]
    got = np.array([[float(r[f"q{q}"]) for q in (5, 25, 50, 75, 95)] for r in quantiles])
    assert_allclose(got, expected["dm"]["quantiles"])
    assert json.loads(dm["parameters"])["alpha"] == pytest.approx(expected["alpha"])


def test_fit_recovers_a_lognormal_and_pools_per_question(runner, tmp_path):
    from scipy import stats

    levels = [0.05, 0.5, 0.95]
    first = stats.lognorm(s=0.4, scale=20).ppf(levels)
    second = stats.norm(50, 5).ppf(levels)
    lines = [f"x,E1,1,q{int(p * 100):02d},{float(v)!r}" for p, v in zip(levels, first, strict=True)]
    lines += [
        f"x,E2,1,q{int(p * 100):02d},{float(v)!r}" for p, v in zip(levels, second, strict=True)
    ]
    path = tmp_path / "quantities.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["fit", str(path), "--lower", "0", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    lognormal = next(r for r in rows if r.get("expert_id") == "E1" and r["method"] == "lognormal")
    fitted = json.loads(lognormal["fitted"])
    assert fitted["meanlog"] == pytest.approx(np.log(20)) and fitted["sdlog"] == pytest.approx(0.4)
    assert lognormal["ssq"] < 1e-12
    assert json.loads(lognormal["parameters"]) == {
        "lower": 0.0,
        "upper": None,
        "tdf": 3.0,
        "families": None,
    }
    vincent = next(r for r in rows if r["method"] == "vincentize")
    assert vincent["q50"] == pytest.approx((20 + 50) / 2)
    pooled = next(r for r in rows if r["method"] == "linear_pool_best_fit")
    assert pooled["n"] == 2 and pooled["q5"] < pooled["q50"] < pooled["q95"]
    assert sum(r["best"] for r in rows if r["record"] == "fit" and r["expert_id"] == "E1") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pool", "{bad}"], "probability 1.5 is outside [0, 1]"),
        (["pool", "{good}", "--method", "nonsense"], "unknown method(s) nonsense"),
        (["pool", "{good}", "--round", "3"], "has no judgments in round 3"),
        (["score", "{good}", "{bad_outcomes}"], "'zz' has no judgments"),
        (["cooke", "{good}"], "no realizations file"),
        (["fit", "{good}"], "no quantile (q05, q50, ...) judgments to fit"),
    ],
)
def test_bad_input_exits_2_with_a_message(runner, judgments, tmp_path, args, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "a,E1,1,p,1.5\n", encoding="utf-8")
    bad_outcomes = tmp_path / "bad_outcomes.csv"
    bad_outcomes.write_text("question_id,outcome\nzz,1\n", encoding="utf-8")
    names = {"good": judgments[0], "bad": bad, "bad_outcomes": bad_outcomes}
    result = runner.invoke(args=[a.format(**names) for a in args])
    assert result.exit_code == 2
    assert message in result.output


def test_the_offline_commands_have_help(runner):
    for command in ("pool", "fit", "score", "cooke"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0 and "--format" in result.output


def test_pool_runs_the_shift_methods_on_two_rounds(runner, tmp_path):
    from elicit.core import aggrecat

    rounds = {  # expert: (round 1 lower, best, upper), (round 2 lower, best, upper)
        "E1": ((0.1, 0.3, 0.5), (0.2, 0.4, 0.6)),
        "E2": ((0.4, 0.6, 0.9), (0.3, 0.5, 0.8)),
        "E3": ((0.5, 0.7, 0.8), (0.6, 0.8, 0.9)),
    }
    rows = [
        f"d,{expert},{r + 1},{name},{value}"
        for expert, both in rounds.items()
        for r, three in enumerate(both)
        for name, value in zip(("lower", "best", "upper"), three, strict=True)
    ]
    path = tmp_path / "two_rounds.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(args=["pool", str(path), "--method", "ShiftWAgg"])
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output
    (row,) = table(result.stdout)
    first = np.array([both[0] for both in rounds.values()])
    last = np.array([both[1] for both in rounds.values()])
    expected = aggrecat.shift_wagg(
        *last.T, np.zeros(3, int), 1, experts=np.arange(3), round1=tuple(first.T)
    )
    assert float(row["value"]) == pytest.approx(expected[0])
    assert row["n"] == "3"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER.encode() + b"q\xff,E1,1,p,0.3\n", "not UTF-8 text (byte"),
        ((HEADER + "a,E1,1,p,0,35\n").encode(), "1 field(s) more than the header"),
        (
            (HEADER + "a,E1,1,q5,3\na,E1,1,q05,4\na,E1,1,q95,9\n").encode(),
            "element q5 and q05 appears more than once",
        ),
    ],
)
def test_pool_and_fit_refuse_files_they_would_misread(runner, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    for command in ("pool", "fit"):
        result = runner.invoke(args=[command, str(path)])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output


def test_a_byte_order_mark_and_spaces_around_ids_are_read(runner, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "nato ,E1,1,p,0.2\nnato,E2,1,p,0.4\n").encode())
    result = runner.invoke(args=["pool", str(path), "--method", "linear"])
    assert result.exit_code == 0, result.output
    (row,) = table(result.stdout)
    assert row["question_id"] == "nato" and float(row["value"]) == pytest.approx(0.3)


def test_score_refuses_an_outcome_that_is_not_a_finite_number(runner, judgments, tmp_path):
    outcomes = tmp_path / "nan_outcomes.csv"
    outcomes.write_text("question_id,outcome\na,nan\n", encoding="utf-8")
    result = runner.invoke(args=["score", str(judgments[0]), str(outcomes)])
    assert result.exit_code == 2
    assert "outcome 'nan' is not a finite number" in result.output


def test_fit_names_the_judgments_it_cannot_fit_and_records_the_families(runner, tmp_path):
    path = tmp_path / "quantities.csv"
    rows = ["x,E1,1,q05,5", "x,E1,1,q50,3", "x,E1,1,q95,9", "x,E2,1,q05,1", "x,E2,1,q50,2"]
    rows += ["x,E2,1,q95,4", "y,E3,1,q05,2", "y,E3,1,q50,4"]  # y: E3 gives no q95
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(args=["fit", str(path), "--lower", "0"])
    assert result.exit_code == 2
    assert "question 'x', expert 'E1': quantiles 5, 3, 9 do not increase" in result.output
    assert "1 judgment(s) cannot be fitted" in result.output
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "\n".join(rows[3:]) + "\n", encoding="utf-8")
    result = runner.invoke(args=["fit", str(good), "--lower", "0", "--family", "gamma"])
    assert result.exit_code == 0, result.output
    assert "note: 1 judgment(s) give only some of the levels q5, q50, q95; left out" in (
        result.output
    )
    fits = [r for r in table(result.stdout) if r["record"] == "fit"]
    assert {r["method"] for r in fits} == {"gamma"}
    assert json.loads(fits[0]["parameters"])["families"] == ["gamma"]


def test_cooke_refuses_an_alpha_with_equal_weights(runner):
    dtt = str(DATA / "cooke" / "tobacco.dtt")
    result = runner.invoke(args=["cooke", dtt, "--weighting", "equal", "--alpha", "0.3"])
    assert result.exit_code == 2
    assert "equal weighting has none" in result.output
