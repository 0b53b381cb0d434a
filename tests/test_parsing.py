"""Reading what experts type: numbers, percentages, per-field messages and the raw form."""

import math
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elicit.judgments.parsing import (
    FIELD_MAX,
    empty_raw,
    has_values,
    is_blank,
    parse,
    parse_number,
    percent,
    raw_from_form,
    raw_from_json,
    raw_from_values,
)
from elicit.judgments.rules import RATIONALE_MAX, Answer, check_answer
from elicit.studies.models import QuestionKind
from tests import factories

BLANK_PERCENT = "Enter a probability in percent."
BLANK_QUANTILE = "Enter a value for every percentile."
BAD_CONFIDENCE = "Choose a confidence from 1 to 5, or leave it unstated."


def not_a_percentage(text):
    return f"“{text}” is not a number; enter a percentage such as 35."


def not_a_quantity(text):
    return f"“{text}” is not a number; write numbers like 1500 or 12.5 (no thousands separators)."


@pytest.fixture
def study(session):
    return factories.study(session)


@pytest.fixture
def binary(session, study):
    return factories.question(session, study, key="bin", kind=QuestionKind.BINARY)


@pytest.fixture
def interval(session, study):
    return factories.question(session, study, key="int", kind=QuestionKind.BINARY_INTERVAL)


@pytest.fixture
def quantity(session, study):
    return factories.question(session, study, key="qty", kind=QuestionKind.QUANTITY)


def raw(question, **fields):
    return {**empty_raw(question), **fields}


# --- parse_number ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35", 35.0),
        ("0", 0.0),
        ("-2.5", -2.5),
        ("+3", 3.0),
        ("12.5", 12.5),
        (".5", 0.5),
        ("35%", 35.0),
        ("35 %", 35.0),
        (" 35% ", 35.0),
        (" 12,5 ", 12.5),
        ("12,5%", 12.5),
        ("0,05", 0.05),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("2.5e-2", 0.025),
        ("1\u00a0000", 1000.0),
        ("1500", 1500.0),
    ],
)
def test_parse_number_reads_what_people_type(text, expected):
    value = parse_number(text)
    assert value == pytest.approx(expected, rel=1e-15, abs=0)
    assert isinstance(value, float)


@pytest.mark.parametrize(
    "text",
    [
        "1,500",  # thousands separator or decimal comma? refused, not guessed
        "-1,500",
        "12,500%",
        "1,500.5",
        "1,2,3",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1e400",  # overflows to infinity
        "abc",
        "",
        "   ",
        "%",
        "35%%",
        "0x10",
        "1_000",
        "12.5.1",
        "e3",
        "3e",
        "--3",
    ],
)
def test_parse_number_refuses_what_is_not_a_finite_number(text):
    assert parse_number(text) is None


@given(st.floats(-1e12, 1e12, allow_nan=False))
def test_parse_number_reads_back_any_float_python_prints(value):
    assert parse_number(repr(value)) == value
    assert parse_number(f"{value!r}%") == value


# --- parse: binary -------------------------------------------------------------------------


def test_binary_percent_becomes_a_fraction(binary):
    answer, errors = parse(binary, raw(binary, probability="35", confidence="4", rationale="why"))
    assert errors == {}
    assert answer.probability == pytest.approx(0.35)
    assert (answer.lower, answer.upper, answer.quantile_values) == (None, None, None)
    assert (answer.confidence, answer.rationale) == (4, "why")
    assert check_answer(binary, answer) == {}


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("35%", 0.35), (" 12,5 ", 0.125), ("1", 0.01), ("99", 0.99), ("33.3", 0.333)],
)
def test_binary_accepts_the_forms_parse_number_accepts(binary, text, fraction):
    answer, errors = parse(binary, raw(binary, probability=text))
    assert errors == {}
    assert answer.probability == pytest.approx(fraction)
    assert answer.confidence is None and answer.rationale == ""


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_binary_blank_probability_asks_for_a_percentage(binary, text):
    answer, errors = parse(binary, raw(binary, probability=text))
    assert answer is None
    assert errors == {"probability": BLANK_PERCENT}


