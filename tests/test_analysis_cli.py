"""The offline commands `elicit pool`, `elicit score` and `elicit cooke`: files in, figures out."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from elicit.analysis import cli
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
    assert by["a", "trimmed_mean"]["parameters"] == '{"fraction":0.1}'
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
    fitted = lognormal["fitted"]
    assert fitted["meanlog"] == pytest.approx(np.log(20)) and fitted["sdlog"] == pytest.approx(0.4)
    assert lognormal["ssq"] < 1e-12
    assert lognormal["parameters"] == {
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
        (["pool", "{bad}"], "bad.csv:2: probability 1.5 is outside 0 to 1"),
        (["pool", "{good}", "--method", "nonsense"], "unknown method(s) nonsense"),
        (["pool", "{good}", "--round", "3"], "has no judgments in round 3"),
        (["score", "{good}", "{bad_outcomes}"], "'zz' has no judgments"),
        (["cooke", "{good}"], "is not a .dtt file; cooke reads an EXCALIBUR study: STUDY.dtt"),
        (["cooke", "{dtt}"], "no realizations file"),
        (["fit", "{good}"], "no quantile (q05, q50, ...) judgments to fit"),
        (["fit", "{good}", "--family", "weibull"], "unknown family(ies) weibull; known: normal"),
    ],
)
def test_bad_input_exits_2_with_a_message(runner, judgments, tmp_path, args, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "a,E1,1,p,1.5\n", encoding="utf-8")
    bad_outcomes = tmp_path / "bad_outcomes.csv"
    bad_outcomes.write_text("question_id,outcome\nzz,1\n", encoding="utf-8")
    dtt = tmp_path / "study.dtt"
    dtt.write_text("", encoding="utf-8")
    names = {"good": judgments[0], "bad": bad, "bad_outcomes": bad_outcomes, "dtt": dtt}
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
    assert "nan_outcomes.csv:2: outcome 'nan' is not a finite number" in result.output


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


def test_pool_all_methods_equal_each_pool_on_its_own(runner, judgments):
    result = runner.invoke(args=["pool", str(judgments[0]), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [r for r in json.loads(result.stdout) if r["method"] in pooling.METHODS]
    values = np.array([0.2, 0.4, 0.9, 0.7, 0.8, 0.6, 0.1, 0.3, 0.2])
    groups = np.repeat([0, 1, 2], 3)
    for name, function in pooling.METHODS.items():
        got = [r["value"] for r in rows if r["method"] == name]
        assert got == function(values, groups, 3).tolist(), name


def test_results_keep_full_precision_and_nest_parameters_in_json(runner, tmp_path):
    path = tmp_path / "thirds.csv"
    path.write_text(HEADER + "a,E1,1,p,0.1\na,E2,1,p,0.2\na,E3,1,p,0.7\n", encoding="utf-8")
    expected = pooling.log_odds_pool([0.1, 0.2, 0.7], [0, 0, 0], 1)[0]
    assert len(repr(expected)) > 15
    csv_out = runner.invoke(args=["pool", str(path), "--method", "log_odds"])
    (row,) = table(csv_out.stdout)
    assert float(row["value"]) == expected
    assert json.loads(row["parameters"]) == {"eps": pooling.CLIP_EPSILON}
    assert " " not in row["parameters"]
    json_out = runner.invoke(args=["pool", str(path), "--method", "log_odds", "--format", "json"])
    (item,) = json.loads(json_out.stdout)
    assert item["value"] == expected and item["parameters"] == {"eps": pooling.CLIP_EPSILON}


@pytest.mark.parametrize(
    ("rows", "flags", "messages"),
    [
        (
            "a,E1,1,p,35\na,E2,1,p,40\n",
            [],
            [
                "p.csv:2: probability 35 is outside 0 to 1",
                "hint: probabilities above 1 (up to 100): if they are percentages, add --percent",
            ],
        ),
        (
            "a,E1,1,p,0.35\na,E2,1,p,0.4\n",
            ["--percent"],
            ["all probabilities are between 0 and 1; did you mean to leave out --percent?"],
        ),
        (
            "a,E1,1,p,35\na,E2,1,p,150\n",
            ["--percent"],
            ["p.csv:3: probability 150 is outside 0 to 100 (percent)"],
        ),
    ],
)
def test_probabilities_on_the_wrong_scale_name_the_flag(runner, tmp_path, rows, flags, messages):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["pool", str(path), *flags, "-o", str(out)])
    assert result.exit_code == 2
    for message in messages:
        assert message in result.output
    assert "nothing was computed" in result.output and not out.exists()


def test_score_takes_the_words_of_questions_resolve(runner, tmp_path):
    path = tmp_path / "judgments.csv"
    rows = [
        f"{q},E{e},1,p,{v}"
        for q, vs in zip("abcd", [(0.2, 0.6), (0.7, 0.9), (0.1, 0.4), (0.5, 0.5)], strict=True)
        for e, v in enumerate(vs, start=1)
    ]
    rows += ["x,E1,1,q05,1", "x,E1,1,q50,2", "x,E1,1,q95,3"]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    words = tmp_path / "words.csv"
    words.write_text("question_id,outcome\na,Yes\nb,YES\nc,no\nd,Annulled\nx,2.5\n", "utf-8")
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("question_id,outcome\na,1\nb,1\nc,0\n", encoding="utf-8")
    by_words = runner.invoke(args=["score", str(path), str(words)])
    assert by_words.exit_code == 0, by_words.output
    assert "note: annulled, so not scored: 'd'" in by_words.stderr
    by_numbers = runner.invoke(args=["score", str(path), str(numbers)])
    assert by_numbers.exit_code == 0, by_numbers.output
    assert by_words.stdout == by_numbers.stdout
    numbers.write_text("question_id,outcome\na,0.5\n", encoding="utf-8")
    result = runner.invoke(args=["score", str(path), str(numbers)])
    assert result.exit_code == 2
    assert "outcome of binary question 'a' is 0.5, not yes or no (1 or 0)" in result.output


def test_cooke_runs_the_user_weight_decision_maker(runner, tmp_path):
    from elicit.core import cooke, excalibur

    dtt = DATA / "cooke" / "tobacco.dtt"
    study = excalibur.read_excalibur(dtt)
    given = np.arange(1, len(study.expert_ids) + 1, dtype=float)
    weights = tmp_path / "weights.csv"
    weights.write_text(
        "expert_id,weight\n"
        + "".join(f"{e},{w}\n" for e, w in zip(study.expert_ids, given, strict=True)),
        encoding="utf-8",
    )
    args = ["cooke", str(dtt), "--weighting", "user", "--weights", str(weights)]
    result = runner.invoke(args=[*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = cooke.user_weight_dm(
        study.answers, study.realizations, study.quantiles, given, study.log_scale
    )
    [dm] = [r for r in rows if r["record"] == "decision_maker"]
    assert dm["combined"] == pytest.approx(expected.combined)
    assert dm["parameters"]["weights"] == dict(zip(study.expert_ids, given.tolist(), strict=True))
    quantiles = [r for r in rows if r["record"] == "dm_quantiles"]
    assert_allclose([r["q50"] for r in quantiles], expected.quantiles[:, 2])
    weights.write_text("expert_id,weight\nnobody,1\n" + f"{study.expert_ids[0]},x\n", "utf-8")
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "weights.csv:2: expert 'nobody' is not in the study" in result.output
    assert "weights.csv:3: weight 'x' is not a number" in result.output
    result = runner.invoke(args=["cooke", str(dtt), "--weighting", "user"])
    assert result.exit_code == 2 and "--weighting user and --weights FILE go together" in (
        result.output
    )


def test_a_time_column_orders_the_recency_weighted_median(runner, tmp_path):
    values = [0.1, 0.2, 0.8, 0.9]
    times = ["2025-01-04T00:00:00Z", "2025-01-03", "2025-01-02", "2025-01-01"]
    rows = [
        f"a,E{i},1,p,{v},{t},later rows are older"
        for i, (v, t) in enumerate(zip(values, times, strict=True))
    ]
    timed = tmp_path / "timed.csv"
    timed.write_text(HEADER.strip() + ",time,rationale\n" + "\n".join(rows) + "\n", "utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "\n".join(r.rsplit(",", 2)[0] for r in rows) + "\n", "utf-8")
    got = {}
    for name, path in (("timed", timed), ("plain", plain)):
        result = runner.invoke(
            args=["pool", str(path), "--method", "recency_weighted_median", "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        (got[name],) = json.loads(result.stdout)
    groups = np.zeros(4, dtype=int)
    by_time = pooling.recency_weighted_median_pool(values, groups, 1, times=[4, 3, 2, 1])
    by_rows = pooling.recency_weighted_median_pool(values, groups, 1)
    assert by_time[0] != by_rows[0]
    assert got["timed"]["value"] == by_time[0] and got["plain"]["value"] == by_rows[0]
    assert got["timed"]["parameters"]["recency"] == "time column"
    assert got["plain"]["parameters"]["recency"] == "row order"
    help_text = runner.invoke(args=["pool", "--help"]).output
    assert "newer than the rows above it" in help_text and "time column" in help_text


def test_the_offline_commands_import_no_numerics_until_they_run():
    code = (
        "import sys\n"
        "from elicit.analysis.cli import pool\n"
        "pool.main(['--help'], standalone_mode=False)\n"
        "print(sorted(m for m in ('numpy', 'scipy', 'pyarrow') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout and result.stdout.strip().endswith("[]")


def test_the_offline_commands_never_make_pyarrow_import_pandas(judgments, tmp_path):
    """pyarrow imports pandas, if installed, on its first conversion to or from Python or
    NumPy (about 0.2 s); the commands convert through the buffers instead. A stand-in
    ``pandas`` first on the path records any attempt to import it, installed or not."""
    stand_in = tmp_path / "path" / "pandas"
    stand_in.mkdir(parents=True)
    log = tmp_path / "pandas-imports.log"
    (stand_in / "__init__.py").write_text(
        "import traceback\n"
        f"with open({str(log)!r}, 'a') as log:\n"
        "    log.write(''.join(traceback.format_stack()))\n"
        "raise ImportError('pandas is only a stand-in here')\n",
        encoding="utf-8",
    )
    good, outcomes = judgments
    quantiles = tmp_path / "quantiles.csv"
    quantiles.write_text(HEADER + "x,E1,1,q05,1\nx,E1,1,q50,2\nx,E1,1,q95,4\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "a,E1,1,p,x\na,E1,0,zz,\n", encoding="utf-8")
    runs = [
        ["pool", good, "-o", tmp_path / "pooled.csv"],
        ["pool", good, "--method", "median", "--format", "json"],
        ["pool", bad],
        ["score", good, outcomes],
        ["fit", quantiles],
    ]
    code = (
        "import sys\n"
        "from elicit.cli import main\n"
        f"for args in {[[str(a) for a in run] for run in runs]!r}:\n"
        "    try:\n"
        "        main(args, standalone_mode=False)\n"
        "    except SystemExit as exit:\n"
        "        print(args[0], 'exit', exit.code)\n"
        "print('pandas' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(stand_in.parent)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "pool exit 2" in result.stdout and "nothing was computed" in result.stderr
    assert (tmp_path / "pooled.csv").exists() and "fit,x,E1" in result.stdout.replace('"', "")
    assert not log.exists(), log.read_text()
    assert result.stdout.strip().endswith("False")


def test_the_offline_commands_run_without_the_application(judgments):
    result = CliRunner().invoke(cli.score, [*map(str, judgments), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {r["kind"] for r in json.loads(result.stdout)} == {"expert", "method"}


def test_the_overshoot_default_is_cookes():
    from elicit.core import cooke

    assert cli.DEFAULT_OVERSHOOT == cooke.DEFAULT_OVERSHOOT


def test_pool_covers_quantities_with_seeded_bootstrap_intervals(runner, tmp_path):
    path = tmp_path / "mixed.csv"
    quantiles = {"E1": (1, 2, 4), "E2": (2, 3, 5), "E3": (0.5, 2.5, 3)}
    rows = [
        f"x,{e},1,q{level},{v}"
        for e, values in quantiles.items()
        for level, v in zip(("05", "50", "95"), values, strict=True)
    ]
    rows += ["a,E1,1,p,0.2", "a,E2,1,p,0.4", "a,E3,1,p,0.9"]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["pool", str(path), "--format", "json", "--bootstrap", "200"]
    first = runner.invoke(args=[*args, "--seed", "3"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=[*args, "--seed", "3"])
    other = runner.invoke(args=[*args, "--seed", "4"])
    assert first.stdout == again.stdout and first.stdout != other.stdout
    got = json.loads(first.stdout)
    by = {(r["question_id"], r["method"], r["quantile"]): r for r in got}
    grid = np.array(list(quantiles.values()))
    for k, level in enumerate((0.05, 0.5, 0.95)):
        row = by["x", "vincentize", level]
        assert row["value"] == pytest.approx(grid[:, k].mean())
        assert row["n"] == 3 and row["low"] <= row["value"] <= row["high"]
        assert row["round"] == 1
    median = by["x", "linear_pool_best_fit", 0.5]
    assert grid[:, 1].min() < median["value"] < grid[:, 1].max()
    linear = by["a", "linear", None]
    assert linear["parameters"] == {"bootstrap": 200, "level": 0.95, "seed": 3}
    assert linear["value"] == pytest.approx(0.5)
    assert 0.2 <= linear["low"] < linear["value"] < linear["high"] <= 0.9
    plain = json.loads(runner.invoke(args=["pool", str(path), "--format", "json"]).stdout)
    assert all(r["low"] is None and "seed" not in r["parameters"] for r in plain)
