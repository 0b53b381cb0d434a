"""The bundled question sets and the validator: every kind of problem, reported at its place."""

import copy
import hashlib
from pathlib import Path

import pytest
import yaml

from elicit import PROJECT_ROOT
from elicit.studies import question_sets
from elicit.studies.models import QuestionKind
from elicit.studies.question_sets import QuestionSetError, normalise_text
from tests.conftest import SEEDS

BUNDLED = PROJECT_ROOT / "question_sets"
TEXT = "The quick brown fox \u201cjumps\u201d over the lazy dog\u2019s back \u2014 twice.\n"

SOURCE = {
    "key": "doc",
    "title": "A document",
    "author": "An Author",
    "publisher": "A Publisher",
    "published": "2025-02-21",
    "url": "https://example.org/doc",
    "file": "doc.txt",
    "sha256": hashlib.sha256(TEXT.encode()).hexdigest(),
}
BINARY = {
    "id": "will-it",
    "kind": "binary",
    "title": "Will it happen?",
    "resolution_criterion": "Resolves yes if it happens.",
    "resolution_source": "The record",
    "close_date": "2027-01-31",
    "resolve_by": "2027-12-31",
    "source": "doc",
    "quote": 'quick brown fox "jumps" over',
    "tags": ["Ukraine"],
}
QUANTITY = {
    **BINARY,
    "id": "how-many",
    "kind": "quantity",
    "title": "How many?",
    "unit": "allies",
    "quantiles": [0.05, 0.5, 0.95],
    "lower_bound": 0,
    "upper_bound": 32,
    "calibration": True,
    "realization": 23,
}
SET = {
    "id": "a-set",
    "title": "A set",
    "sections": [{"id": "one", "title": "One", "questions": [BINARY, QUANTITY]}],
}


def write_set(folder: Path, data=None, name="a-set.yaml", source=None) -> Path:
    """Write a set file (default: the valid SET) and its sources folder; return the file."""
    (folder / "sources").mkdir(exist_ok=True)
    (folder / "sources" / "doc.yaml").write_text(yaml.safe_dump(source or SOURCE))
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data or SET))
    return path


def texts(folder: Path, text=TEXT) -> Path:
    copies = folder / "copies"
    copies.mkdir()
    (copies / "doc.txt").write_text(text)
    return copies


def problems_for(path, **kwargs) -> list[str]:
    with pytest.raises(QuestionSetError) as caught:
        question_sets.load(path, **kwargs)
    return [str(p) for p in caught.value.problems]


def with_question(**changes):
    data = copy.deepcopy(SET)
    question = data["sections"][0]["questions"][1 if changes.pop("quantity", False) else 0]
    for key, value in changes.items():
        if value is None:
            question.pop(key, None)
        else:
            question[key] = value
    return data


# The bundled sets ---------------------------------------------------------------------------


def test_bundled_sets_are_valid_and_big_enough():
    sets, sources = question_sets.load(BUNDLED)
    questions = [q for s in sets for q in s.questions]
    kinds = [q.kind for q in questions]
    assert len(sets) >= 2
    assert sum(k is not QuestionKind.QUANTITY for k in kinds) >= 15
    assert sum(k is QuestionKind.QUANTITY for k in kinds) >= 8
    assert QuestionKind.BINARY_INTERVAL in kinds
    calibration = [q for q in questions if q.calibration]
    assert any(q.kind is QuestionKind.QUANTITY for q in calibration)
    assert all(q.realization is not None for q in calibration)
    assert {q.source for q in questions} == set(sources) and len(sources) == 2
    for q in questions:
        assert q.close_date <= q.resolve_by
        assert len(q.quote.split()) >= 4, q.key


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_every_bundled_quote_is_verbatim_in_its_source():
    sets, _ = question_sets.load(BUNDLED, texts_dir=SEEDS)
    assert sum(len(s.questions) for s in sets) >= 23


def test_bundled_sources_cite_without_shipping_text():
    _, sources = question_sets.load(BUNDLED)
    for source in sources.values():
        assert source.url.startswith("https://")
        assert len(source.sha256) == 64
    shipped = [p for p in BUNDLED.rglob("*") if p.suffix not in {".yaml", ".md"} and p.is_file()]
    assert shipped == []


# Quote checking -----------------------------------------------------------------------------


