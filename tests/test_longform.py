"""The long CSV format of the offline commands: reading, checking, and the arrays it becomes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from elicit.analysis import longform

HEADER = "question_id,expert_id,round,element,value\n"


def write(tmp_path, text, name="judgments.csv"):
    """Write ``text`` under the long format's header and return the path."""
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def test_rows_become_indexed_arrays(tmp_path):
    path = write(
        tmp_path,
        "b,E2,1,p,0.4\na,E1,1,p,0.2\na,E2,1,p,0.3\na,E1,2,p,0.25\n"
        "c,E1,1,lower,0.1\nc,E1,1,best,0.2\nc,E1,1,upper,0.4\n"
        "d,E2,1,q05,1\nd,E2,1,q50,2\nd,E2,1,q95,3\nd,E1,1,q50,5\n",
    )
    table = longform.read_judgments(path)
    assert table.questions == ["a", "b", "c", "d"] and table.experts == ["E1", "E2"]
    last = table.select(None)
    values, groups, experts = longform.probabilities(last)
    pairs = sorted(zip(groups.tolist(), experts.tolist(), values.tolist(), strict=True))
    assert pairs == [(0, 0, 0.25), (0, 1, 0.3), (1, 1, 0.4)]
    first = table.select(1)
    assert sorted(longform.probabilities(first)[0].tolist()) == [0.2, 0.3, 0.4]
    points, groups, experts = longform.three_points(table)
    assert points.tolist() == [[0.1, 0.2, 0.4]] and groups.tolist() == [2]
    levels, grid = longform.quantiles(table)
    assert levels.tolist() == [0.05, 0.5, 0.95]
    assert grid.shape == (2, 4, 3)
    assert grid[1, 3].tolist() == [1, 2, 3]
    assert np.isnan(grid[0, 3, 0]) and grid[0, 3, 1] == 5


def test_percent_inputs_are_scaled(tmp_path):
    path = write(tmp_path, "a,E1,1,p,35\na,E2,1,q50,35\n")
    table = longform.read_judgments(path, percent=True)
    assert longform.probabilities(table)[0].tolist() == [0.35]
    assert longform.quantiles(table)[1][1, 0, 0] == 35


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("a,E1,1,p,1.5", "probability 1.5 is outside [0, 1] (use --percent"),
        ("a,E1,1,p,x", "value 'x' is not a number"),
        ("a,E1,1,p,nan", "is not a finite number"),
        ("a,E1,0,p,0.5", "round 0 must be 1 or more"),
        ("a,E1,one,p,0.5", "round 'one' is not a whole number"),
        ("a,E1,1,median,0.5", "element 'median' is not p, lower"),
        ("a,E1,1,q100,0.5", "is not a percentile between 0 and 100"),
        ("a,,1,p,0.5", "expert_id is empty"),
    ],
)
def test_every_bad_row_is_named_with_its_line(tmp_path, row, message):
    path = write(tmp_path, "a,E9,1,p,0.5\n" + row + "\n")
    with pytest.raises(longform.FormatError) as caught:
        longform.read_judgments(path)
    assert caught.value.problems == [f"{path}:3: " + caught.value.problems[0].split(": ", 1)[1]]
    assert message in caught.value.problems[0]


def test_missing_columns_repeats_and_broken_three_points_are_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("question_id,value\na,1\n", encoding="utf-8")
    with pytest.raises(longform.FormatError, match="missing column"):
        longform.read_judgments(bad)
    with pytest.raises(longform.FormatError, match="appears more than once"):
        longform.read_judgments(write(tmp_path, "a,E1,1,p,0.5\na,E1,1,p,0.6\n"))
    with pytest.raises(longform.FormatError, match="no judgments"):
        longform.read_judgments(write(tmp_path, ""))
    table = longform.read_judgments(write(tmp_path, "a,E1,1,lower,0.5\na,E1,1,best,0.4\n"))
    with pytest.raises(longform.FormatError, match="needs lower, best and upper"):
        longform.three_points(table)
    table = longform.read_judgments(
        write(tmp_path, "a,E1,1,lower,0.5\na,E1,1,best,0.4\na,E1,1,upper,0.9\n")
    )
    with pytest.raises(longform.FormatError, match="lower <= best <= upper"):
        longform.three_points(table)


def test_outcomes_line_up_with_questions(tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text("question_id,outcome\nb,1\na,0\n", encoding="utf-8")
    outcomes = longform.read_outcomes(path, ["a", "b", "c"])
    assert outcomes[:2].tolist() == [0.0, 1.0] and np.isnan(outcomes[2])
    path.write_text("question_id,outcome\nz,1\na,yes\na,1\na,0\n", encoding="utf-8")
    with pytest.raises(longform.FormatError) as caught:
        longform.read_outcomes(path, ["a"])
    problems = "\n".join(caught.value.problems)
    assert "'z' has no judgments" in problems and "'yes' is not a number" in problems
    assert "'a' appears twice" in problems


def test_results_are_written_as_csv_or_json_with_missing_figures_empty(tmp_path):
    rows = [{"question_id": "a", "method": "mean", "value": np.float64(0.25)}]
    rows.append({"question_id": "b", "method": "mean", "value": float("nan")})
    text = longform.write_rows(None, rows, "csv")
    assert text == "question_id,method,value\na,mean,0.25\nb,mean,\n"
    out = tmp_path / "out.json"
    longform.write_rows(out, rows, "json")
    assert json.loads(out.read_text()) == [
        {"question_id": "a", "method": "mean", "value": 0.25},
        {"question_id": "b", "method": "mean", "value": None},
    ]
