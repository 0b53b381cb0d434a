"""The CSV files of the offline commands: reading, checking, and the arrays they become."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from elicit.analysis import csvfile, longform

HEADER = "question_id,expert_id,round,element,value\n"


def write(tmp_path, text, name="judgments.csv", header=HEADER):
    """Write ``text`` under the long format's header and return the path."""
    path = tmp_path / name
    path.write_text(header + text, encoding="utf-8")
    return path


def problems_of(path, **kwargs):
    """The problems ``read_judgments`` raises for ``path``, without the file name."""
    with pytest.raises(longform.FormatError) as caught:
        longform.read_judgments(path, **kwargs)
    return [p.removeprefix(str(path)) for p in caught.value.problems], caught.value


def test_rows_become_indexed_arrays(tmp_path):
    path = write(
        tmp_path,
        "b,E2,1,p,0.4\na,E1,1,p,0.2\na,E2,1,p,0.3\na,E1,2,p,0.25\n"
        "c,E1,1,lower,0.1\nc,E1,1,best,0.2\nc,E1,1,upper,0.4\n"
        "d,E2,1,q05,1\nd,E2,1,q50,2\nd,E2,1,q95,3\nd,E1,1,q50,5\n",
    )
    table = longform.read_judgments(path)
    assert table.questions == ["a", "b", "c", "d"] and table.experts == ["E1", "E2"]
    assert table.time is None
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


def test_three_point_judgments_are_assembled_per_question_expert_and_round(tmp_path):
    path = write(
        tmp_path,
        "b,E2,1,upper,0.9\na,E1,2,best,0.5\nb,E2,1,lower,0.2\na,E1,1,lower,0.1\n"
        "a,E1,2,upper,0.6\nb,E2,1,best,0.3\na,E1,1,upper,0.3\na,E1,2,lower,0.4\n"
        "a,E1,1,best,0.2\n",
    )
    points, groups, experts = longform.three_points(longform.read_judgments(path))
    assert points.tolist() == [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.2, 0.3, 0.9]]
    assert groups.tolist() == [0, 0, 1] and experts.tolist() == [0, 0, 1]


def test_percent_inputs_are_scaled(tmp_path):
    path = write(tmp_path, "a,E1,1,p,35\na,E2,1,q50,35\nb,E1,1,lower,10\n")
    table = longform.read_judgments(path, percent=True)
    assert longform.probabilities(table)[0].tolist() == [0.35]
    assert longform.quantiles(table)[1][1, 0, 0] == 35
    assert table.value[table.kind == longform.LOWER].tolist() == [0.1]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("a,E1,1,p,1.5", "probability 1.5 is outside 0 to 1"),
        ("a,E1,1,p,-0.25", "probability -0.25 is outside 0 to 1"),
        ("a,E1,1,p,x", "value 'x' is not a number"),
        ("a,E1,1,p,nan", "value nan is not a finite number"),
        ("a,E1,1,p,-Infinity", "value -inf is not a finite number"),
        ("a,E1,1,p,1e999", "value inf is not a finite number"),
        ("a,E1,+1 ,p, NaN ", "value 'NaN' is not a finite number"),  # read as text
        ("a,E1,1,p,", "value is empty"),
        ("a,E1,0,p,0.5", "round 0 must be 1 or more"),
        ("a,E1,one,p,0.5", "round 'one' is not a whole number"),
        ("a,E1,1.5,p,0.5", "round '1.5' is not a whole number"),
        ("a,E1,1,median,0.5", "element 'median' is not p, lower"),
        ("a,E1,1,q100,0.5", "element 'q100' is not a percentile between 0 and 100"),
        ("a,,1,p,0.5", "expert_id is empty"),
        ("  ,E1,1,p,0.5", "question_id is empty"),
        ("a,E1,1,,0.5", "element is empty"),
        ("a,E1,1,p,0,35", "1 field(s) more than the header (a decimal comma?"),
        ("a,E1,1,p", "4 field(s) where the header has 5"),
    ],
)
def test_every_bad_row_is_named_with_its_line(tmp_path, row, message):
    path = write(tmp_path, "a,E9,1,p,0.5\n" + row + "\n")
    problems, _ = problems_of(path)
    assert problems == [f":3: {message}" + problems[0].split(message, 1)[1]]


