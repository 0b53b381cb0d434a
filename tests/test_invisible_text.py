"""Invisible format characters (Unicode category Cf) refused in titles, questions and rationales.

Properties checked with Hypothesis: text without such a character passes every
validator unchanged; the same text with one inserted anywhere is refused, and
the message names the first one and its position.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from elicit.facilitating.study_forms import CloneForm, QuestionForm
from elicit.judgments.parsing import empty_raw, parse
from elicit.studies.models import Question, QuestionKind
from elicit.studies.question_sets import _Checker
from elicit.text import invisible_character_message, invisible_characters

FORMAT_CHARACTERS = st.characters(categories=["Cf"])
VISIBLE_TEXT = st.text(st.characters(exclude_categories=["Cf", "Cs"]), max_size=120)
NAMED = ["\u202e", "\u202a", "\u2066", "\u2067", "\u2068", "\u2069", "\u200b", "\u200e", "\ufeff"]


@st.composite
def with_invisible(draw):
    """(text with one format character inserted, 1-based position, the character)."""
    text = draw(VISIBLE_TEXT)
    char = draw(st.one_of(st.sampled_from(NAMED), FORMAT_CHARACTERS))
    at = draw(st.integers(0, len(text)))
    return text[:at] + char + text[at:], at + 1, char


@pytest.fixture(scope="module")
def in_request(app):
    """Enter a request context (forms and messages need one) for one Hypothesis example."""
    return lambda: app.test_request_context("/")


def test_the_characters_the_issue_names_are_all_format_characters():
    assert all(unicodedata.category(c) == "Cf" for c in NAMED)
    assert [p for p, _ in invisible_characters("a\u200bb\u200fc")] == [2, 4]


@given(VISIBLE_TEXT)
def test_text_without_format_characters_passes(text):
    assert invisible_characters(text) == []


@given(with_invisible())
def test_a_format_character_anywhere_is_found_where_it_is(case):
    text, position, char = case
    assert invisible_characters(text) == [(position, char)]


@given(case=with_invisible())
def test_the_message_names_the_character_and_its_position(in_request, case):
    with in_request():
        text, position, char = case
        message = invisible_character_message(text)
        assert f"U+{ord(char):04X}" in message
        assert f"at character {position:,}" in message


def clone_form(title: str) -> CloneForm:
    return CloneForm(
        formdata=MultiDict({"clone-slug": "a-copy", "clone-title": title}),
        prefix="clone",
        meta={"csrf": False},
    )


@given(title=VISIBLE_TEXT.filter(lambda t: t.strip() and len(t) <= 200))
def test_the_study_title_validator_accepts_visible_titles(in_request, title):
    with in_request():
        form = clone_form(title)
        assert form.validate(), form.errors
        assert form.title.data == title


@given(case=with_invisible().filter(lambda c: c[0].strip() and len(c[0]) <= 200))
def test_the_study_title_validator_refuses_format_characters(in_request, case):
    with in_request():
        title, position, char = case
        form = clone_form(title)
        assert not form.validate()
        [message] = form.errors["title"]
        assert f"U+{ord(char):04X}" in message and f"at character {position:,}" in message
        assert form.title.data == title


QUESTION_FIELDS = {
    "title": "Will it?",
    "background": "",
    "resolution_criterion": "It does.",
    "resolution_source": "Records",
    "close_date": "2027-01-31",
    "resolve_by": "2027-12-31",
}


@given(
    name=st.sampled_from(["title", "background", "resolution_criterion", "resolution_source"]),
    case=with_invisible().filter(lambda c: c[0].strip()),
)
def test_every_question_text_refuses_format_characters(in_request, name, case):
    with in_request():
        text, _, char = case
        form = QuestionForm(
            formdata=MultiDict({**QUESTION_FIELDS, name: text}), meta={"csrf": False}
        )
        assert not form.validate()
        assert f"U+{ord(char):04X}" in " ".join(form.errors[name])
        assert set(form.errors) == {name}


@given(rationale=VISIBLE_TEXT)
def test_a_visible_rationale_is_read_as_typed(in_request, rationale):
    with in_request():
        question = Question(kind=QuestionKind.BINARY, allow_certainty=False)
        answer, errors = parse(
            question, {**empty_raw(question), "probability": "30", "rationale": rationale}
        )
        assert errors == {} and answer.rationale == rationale


@given(case=with_invisible())
def test_a_rationale_with_a_format_character_is_refused_beside_it(in_request, case):
    with in_request():
        rationale, position, char = case
        question = Question(kind=QuestionKind.BINARY, allow_certainty=False)
        answer, errors = parse(
            question, {**empty_raw(question), "probability": "30", "rationale": rationale}
        )
        assert answer is None and set(errors) == {"rationale"}
        assert f"U+{ord(char):04X}" in errors["rationale"]


def test_a_question_set_file_with_a_format_character_names_the_field(tmp_path):
    problems = []
    check = _Checker(tmp_path / "set.yaml", problems)
    assert check.text({"title": "Will Kyiv\u202e agree?"}, "title", "q-1") == ""
    [problem] = problems
    assert problem.question == "q-1" and problem.field == "title"
    assert "U+202E" in problem.reason and "character 10" in problem.reason


def test_a_question_edit_refused_by_the_service_names_the_field(session):
    from elicit.studies.editing import FieldError, QuestionFields, check_fields

    fields = QuestionFields(
        title="Fine",
        background="Hidden\u200b text",
        resolution_criterion="It does.",
        resolution_source="Records",
        close_date=date(2027, 1, 31),
        resolve_by=date(2027, 12, 31),
    )
    with pytest.raises(FieldError) as refused:
        check_fields(QuestionKind.BINARY, fields, None)
    assert refused.value.field == "background" and "U+200B" in refused.value.message