def test_quotes_match_after_normalising_typography(tmp_path):
    path = write_set(tmp_path)
    sets, _ = question_sets.load(path, texts_dir=texts(tmp_path))
    assert [q.key for q in sets[0].questions] == ["will-it", "how-many"]
    assert normalise_text("a\u2019b \u201cc\u201d \u2014 *d*\n  e") == 'a\'b "c" - d e'


def test_a_quote_not_in_the_source_is_reported(tmp_path):
    path = write_set(tmp_path, with_question(quote="the slow red fox"))
    assert problems_for(path, texts_dir=texts(tmp_path)) == [
        f"{path}: will-it: quote: not found verbatim in 'doc'"
    ]


def test_a_copy_with_another_hash_is_refused(tmp_path):
    path = write_set(tmp_path)
    copies = texts(tmp_path, TEXT + "tampered")
    (problem,) = problems_for(path, texts_dir=copies)
    assert "sha256" in problem and "refusing it" in problem


def test_a_missing_copy_is_reported(tmp_path):
    path = write_set(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    problems = problems_for(path, texts_dir=empty)
    assert problems and all("no copy of 'doc'" in p for p in problems)


# Every kind of problem ----------------------------------------------------------------------


def test_malformed_yaml_names_the_line(tmp_path):
    path = write_set(tmp_path, "id: a-set\nsections: [\n  - oops: {\n")
    (problem,) = problems_for(path)
    assert problem.startswith(f"{path}: -: line ")
    assert "malformed YAML" in problem


def test_a_repeated_yaml_key_is_not_silently_dropped(tmp_path):
    text = yaml.safe_dump(SET) + "title: Again\n"
    (problem,) = problems_for(write_set(tmp_path, text))
    assert "duplicate key 'title'" in problem


def test_duplicate_question_ids_within_and_across_files(tmp_path):
    data = copy.deepcopy(SET)
    data["sections"][0]["questions"][1]["id"] = "will-it"
    path = write_set(tmp_path, data)
    other = copy.deepcopy(SET)
    other["id"] = "b-set"
    write_set(tmp_path, other, name="b-set.yaml")
    problems = problems_for(tmp_path)
    assert f"{path}: will-it: id: duplicate question id (also in {path})" in problems
    assert any(p.startswith(f"{tmp_path / 'b-set.yaml'}: will-it: id: duplicate") for p in problems)


def test_unknown_fields_are_errors_at_every_level(tmp_path):
    data = with_question(resolve_date="2027-01-01")
    data["sections"][0]["colour"] = "red"
    data["owner"] = "me"
    problems = problems_for(write_set(tmp_path, data))
    assert any(": will-it: resolve_date: unknown field in a binary question" in p for p in problems)
    assert any(": -: colour: unknown field in section 1" in p for p in problems)
    assert any(": -: owner: unknown field in a question set" in p for p in problems)


def test_a_field_of_another_kind_is_unknown(tmp_path):
    problems = problems_for(write_set(tmp_path, with_question(unit="allies")))
    assert any("will-it: unit: unknown field in a binary question" in p for p in problems)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.2])
def test_probabilities_outside_zero_one_are_refused(tmp_path, level):
    data = with_question(quantity=True, quantiles=[level, 0.5, 0.95])
    (problem,) = problems_for(write_set(tmp_path, data))
    assert (
        f"how-many: quantiles: {level!r} is not a probability strictly between 0 and 1" in problem
    )


def test_quantiles_must_increase(tmp_path):
    (problem,) = problems_for(
        write_set(tmp_path, with_question(quantity=True, quantiles=[0.5, 0.05, 0.95]))
    )
    assert "how-many: quantiles: [0.5, 0.05, 0.95] must be strictly increasing" in problem


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"realization": 40}, "how-many: realization: 40 is above upper_bound 32"),
        ({"realization": -1}, "how-many: realization: -1 is below lower_bound 0"),
        ({"lower_bound": 50}, "how-many: lower_bound: 50 must be below upper_bound 32"),
        ({"scale": "log"}, "how-many: lower_bound: 0 must be positive on a log scale"),
        ({"scale": "cubic"}, "how-many: scale: 'cubic' is not linear or log"),
        ({"calibration": None}, "how-many: realization: is only allowed on a calibration question"),
        ({"unit": None}, "how-many: unit: is required"),
        (
            {"resolution_criterion": "The realization is 23 (allies)."},
            "how-many: resolution_criterion: gives away the realization 23 to experts",
        ),
        (
            {"title": "Of 32 allies (23 in 2024), how many?"},
            "how-many: title: gives away the realization 23 to experts",
        ),
        (
            {"realization": 12345, "upper_bound": 99999, "background": "About 12,345 in all."},
            "how-many: background: gives away the realization 12345 to experts",
        ),
    ],
)
def test_quantity_rules(tmp_path, changes, expected):
    problems = problems_for(write_set(tmp_path, with_question(quantity=True, **changes)))
    assert any(expected in p for p in problems), problems