def test_every_bad_row_is_reported_at_once_with_the_lines_an_editor_shows(tmp_path):
    rows = [
        '"a\nstill a",E1,1,p,0.5',  # lines 2-3: a line break inside a quoted id
        "a,E1,1,p,0,35",  # 4
        "",  # 5: blank
        "b,E1,1,p,2",  # 6
        "c,E1,1,p,0.5,",  # 7
        'c,E1,1,p,0.5,"one\ntwo"',  # 8-9
        "c,E2,x,p,0.5",  # 10
        "c,E3,1,p",  # 11
        "d,E1,1,p,0.4",  # 12: fine
        "d,E1,1,p,0.6",  # 13: repeats line 12
    ]
    path = write(tmp_path, "\n".join(rows) + "\n")
    problems, error = problems_of(path)
    assert [p.split(":")[1] for p in problems] == ["4", "6", "7", "8", "10", "11", "13"]
    assert "probability 2 is outside 0 to 1" in problems[1]
    assert "round 'x' is not a whole number" in problems[4]
    assert "question 'd', expert 'E1', round 1: element p appears more than once" in problems[6]
    assert error.more == 0 and error.count == 7


def test_a_file_with_many_bad_rows_lists_the_first_hundred_and_counts_the_rest(tmp_path):
    path = write(tmp_path, "".join(f"q{i},E1,1,p,{i % 90 + 2}\n" for i in range(150)))
    problems, error = problems_of(path)
    assert len(problems) == csvfile.MAX_PROBLEMS == 100
    assert problems[0].startswith(":2: ") and problems[-1].startswith(":101: ")
    assert error.more == 50 and error.count == 150
    assert error.report()[-2:] == [
        "... and 50 more",
        "hint: probabilities above 1 (up to 100): if they are percentages, add --percent",
    ]


def test_percentages_without_percent_and_fractions_with_it_are_refused(tmp_path):
    path = write(tmp_path, "a,E1,1,p,35\na,E2,1,p,150\n")
    problems, error = problems_of(path)
    assert problems == [
        ":2: probability 35 is outside 0 to 1",
        ":3: probability 150 is outside 0 to 1",
    ]
    assert error.hint is None
    problems, _ = problems_of(path, percent=True)
    assert problems == [":3: probability 150 is outside 0 to 100 (percent)"]
    fractions = write(tmp_path, "a,E1,1,p,0.35\na,E2,1,lower,0.1\n", name="fractions.csv")
    problems, _ = problems_of(fractions, percent=True)
    assert problems == [
        ": all probabilities are between 0 and 1; did you mean to leave out --percent?"
    ]


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "a,E1,1,p,0.5\nzürich,E1,1,p,0.5\n".encode("latin-1"))
    problems, _ = problems_of(path)
    byte = len(HEADER) + len("a,E1,1,p,0.5\nz")
    assert problems == [f":3: not UTF-8 text (byte {byte} cannot be read); save it as UTF-8"]


