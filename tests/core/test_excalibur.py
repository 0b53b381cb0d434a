"""EXCALIBUR .dtt/.rls files: read into arrays, written back, read again to the same study."""

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from elicit.core.excalibur import (
    ExcaliburStudy,
    dumps_excalibur,
    loads_excalibur,
    read_excalibur,
    write_excalibur,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "cooke"
SHIPPED = sorted(p for p in DATA.iterdir() if p.suffix.lower() == ".dtt")
# All 57 studies of the TU Delft database, when the shared reference data is present.
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference-data" / "cooke-tudelft"
HEADER = "* CLASS ASCII OUTPUT FILE. NQ=   3   QU=   5  50  95\n"


def line(expert, expert_id, item, item_id, scale, values, question=""):
    cells = " ".join(f"{v: .5E}" for v in values)
    return f"{expert:5d} {expert_id:>8s} {item:4d} {item_id:>14s} {scale} {cells} {question}\n"


def test_reads_the_tobacco_study():
    study = read_excalibur(DATA / "tobacco.dtt")
    assert study.answers.shape == (7, 21, 5)
    assert_array_equal(study.quantiles, [0.05, 0.25, 0.5, 0.75, 0.95])
    assert study.expert_ids == tuple(f"Ex{k}" for k in range(1, 8))
    assert study.item_ids[:3] == ("$TAdProm2005", "%discount", "MinVio")
    assert_array_equal(study.answers[0, 0], [5.0, 12.0, 25.0, 35.0, 50.0])
    assert_array_equal(study.answers[1, 7], [0.33, 0.4, 0.5, 0.67, 1.0])
    assert_array_equal(study.realizations[:3], [13.11, 77.3, 7.0])
    assert_array_equal(study.is_seed, np.arange(21) < 10)
    assert not study.log_scale.any()
    assert study.questions[5] == "ratio % adults smoke daily in PA/NJ"
    assert study.questions[1].startswith("% of advertising and promotional")


def test_reads_log_items_missing_answers_and_seven_tab_separated_quantiles():
    assert read_excalibur(DATA / "ATCEP Error.dtt").log_scale.all()
    daniela = read_excalibur(DATA / "Daniela.dtt")
    assert np.isnan(daniela.answers).any(-1).sum() == 1  # coded -9.996E+002
    assert daniela.is_seed.sum() == 7
    seven = read_excalibur(DATA / "7quants.dtt")
    assert_array_equal(seven.quantiles, [0.1, 0.25, 0.35, 0.5, 0.65, 0.75, 0.9])
    assert_array_equal(seven.answers[0, 0], [7.0, 7.38, 7.63, 8.0, 8.38, 8.63, 9.0])
    assert seven.item_ids[0] == "_item  1"  # ids may hold spaces: fixed columns


def test_upper_case_suffixes_find_their_rls_file():
    study = read_excalibur(DATA / "TdC.DTT")
    assert study.is_seed.sum() == 17
    assert study.questions[0].startswith("4600 years ago, Mount Fogo")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_round_trip_of_the_shipped_files(path, tmp_path):
    study = read_excalibur(path)
    write_excalibur(study, tmp_path / "copy.dtt")
    again = read_excalibur(tmp_path / "copy.dtt")
    assert again == study
    # the written layout is canonical: writing again gives the same bytes
    write_excalibur(again, tmp_path / "twice.dtt")
    assert (tmp_path / "twice.dtt").read_bytes() == (tmp_path / "copy.dtt").read_bytes()
    assert (tmp_path / "twice.rls").read_bytes() == (tmp_path / "copy.rls").read_bytes()


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference data not present")
def test_round_trip_of_all_tu_delft_studies():
    paths = [p for p in REFERENCE.iterdir() if p.suffix.lower() == ".dtt"]
    assert len(paths) == 57
    for path in paths:
        study = read_excalibur(path)
        assert loads_excalibur(*dumps_excalibur(study)) == study, path.name


def test_writes_excaliburs_layout():
    study = read_excalibur(DATA / "tobacco.dtt")
    dtt, rls = dumps_excalibur(study)
    original = (DATA / "tobacco.dtt").read_text(encoding="cp1252").splitlines()
    assert dtt.splitlines()[0] == original[0]
    # the same fixed columns as EXCALIBUR's own file, up to the question text
    assert dtt.splitlines()[23][:100] == original[23][:100]
    assert rls.splitlines()[10].startswith("   11 08%CDCminwoRWJ -9.99500E+0002 UNI PA state")
    assert (DATA / "tobacco.rls").read_text().splitlines()[0][:40] == rls.splitlines()[0][:40]


def test_windows_characters_round_trip(tmp_path):
    study = read_excalibur(DATA / "tobacco.dtt")
    questions = ("Cost in € – “quoted”",) + study.questions[1:]
    changed = ExcaliburStudy(**{**vars(study), "questions": questions})
    write_excalibur(changed, tmp_path / "euro.DTT")
    assert (tmp_path / "euro.RLS").exists()
    assert "€".encode("cp1252") in (tmp_path / "euro.RLS").read_bytes()
    assert read_excalibur(tmp_path / "euro.DTT").questions[0] == "Cost in € – “quoted”"


def test_missing_codes_and_partly_given_answers():
    dtt = HEADER + line(1, "A", 1, "q1", "UNI", [-999.5, -999.6, 3.0])
    dtt += line(1, "A", 2, "q2", "log", [1.0, 2.0, 3.0])
    rls = "    1             q1 -9.99600E+0002 UNI\n    2             q2  2.50000E+0000 LOG\n"
    study = loads_excalibur(dtt, rls)
    assert_array_equal(study.answers, [[[np.nan, np.nan, 3.0], [1.0, 2.0, 3.0]]])
    assert_array_equal(study.realizations, [np.nan, 2.5])
    assert_array_equal(study.log_scale, [False, True])
    assert loads_excalibur(*dumps_excalibur(study)) == study


def test_items_without_an_rls_line_are_targets_matched_by_id():
    dtt = HEADER + line(1, "A", 1, "q1", "UNI", [1, 2, 3]) + line(1, "A", 2, "q2", "UNI", [1, 2, 3])
    study = loads_excalibur(dtt, "    7             q2  2.50000E+0000 UNI  Why?\n")
    assert_array_equal(study.realizations, [np.nan, 2.5])
    assert study.questions == ("", "Why?")


def test_more_digits_only_where_needed():
    study = read_excalibur(DATA / "tobacco.dtt")
    answers = study.answers.copy()
    answers[0, 0, 0] = 1 / 3
    changed = ExcaliburStudy(**{**vars(study), "answers": answers})
    dtt, _ = dumps_excalibur(changed)
    assert " 3.333333333333333E-0001 " in dtt
    assert loads_excalibur(*dumps_excalibur(changed)).answers[0, 0, 0] == 1 / 3


finite = st.floats(-1e12, 1e12, allow_nan=False).filter(lambda v: not -1000 <= v <= -990)
expert_ids = st.text("ABCxyz019_.%$ ", min_size=1, max_size=8).map(str.strip).filter(bool)


@st.composite
def studies(draw):
    n_experts, n_items = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    levels = draw(st.sampled_from([[0.05, 0.5, 0.95], [0.1, 0.25, 0.5, 0.75, 0.9], [0.5]]))
    shape = (n_experts, n_items, len(levels))
    size = int(np.prod(shape))
    answers = np.array(draw(st.lists(finite, min_size=size, max_size=size))).reshape(shape)
    holes = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    answers[np.array(holes).reshape(shape)] = np.nan  # whole answers or single quantiles
    realizations = draw(st.lists(finite | st.just(np.nan), min_size=n_items, max_size=n_items))
    questions = st.sampled_from(["", "How many?", "Ratio in € (“net”)"])
    return ExcaliburStudy(
        quantiles=np.array(levels),
        expert_ids=tuple(draw(st.lists(expert_ids, min_size=n_experts, max_size=n_experts))),
        item_ids=tuple(f"item {k}" for k in range(n_items)),
        log_scale=np.array(draw(st.lists(st.booleans(), min_size=n_items, max_size=n_items))),
        answers=answers,
        realizations=np.array(realizations),
        questions=tuple(draw(st.lists(questions, min_size=n_items, max_size=n_items))),
    )


@settings(max_examples=60, deadline=None)
@given(studies())
def test_round_trip_of_any_study(study):
    assert loads_excalibur(*dumps_excalibur(study)) == study


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

GOOD_DTT = (
    HEADER + line(1, "A", 1, "q1", "UNI", [1, 2, 3]) + line(2, "B", 1, "q1", "UNI", [2, 3, 4])
)


@pytest.mark.parametrize(
    ("dtt", "rls", "message"),
    [
        ("", "", ".dtt file is empty"),
        ("* CLASS ASCII OUTPUT FILE.\n", "", r"\.dtt line 1: no 'NQ= \.\.\. QU= \.\.\.' header"),
        (HEADER.replace("NQ=   3", "NQ=   2"), "", r"NQ=2 but 3 percentages"),
        (HEADER.replace("  50  95", "  95  50"), "", "are not increasing within"),
        (HEADER.replace("95", "9x"), "", r"\.dtt line 1: '9x' is not a number"),
        (HEADER, "", ".dtt file has no judgments"),
        (HEADER + "    1        A    1\n", "", r"\.dtt line 2: too short"),
        (HEADER + "    x" + GOOD_DTT.splitlines()[1][5:], "", r"line 2: no expert and item"),
        (GOOD_DTT.replace("q1 UNI", "q1 LIN", 1), "", r"line 2: scale 'LIN' is neither"),
        (GOOD_DTT.replace("2.00000E+00", "2.0.0", 1), "", r"line 2: '2.0.0' is not a number"),
        (GOOD_DTT.replace("3.00000E+00", "inf", 1), "", r"line 2: 'inf' is not a finite number"),
        (HEADER + line(1, "A", 1, "q1", "UNI", [1, 2]), "", r"line 2: 2 of 3 quantiles"),
        (GOOD_DTT + line(1, "Z", 2, "q2", "UNI", [1, 2, 3]), "", "expert 1 is 'Z', before 'A'"),
        (GOOD_DTT + line(1, "A", 2, "q1", "UNI", [1, 2, 3]), "", "item id 'q1' is used for two"),
        (GOOD_DTT + line(3, "C", 1, "q9", "UNI", [1, 2, 3]), "", "item 1 is 'q9', before 'q1'"),
        (GOOD_DTT + line(3, "C", 1, "q1", "LOG", [1, 2, 3]), "", r"item 1 \('q1'\) changes scale"),
        (GOOD_DTT + line(2, "B", 1, "q1", "UNI", [1, 2, 3]), "", "answers item 1 a second time"),
        (GOOD_DTT, "    1             q9  1.0E+00 UNI\n", r"\.rls line 1: item id 'q9' is not"),
        (GOOD_DTT, "    1             q1\n", r"\.rls line 1: expected item number, id"),
        (
            GOOD_DTT,
            "    1             q1  1.0E+00 UNI\n    2             q1  1.0E+00 UNI\n",
            r"\.rls line 2: item id 'q1' is given a second time",
        ),
        (GOOD_DTT, "    1             q1  1.0E+00 XYZ\n", r"\.rls line 1: scale 'XYZ'"),
        (GOOD_DTT, "    1             q1  one UNI\n", r"\.rls line 1: 'one' is not a number"),
    ],
)
def test_bad_files_raise_value_error_naming_the_line(dtt, rls, message):
    with pytest.raises(ValueError, match=message):
        loads_excalibur(dtt, rls)


def study_with(**changes):
    base = loads_excalibur(GOOD_DTT, "    1             q1  2.50000E+0000 UNI\n")
    return ExcaliburStudy(**{**vars(base), **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"expert_ids": ("A", "NineChars")}, r"expert_ids\[1\] = 'NineChars' is longer than 8"),
        ({"item_ids": ("x" * 15,)}, r"item_ids\[0\] = 'xxxxxxxxxxxxxxx' is longer than 14"),
        ({"item_ids": (" q1",)}, r"item_ids\[0\] = ' q1' has surrounding whitespace"),
        ({"questions": ("two\nlines",)}, r"questions\[0\] = 'two\\nlines' has surrounding"),
        ({"expert_ids": ("A", 7)}, r"expert_ids\[1\] = 7 is not a string"),
        ({"answers": np.array([[[1, 2, np.inf]], [[1, 2, 3]]])}, r"answers\[0, 0, 2\] = inf"),
        ({"answers": np.array([[[1, 2, -995]], [[1, 2, 3]]])}, r"missing-value range"),
        ({"realizations": np.array([-999.5])}, r"realizations\[0\] = -999.5 cannot be written"),
        ({"quantiles": np.array([0.05, 0.5, 1.0])}, r"quantiles\[2\] = 1.0 is not a percentage"),
    ],
)
def test_unwritable_studies_raise_value_error_naming_the_entry(changes, message):
    with pytest.raises(ValueError, match=message):
        dumps_excalibur(study_with(**changes))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"log_scale": np.array([True, False])}, r"log_scale has shape \(2,\), expected \(1,\)"),
        ({"answers": np.ones((2, 1, 2))}, r"answers has shape \(2, 1, 2\), expected \(2, 1, 3\)"),
        ({"questions": ()}, r"questions has shape \(0,\), expected \(1,\)"),
        ({"realizations": np.ones(3)}, r"realizations has shape \(3,\), expected \(1,\)"),
        ({"quantiles": np.ones((1, 3))}, r"quantiles has shape \(1, 3\), expected \(3,\)"),
    ],
)
def test_inconsistent_shapes_raise_value_error(changes, message):
    with pytest.raises(ValueError, match=message):
        study_with(**changes)


def test_a_missing_file_raises_os_error(tmp_path):
    (tmp_path / "alone.dtt").write_text(GOOD_DTT)
    with pytest.raises(OSError):
        read_excalibur(tmp_path / "alone.dtt")
    assert os.path.exists(tmp_path / "alone.dtt")