def test_a_realization_inside_other_numbers_is_not_a_give_away(tmp_path):
    question = with_question(
        quantity=True, title="How many of 32 allies spent 2% in 2023 or 230 days later?"
    )
    sets, _ = question_sets.load(write_set(tmp_path, question))
    assert sets[0].questions[1].realization == 23


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"source": "elsewhere"}, "will-it: source: unknown source 'elsewhere'"),
        ({"kind": "poll"}, "will-it: kind: 'poll' is not one of binary, binary_interval, quantity"),
        ({"close_date": "2028-01-01"}, "will-it: close_date: must not be after resolve_by"),
        ({"resolve_by": "soon"}, "will-it: resolve_by: 'soon' is not a date"),
        ({"title": None}, "will-it: title: is required"),
        ({"resolution_criterion": " "}, "will-it: resolution_criterion: must be non-empty text"),
        ({"tags": []}, "will-it: tags: must be a non-empty list"),
        ({"calibration": True, "realization": 0.4}, "will-it: realization: 0.4 must be 0 or 1"),
        ({"allow_certainty": "yes"}, "will-it: allow_certainty: must be true or false"),
        ({"id": "Bad Id"}, "'Bad Id' must be 3-80 lower-case letters"),
    ],
)
def test_question_rules(tmp_path, changes, expected):
    problems = problems_for(write_set(tmp_path, with_question(**changes)))
    assert any(expected in p for p in problems), problems


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    data = with_question(source="elsewhere", tags="Ukraine")
    data["sections"][0]["questions"][1]["quantiles"] = [0.9, 0.1]
    problems = problems_for(write_set(tmp_path, data))
    assert len(problems) == 3


def test_bad_source_files_are_reported(tmp_path):
    path = write_set(tmp_path, source={**SOURCE, "sha256": "abc", "published": "someday"})
    problems = problems_for(path)
    assert any("doc.yaml: -: sha256: must be 64 lower-case hex digits" in p for p in problems)
    assert any("doc.yaml: -: published: 'someday' is not a date" in p for p in problems)


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("realization", "realization: " + "9" * 400, "realization: 999"),
        (
            "close_date",
            "close_date: 2027-01-31 10:00:00",
            "close_date: datetime.datetime(2027, 1, 31",
        ),
        ("close_date", "close_date: 2027-02-30", "malformed YAML: day is out of range"),
        (None, "? [a, b]\n    : 1", "a key must be a plain value, not list"),
        ("unit", "unit: " + "u" * 81, "unit: must be at most 80 characters"),
    ],
)
def test_odd_values_are_reported_not_crashed_on(tmp_path, field, text, expected):
    data = yaml.safe_dump(with_question(quantity=True, **({field: None} if field else {})))
    marker = "  - calibration: true\n"
    assert marker in data
    data = data.replace(marker, marker + "    " + text + "\n")
    problems = problems_for(write_set(tmp_path, data))
    assert any(expected in p for p in problems), problems


def test_quote_problems_are_reported_alongside_other_problems(tmp_path):
    data = with_question(quote="words that are not there")
    data["sections"][0]["questions"][1]["tags"] = []
    problems = problems_for(write_set(tmp_path, data), texts_dir=texts(tmp_path))
    assert any("will-it: quote: not found verbatim" in p for p in problems)
    assert any("how-many: tags:" in p for p in problems)


def test_empty_file_and_missing_path(tmp_path):
    assert problems_for(write_set(tmp_path, "")) == [
        f"{tmp_path / 'a-set.yaml'}: -: -: the file is empty"
    ]
    assert "no such file or folder" in problems_for(tmp_path / "nope.yaml")[0]