def test_a_byte_order_mark_spaces_and_other_columns_are_accepted(tmp_path):
    path = tmp_path / "excel.csv"
    text = (
        " question_id , expert_id,round,element,value ,rationale\r\n"
        'nato ,E1, 1 ,p, 0.25 ,"because, as I said:\r\n""it is early"""\r\n'
        "nato, E2,1,p,0.75,\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    table = longform.read_judgments(path)
    assert table.questions == ["nato"] and table.experts == ["E1", "E2"]
    assert table.value.tolist() == [0.25, 0.75] and table.round.tolist() == [1, 1]


def test_line_breaks_inside_quoted_fields_are_read_across_pyarrows_blocks(tmp_path):
    """A file without a double quote is read faster, as one whose line breaks all end
    records; with one, a quoted line break may fall at the edge of a block pyarrow reads
    in parallel, and the typed, parallel reading must still succeed."""
    header = HEADER.replace("value", "value,rationale")
    rows = "".join(f'q{i:05d},E1,1,p,0.5,"one\ntwo\nthree"\n' for i in range(60_000))
    path = write(tmp_path, rows, header=header)
    source = csvfile.open_csv(path, longform.COLUMNS)
    assert path.stat().st_size > 2**20 and source.quoted
    typed = source.read({"question_id": pa.string(), "value": pa.float64()})
    assert typed is not None and typed.table.num_rows == 60_000
    assert len(longform.read_judgments(path).questions) == 60_000
    plain = write(tmp_path, "a,E1,1,p,0.5,one\n", name="plain.csv", header=header)
    assert not csvfile.open_csv(plain, longform.COLUMNS).quoted


def test_q5_beside_q05_is_a_repeat(tmp_path):
    path = write(tmp_path, "a,E1,1,q5,3\na,E1,1,q95,9\na,E1,1,q05,4\na,E1,2,q05,4\n")
    problems, _ = problems_of(path)
    assert problems == [
        ":4: question 'a', expert 'E1', round 1: element q5 and q05 appears more than once"
    ]


def test_missing_columns_and_empty_files_are_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("question_id,value\na,1\n", encoding="utf-8")
    with pytest.raises(
        longform.FormatError, match="1: missing column.s. expert_id, round, element"
    ):
        longform.read_judgments(bad)
    with pytest.raises(longform.FormatError, match="no judgments"):
        longform.read_judgments(write(tmp_path, ""))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(longform.FormatError, match="no header"):
        longform.read_judgments(empty)
    twice = write(tmp_path, "a,E1,1,p,0.5,0.6\n", header=HEADER.strip() + ",value\n")
    with pytest.raises(longform.FormatError, match="column.s. value appear more than once"):
        longform.read_judgments(twice)


def test_broken_three_point_judgments_are_refused(tmp_path):
    table = longform.read_judgments(write(tmp_path, "a,E1,1,lower,0.5\na,E1,1,best,0.4\n"))
    with pytest.raises(longform.FormatError, match="needs lower, best and upper"):
        longform.three_points(table)
    table = longform.read_judgments(
        write(tmp_path, "a,E1,1,lower,0.5\na,E1,1,best,0.4\na,E1,1,upper,0.9\n")
    )
    with pytest.raises(
        longform.FormatError, match="'a', expert 'E1', round 1: needs lower <= best"
    ):
        longform.three_points(table)


def test_a_time_column_is_read_as_iso_8601_or_numbers(tmp_path):
    header = HEADER.strip() + ",time\n"
    path = write(
        tmp_path,
        "a,E1,1,p,0.1,2025-03-01T14:30:00Z\n"
        "a,E2,1,p,0.2,2025-03-01T16:30:00+02:00\n"
        "a,E3,1,p,0.3,2025-03-01 14:30:00.5\n"
        "a,E4,1,p,0.4,2025-03-02\n",
        header=header,
    )
    expected = [
        datetime(2025, 3, 1, 14, 30, tzinfo=UTC),
        datetime(2025, 3, 1, 14, 30, tzinfo=UTC),
        datetime(2025, 3, 1, 14, 30, 0, 500000, tzinfo=UTC),
        datetime(2025, 3, 2, tzinfo=UTC),
    ]
    micro = [round(d.timestamp() * 1_000_000) for d in expected]
    assert longform.read_judgments(path).time.tolist() == micro
    numbers = write(tmp_path, "a,E1,1,p,0.1,3\na,E2,1,p,0.2,1.5\n", "numbers.csv", header)
    assert longform.read_judgments(numbers).time.tolist() == [3.0, 1.5]
    bad = write(
        tmp_path,
        "a,E1,1,p,0.1,2025-02-30\na,E2,1,p,0.2,yesterday\na,E3,1,p,0.3,\n"
        "a,E4,1,p,0.4,5\na,E5,1,p,0.5,2025-03-01T25:00\n",
        "bad_times.csv",
        header,
    )
    problems, _ = problems_of(bad)
    assert [p.split(": ", 1)[0] for p in problems] == [":2", ":3", ":4", ":5", ":6"]
    assert "time '2025-02-30' is neither a date and time in ISO 8601" in problems[0]
    assert "time is empty" in problems[2]
    assert "time '5' is a number where other rows give dates" in problems[3]
    assert "time '2025-03-01T25:00' is neither" in problems[4]


def test_outcomes_line_up_with_questions(tmp_path):
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "question_id,outcome\nb,Yes\na,no\nc,ANNULLED\nd,1\ne,0\nf,27.5\n", encoding="utf-8"
    )
    outcomes = longform.read_outcomes(path, ["a", "b", "c", "d", "e", "f", "g"])
    assert outcomes.value[:2].tolist() == [0.0, 1.0] and outcomes.value[3:6].tolist() == [
        1,
        0,
        27.5,
    ]
    assert np.isnan(outcomes.value[[2, 6]]).all()
    assert outcomes.annulled.tolist() == [False, False, True, False, False, False, False]
    path.write_text("question_id,outcome\nz,1\na,maybe\na,1\na,0\nb,nan\n", encoding="utf-8")
    with pytest.raises(longform.FormatError) as caught:
        longform.read_outcomes(path, ["a", "b"])
    assert caught.value.problems == [
        f"{path}:2: question 'z' has no judgments",
        f"{path}:3: outcome 'maybe' is not yes, no, annulled or a number",
        f"{path}:5: question 'a' appears more than once",
        f"{path}:6: outcome 'nan' is not a finite number (leave an unresolved question out)",
    ]