def test_binary_missing_probability_key_counts_as_blank(binary):
    assert parse(binary, {}) == (None, {"probability": BLANK_PERCENT})


@pytest.mark.parametrize("text", ["abc", "1,500", "nan", "35%%", "inf"])
def test_binary_non_numeric_probability_quotes_the_input(binary, text):
    answer, errors = parse(binary, raw(binary, probability=text))
    assert answer is None
    assert errors == {"probability": not_a_percentage(text)}


def test_an_over_long_number_is_refused_and_quoted_only_in_part(binary):
    text = "1" * (FIELD_MAX + 5)
    answer, errors = parse(binary, raw(binary, probability=text))
    assert answer is None
    assert errors == {"probability": not_a_percentage("1" * FIELD_MAX)}


def test_a_number_of_exactly_field_max_characters_is_read(binary):
    text = "0." + "0" * (FIELD_MAX - 3) + "1"
    assert len(text) == FIELD_MAX
    answer, errors = parse(binary, raw(binary, probability=text))
    assert errors == {}
    assert answer.probability == pytest.approx(float(text) / 100)


def test_parse_checks_only_that_it_is_a_number_not_the_range(binary):
    answer, errors = parse(binary, raw(binary, probability="150"))
    assert errors == {}
    assert answer.probability == pytest.approx(1.5)
    assert "probability" in check_answer(binary, answer)


def test_binary_ignores_fields_of_other_kinds(binary):
    answer, errors = parse(binary, raw(binary, probability="20", lower="abc", upper=""))
    assert errors == {}
    assert answer.lower is None and answer.upper is None


# --- parse: binary_interval ---------------------------------------------------------------


def test_interval_reads_all_three_percentages(interval):
    answer, errors = parse(
        interval, raw(interval, lower="10", probability="25,5", upper="40%", confidence="2")
    )
    assert errors == {}
    assert (answer.lower, answer.probability, answer.upper) == pytest.approx((0.1, 0.255, 0.4))
    assert answer.confidence == 2
    assert answer.quantile_values is None


def test_interval_reports_every_bad_field_at_once(interval):
    answer, errors = parse(
        interval, raw(interval, lower="", probability="x", upper="30", confidence="9")
    )
    assert answer is None
    assert errors == {
        "lower": BLANK_PERCENT,
        "probability": not_a_percentage("x"),
        "confidence": BAD_CONFIDENCE,
    }


def test_interval_blank_everywhere_gives_three_messages(interval):
    _, errors = parse(interval, empty_raw(interval))
    assert errors == {name: BLANK_PERCENT for name in ("lower", "probability", "upper")}


# --- parse: quantity ------------------------------------------------------------------------


def test_quantity_values_are_read_in_the_unit_not_percent(quantity):
    answer, errors = parse(quantity, raw(quantity, quantile_values=["10", "12,5", "1e3"]))
    assert errors == {}
    assert answer.quantile_values == [10.0, 12.5, 1000.0]
    assert answer.probability is None
    assert check_answer(quantity, answer) == {}


def test_quantity_ignores_probability_boxes(quantity):
    answer, errors = parse(
        quantity, raw(quantity, probability="nonsense", quantile_values=["1", "2", "3"])
    )
    assert errors == {}
    assert answer.probability is None


@pytest.mark.parametrize("values", [["", "2", "3"], ["1", " ", "3"], ["", "", ""]])
def test_quantity_blank_percentile_asks_for_every_value(quantity, values):
    answer, errors = parse(quantity, raw(quantity, quantile_values=values))
    assert answer is None
    assert errors == {"quantile_values": BLANK_QUANTILE}


def test_quantity_blank_wins_over_a_bad_value(quantity):
    _, errors = parse(quantity, raw(quantity, quantile_values=["abc", "", "3"]))
    assert errors == {"quantile_values": BLANK_QUANTILE}


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        (["1", "1,500", "3"], "1,500"),
        (["1", "2", "lots"], "lots"),
        (["nan", "inf", "3"], "nan"),  # the first bad one is quoted
    ],
)
def test_quantity_non_numeric_value_quotes_the_first_bad_one(quantity, values, bad):
    answer, errors = parse(quantity, raw(quantity, quantile_values=values))
    assert answer is None
    assert errors == {"quantile_values": not_a_quantity(bad)}


def test_quantity_over_long_value_is_refused(quantity):
    long = "9" * (FIELD_MAX + 1)
    _, errors = parse(quantity, raw(quantity, quantile_values=["1", "2", long]))
    assert errors == {"quantile_values": not_a_quantity("9" * FIELD_MAX)}


def test_quantity_wrong_order_is_left_to_the_service(quantity):
    answer, errors = parse(quantity, raw(quantity, quantile_values=["3", "2", "1"]))
    assert errors == {}
    assert check_answer(quantity, answer) == {
        "quantile_values": "Each percentile must be larger than the one before."
    }


# --- parse: confidence and rationale --------------------------------------------------------


@pytest.mark.parametrize("text", ["1", "2", "3", "4", "5", " 3 "])
def test_confidence_one_to_five(binary, text):
    answer, errors = parse(binary, raw(binary, probability="50", confidence=text))
    assert errors == {}
    assert answer.confidence == int(text)


@pytest.mark.parametrize("text", ["", "  "])
def test_blank_confidence_is_unstated(binary, text):
    answer, errors = parse(binary, raw(binary, probability="50", confidence=text))
    assert errors == {}
    assert answer.confidence is None


@pytest.mark.parametrize("text", ["0", "6", "3.0", "high", "-1", "10", "٣"])
def test_other_confidence_is_refused(binary, text):
    answer, errors = parse(binary, raw(binary, probability="50", confidence=text))
    assert answer is None
    assert errors == {"confidence": BAD_CONFIDENCE}


def test_rationale_of_the_maximum_length_is_kept_as_typed(binary):
    text = " " + "x" * (RATIONALE_MAX - 2) + " "
    answer, errors = parse(binary, raw(binary, probability="50", rationale=text))
    assert errors == {}
    assert answer.rationale == text


def test_over_long_rationale_is_refused(binary):
    answer, errors = parse(
        binary, raw(binary, probability="50", rationale="x" * (RATIONALE_MAX + 1))
    )
    assert answer is None
    assert errors == {"rationale": "Keep the rationale to at most 10,000 characters."}


def test_every_field_error_is_reported_together(quantity):
    _, errors = parse(
        quantity,
        raw(
            quantity,
            quantile_values=["a", "b", "c"],
            confidence="7",
            rationale="y" * (RATIONALE_MAX + 1),
        ),
    )
    assert set(errors) == {"quantile_values", "confidence", "rationale"}


# --- raw forms ------------------------------------------------------------------------------


def test_empty_raw_has_one_box_per_quantile(binary, quantity):
    assert empty_raw(binary) == {
        "probability": "",
        "lower": "",
        "upper": "",
        "quantile_values": [],
        "confidence": "",
        "rationale": "",
    }
    assert empty_raw(quantity)["quantile_values"] == ["", "", ""]


def test_raw_from_form_collects_prefixed_fields(quantity):
    form = {
        "q7-q0": "1",
        "q7-q1": "2",
        "q7-q2": "3",
        "q7-confidence": "4",
        "q7-rationale": "r",
        "q8-q0": "99",
        "q7-probability": "5",
    }
    got = raw_from_form(quantity, form, "q7")
    assert got == {
        "probability": "5",
        "lower": "",
        "upper": "",
        "quantile_values": ["1", "2", "3"],
        "confidence": "4",
        "rationale": "r",
    }