def test_user_weights_are_read_for_every_expert(tmp_path):
    path = tmp_path / "weights.csv"
    path.write_text("expert_id,weight\nE2, 3\n E1,1\n", encoding="utf-8")
    assert longform.read_weights(path, ["E1", "E2"]).tolist() == [1.0, 3.0]
    path.write_text("expert_id,weight\nE1,-1\nE9,1\nE2,x\nE2,1\nE2,2\n", encoding="utf-8")
    with pytest.raises(longform.FormatError) as caught:
        longform.read_weights(path, ["E1", "E2"])
    assert caught.value.problems == [
        f"{path}:2: weight -1 is negative",
        f"{path}:3: expert 'E9' is not in the study (its experts: E1, E2)",
        f"{path}:4: weight 'x' is not a number",
        f"{path}:6: expert 'E2' appears more than once",
    ]
    path.write_text("expert_id,weight\nE1,1\n", encoding="utf-8")
    with pytest.raises(longform.FormatError, match="no weight for expert.s. E2"):
        longform.read_weights(path, ["E1", "E2"])
    path.write_text("expert_id,weight\nE1,0\nE2,0\n", encoding="utf-8")
    with pytest.raises(longform.FormatError, match="all 0"):
        longform.read_weights(path, ["E1", "E2"])


def test_the_typed_and_the_text_reading_give_the_same_arrays(tmp_path):
    rows = "b,E2,2,p,0.4\na,E1,1,q05,-3e1\na,E1,1,q95,.5e2\nb,E1,1,best,1\n"
    typed = longform.read_judgments(write(tmp_path, rows, "typed.csv"))
    spaced = rows.replace(",0.4", ", 0.4 ").replace(",2,", ",+2 ,")  # not typed by pyarrow
    assert ", 0.4 " in spaced
    text = longform.read_judgments(write(tmp_path, spaced, "text.csv"))
    for name in ("question", "expert", "round", "kind", "level", "value"):
        np.testing.assert_array_equal(getattr(typed, name), getattr(text, name))
    assert typed.value.tolist() == [0.4, -30.0, 50.0, 1.0]


@pytest.mark.parametrize("chunk", [csvfile.CHUNK_BYTES, 3, 7])
def test_the_encoding_is_checked_across_chunks(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", chunk)
    good = "zürich,E1,1,p,0.5\nmünchen,E2,1,p,0.25\n"
    path = tmp_path / "utf8.csv"
    path.write_bytes((HEADER + good).encode())
    assert longform.read_judgments(path).questions == ["münchen", "zürich"]
    path.write_bytes((HEADER + good).encode() + b"x\xc3")
    problems, _ = problems_of(path)
    byte = len((HEADER + good).encode()) + 1
    assert problems == [f":4: not UTF-8 text (byte {byte} cannot be read); save it as UTF-8"]