def test_raw_from_json_fills_in_missing_fields(binary, quantity):
    assert raw_from_json(binary, {"probability": "35"}) == raw(binary, probability="35")
    got = raw_from_json(quantity, {"quantile_values": ["1", "2", "3"], "confidence": "2"})
    assert got == raw(quantity, quantile_values=["1", "2", "3"], confidence="2")
    assert raw_from_json(quantity, {}) == empty_raw(quantity)


@pytest.mark.parametrize("data", [None, "35", 35, ["35"], [("probability", "35")]])
def test_raw_from_json_refuses_what_is_not_an_object(binary, data):
    with pytest.raises(ValueError, match="each answer must be an object of fields"):
        raw_from_json(binary, data)


def test_raw_from_json_ignores_unknown_fields(binary):
    raw = raw_from_json(binary, {"probability": "3", "note": "x", "best": 4})
    assert raw == {**empty_raw(binary), "probability": "3"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"probability": 35}, "probability must be a string"),
        ({"probability": 0.35}, "probability must be a string"),
        ({"probability": None}, "probability must be a string"),
        ({"confidence": 4}, "confidence must be a string"),
        ({"rationale": ["a"]}, "rationale must be a string"),
        ({"lower": True}, "lower must be a string"),
    ],
)
def test_raw_from_json_refuses_non_string_values(binary, data, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        raw_from_json(binary, data)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["1", "2"], "quantile_values must be a list of 3 strings"),
        (["1", "2", "3", "4"], "quantile_values must be a list of 3 strings"),
        ([], "quantile_values must be a list of 3 strings"),
        ("1,2,3", "quantile_values must be a list of 3 strings"),
        ({"0": "1"}, "quantile_values must be a list of 3 strings"),
        (["1", 2, "3"], "quantile_values must be strings"),
        (["1", None, "3"], "quantile_values must be strings"),
    ],
)
def test_raw_from_json_refuses_bad_quantile_lists(quantity, values, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        raw_from_json(quantity, {"quantile_values": values})


def test_raw_from_json_binary_takes_no_quantile_values(binary):
    assert raw_from_json(binary, {"quantile_values": []})["quantile_values"] == []
    with pytest.raises(ValueError, match="a list of 0 strings"):
        raw_from_json(binary, {"quantile_values": ["1"]})


def test_raw_from_json_result_parses(quantity):
    got = raw_from_json(quantity, {"quantile_values": ["5", "50", "500"], "confidence": "3"})
    answer, errors = parse(quantity, got)
    assert errors == {}
    assert answer.quantile_values == [5.0, 50.0, 500.0] and answer.confidence == 3


# --- is_blank / has_values ------------------------------------------------------------------


def test_is_blank(quantity):
    assert is_blank(empty_raw(quantity))
    assert is_blank({})
    assert is_blank(raw(quantity, probability="  ", rationale="\n", quantile_values=[" ", "", ""]))
    assert not is_blank(raw(quantity, rationale="just a thought"))
    assert not is_blank(raw(quantity, confidence="3"))
    assert not is_blank(raw(quantity, quantile_values=["", "", "7"]))
    assert not is_blank(raw(quantity, lower="x"))


def test_has_values_binary(binary):
    assert not has_values(binary, empty_raw(binary))
    assert not has_values(binary, raw(binary, probability="  ", lower="1", upper="2"))
    assert has_values(binary, raw(binary, probability="abc"))  # typed, valid or not
    assert not has_values(binary, {})


def test_has_values_interval_needs_all_three(interval):
    assert not has_values(interval, raw(interval, probability="30"))
    assert not has_values(interval, raw(interval, lower="10", probability="30"))
    assert has_values(interval, raw(interval, lower="10", probability="30", upper="50"))


def test_has_values_quantity_needs_every_percentile(binary, quantity):
    assert not has_values(quantity, raw(quantity, quantile_values=["1", "2", ""]))
    assert not has_values(quantity, raw(quantity, probability="50"))
    assert has_values(quantity, raw(quantity, quantile_values=["1", "x", "3"]))
    # a question without percentiles never "has" its quantile values
    assert not has_values(quantity, {"quantile_values": []})


# --- percent / raw_from_values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (0.35, "35"),
        (0.333, "33.3"),
        (0.07, "7"),
        (0.01, "1"),
        (0.99, "99"),
        (0.125, "12.5"),
        (0.0, "0"),
        (1.0, "100"),
        (33.3 / 100, "33.3"),
    ],
)
def test_percent_shows_what_was_typed(value, text):
    assert percent(value) == text


def test_raw_from_values_shows_a_binary_judgment(binary):
    recorded = Answer(probability=0.35, confidence=4, rationale="because")
    assert raw_from_values(binary, recorded) == raw(
        binary, probability="35", confidence="4", rationale="because"
    )


def test_raw_from_values_shows_an_interval_judgment(interval):
    recorded = Answer(lower=0.1, probability=0.333, upper=0.5)
    assert raw_from_values(interval, recorded) == raw(
        interval, lower="10", probability="33.3", upper="50"
    )


def test_raw_from_values_shows_a_quantity_judgment(quantity):
    recorded = Answer(quantile_values=[1500.0, 12.5, 2.5e9], rationale="")
    got = raw_from_values(quantity, recorded)
    assert got == raw(quantity, quantile_values=["1500", "12.5", "2500000000"])


def test_raw_from_values_handles_a_stored_judgment_with_null_rationale(binary):
    stored = SimpleNamespace(
        probability=0.4,
        lower=None,
        upper=None,
        quantile_values=None,
        confidence=None,
        rationale=None,
    )
    assert raw_from_values(binary, stored) == raw(binary, probability="40")


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (QuestionKind.BINARY, {"probability": "35", "confidence": "4", "rationale": "why"}),
        (QuestionKind.BINARY, {"probability": "33.3"}),
        (QuestionKind.BINARY, {"probability": "12,5%"}),
        (QuestionKind.BINARY_INTERVAL, {"lower": "5", "probability": "7", "upper": "66.6"}),
        (QuestionKind.QUANTITY, {"quantile_values": ["0.001", "1500", "2.5e9"]}),
    ],
)
def test_parse_then_show_then_parse_is_the_same_answer(session, study, kind, fields):
    question = factories.question(session, study, kind=kind)
    first, errors = parse(question, raw(question, **fields))
    assert errors == {}
    shown = raw_from_values(question, first)
    again, errors = parse(question, shown)
    assert errors == {}
    assert again == first  # resubmitting an unchanged form records no new revision


@given(st.integers(0, 10_000))
def test_any_percentage_typed_to_two_decimals_survives_redisplay(hundredths):
    # values like 1, 35, 12.5, 33.33 (percent), as an expert types them
    typed = f"{hundredths / 100:.2f}".rstrip("0").rstrip(".")
    fraction = parse_number(typed) / 100
    assert parse_number(percent(fraction)) / 100 == fraction
    assert math.isclose(float(percent(fraction)), float(typed))


@pytest.mark.parametrize(
    ("kind", "field", "typed"),
    [
        (QuestionKind.BINARY, "probability", "12.34567"),
        (QuestionKind.QUANTITY, "quantile_values", "12345678901"),
    ],
)
def test_a_precisely_typed_value_is_shown_again_unchanged(session, study, kind, field, typed):
    """Nothing typed may be lost: redisplaying a judgment must not round what the expert typed.

    The answer page refills the form from the judgment with ``raw_from_values``;
    if it shows a rounded value, resubmitting the untouched form silently
    records a different answer as a new revision.
    """
    question = factories.question(session, study, kind=kind)
    fields = {field: ["1", "2", typed]} if field == "quantile_values" else {field: typed}
    answer, errors = parse(question, raw(question, **fields))
    assert errors == {}
    shown = raw_from_values(question, answer)
    shown_text = shown[field][-1] if field == "quantile_values" else shown[field]
    assert parse_number(shown_text) == parse_number(typed)
