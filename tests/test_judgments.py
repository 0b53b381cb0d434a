"""Recording judgments: one per (expert, question, round), values checked by kind."""

import json

import pytest
import sqlalchemy as sa

from elicit.errors import DomainError
from elicit.judgments import parsing
from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.judgments.rules import Answer, AnswerErrors, check_answer
from elicit.judgments.submission import (
    drafts_of,
    read_answer,
    record_judgment,
    save_drafts,
    submit_round,
)
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.models import QuestionKind, Scale
from tests import factories
from tests.test_answer_page_cost import Statements

CERTAINTY_REFUSED = (
    "100% is outside the allowed range: 1% to 99% (this question does not allow certainty)."
)


@pytest.fixture
def setting(session):
    study = factories.study(session)
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@example.org")
    round_ = create_round(session, study)
    open_round(session, round_)
    return study, expert, round_


def test_a_second_answer_revises_the_same_row(session, setting):
    study, expert, round_ = setting
    question = factories.question(session, study)
    first = record_judgment(
        session, expert, question, round_, Answer(probability=0.3, rationale=" why ")
    )
    second = record_judgment(
        session, expert, question, round_, Answer(probability=0.4, confidence=3)
    )
    assert first is second
    assert (second.probability, second.revision, second.rationale, second.confidence) == (
        0.4,
        2,
        "",
        3,
    )
    assert second.updated_at >= second.created_at
    assert session.scalar(sa.select(sa.func.count()).select_from(Judgment)) == 1


def test_saving_drafts_again_updates_them_in_place_and_removes_what_matches_the_record(
    session, setting
):
    study, expert, round_ = setting
    first, second, third = (factories.question(session, study, key=k) for k in "abc")
    save_drafts(
        session,
        expert,
        round_,
        {
            first.id: {"probability": "30"},
            second.id: {"probability": "4O"},
            third.id: {"probability": "45"},
        },
    )
    before = drafts_of(session, expert, round_)
    recorded = record_judgment(session, expert, third, round_, Answer(probability=0.5))
    save_drafts(
        session,
        expert,
        round_,
        {
            first.id: {"probability": "35", "rationale": "moved"},
            second.id: {"probability": ""},  # blank: nothing unsubmitted to keep
            third.id: parsing.raw_from_values(third, recorded),  # shows what is recorded
        },
    )
    after = drafts_of(session, expert, round_)
    assert list(after) == [first.id]
    assert after[first.id].id == before[first.id].id
    assert after[first.id].fields["probability"] == "35"
    assert after[first.id].fields["rationale"] == "moved"
    assert session.scalar(sa.select(sa.func.count()).select_from(JudgmentDraft)) == 1


def test_submitting_some_questions_drops_their_drafts_and_keeps_the_others(session, setting):
    """A submission removes the drafts of the questions it was sent, and only those.

    On PostgreSQL the delete runs inside the read of the recorded judgments,
    its questions given as one array; the other questions' drafts, and the
    other experts' drafts of the same questions, stay.
    """
    study, expert, round_ = setting
    other = add_expert(session, study, pseudonym="Birch", name="B", email="b@example.org")
    sent, blank, unsent = (factories.question(session, study, key=k) for k in "abc")
    typed = {sent.id: {"probability": "31"}, blank.id: {"probability": "32"}}
    save_drafts(session, expert, round_, {**typed, unsent.id: {"probability": "33"}})
    save_drafts(session, other, round_, typed)
    result = submit_round(
        session, expert, round_, {sent.id: {"probability": "40"}, blank.id: {"probability": ""}}
    )
    assert not result.errors and len(result.recorded) == 1
    assert list(drafts_of(session, expert, round_)) == [unsent.id]
    assert drafts_of(session, expert, round_)[unsent.id].fields["probability"] == "33"
    assert sorted(drafts_of(session, other, round_)) == sorted(typed)


def test_answers_are_taken_only_for_the_questions_the_caller_read_under_the_lock(session, setting):
    """``asked`` is what the round asks, read once the write lock was held: trusted, not re-read.

    A question withdrawn while a post waited for the lock is the views' to
    handle (tests/test_locking.py); here, an answer to a question outside
    ``asked`` is refused, and the questions are not read again.
    """
    study, expert, round_ = setting
    kept, other = (factories.question(session, study, key=k) for k in "ab")
    with pytest.raises(DomainError) as refused:
        save_drafts(
            session, expert, round_, {other.id: {"probability": "30"}}, asked={kept.id: kept}
        )
    assert refused.value.code == "unknown_question"
    with Statements() as statements:
        save_drafts(
            session, expert, round_, {kept.id: {"probability": "30"}}, asked={kept.id: kept}
        )
    assert not [s for s in statements if "FROM questions" in s]
    assert list(drafts_of(session, expert, round_)) == [kept.id]


def test_the_database_refuses_a_duplicate_judgment(session, setting):
    study, expert, round_ = setting
    question = factories.question(session, study)
    session.add_all(
        [
            Judgment(expert=expert, question=question, round=round_, probability=0.2),
            Judgment(expert=expert, question=question, round=round_, probability=0.3),
        ]
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_the_same_question_can_be_answered_again_in_the_next_round(session, setting):
    study, expert, round_ = setting
    question = factories.question(session, study)
    record_judgment(session, expert, question, round_, Answer(probability=0.3))
    close_round(session, round_)
    later = create_round(session, study)
    open_round(session, later)
    assert record_judgment(session, expert, question, later, Answer(probability=0.5)).revision == 1


def test_a_closed_round_takes_no_answers(session, setting):
    study, expert, round_ = setting
    question = factories.question(session, study)
    close_round(session, round_)
    with pytest.raises(DomainError, match="Round 1 is not open, so no answer can be") as caught:
        record_judgment(session, expert, question, round_, Answer(probability=0.3))
    assert caught.value.code == "round_not_open"


def test_an_expert_cannot_answer_another_studys_question(session, setting):
    study, expert, round_ = setting
    other = factories.study(session, study.owner, slug="other")
    question = factories.question(session, other)
    with pytest.raises(DomainError) as caught:
        record_judgment(session, expert, question, round_, Answer(probability=0.3))
    assert caught.value.code == "wrong_study"


@pytest.mark.parametrize(
    ("kind", "fields", "answer", "errors"),
    [
        (QuestionKind.BINARY, {}, Answer(), {"probability": "A value is required."}),
        (
            QuestionKind.BINARY,
            {},
            Answer(probability=1.0),
            {"probability": CERTAINTY_REFUSED},
        ),
        (QuestionKind.BINARY, {"allow_certainty": True}, Answer(probability=1.0), {}),
        (
            QuestionKind.BINARY,
            {"allow_certainty": True},
            Answer(probability=1.2),
            {"probability": "120% is outside the allowed range: 0% to 100%."},
        ),
        (
            QuestionKind.BINARY,
            {},
            Answer(probability=float("nan")),
            {"probability": "Enter a number."},
        ),
        (
            QuestionKind.BINARY,
            {},
            Answer(probability=0.5, confidence=6),
            {"confidence": "Confidence 6 is outside the allowed range: 1 to 5."},
        ),
        (
            QuestionKind.BINARY,
            {},
            Answer(probability=0.5, rationale="x" * 10_001),
            {"rationale": "Keep the rationale to at most 10,000 characters."},
        ),
        (QuestionKind.BINARY_INTERVAL, {}, Answer(lower=0.2, probability=0.3, upper=0.5), {}),
        (
            QuestionKind.BINARY_INTERVAL,
            {},
            Answer(lower=0.4, probability=0.3, upper=0.5),
            {"probability": "The best estimate must lie between the lower and upper values."},
        ),
        (
            QuestionKind.BINARY_INTERVAL,
            {},
            Answer(probability=0.3, upper=0.5),
            {"lower": "A value is required."},
        ),
        (QuestionKind.QUANTITY, {}, Answer(quantile_values=[1, 2, 3]), {}),
        (
            QuestionKind.QUANTITY,
            {},
            Answer(quantile_values=[1, 2]),
            {"quantile_values": "Give exactly 3 values, one per percentile."},
        ),
        (
            QuestionKind.QUANTITY,
            {},
            Answer(quantile_values=[1, 1, 3]),
            {"quantile_values": "Each percentile must be larger than the one before."},
        ),
        (
            QuestionKind.QUANTITY,
            {"lower_bound": 0.0},
            Answer(quantile_values=[-1, 1, 3]),
            {"quantile_values": "-1 is below the lowest allowed value, 0\xa0units."},
        ),
        (
            QuestionKind.QUANTITY,
            {"upper_bound": 32.0},
            Answer(quantile_values=[1, 2, 33]),
            {"quantile_values": "33 is above the highest allowed value, 32\xa0units."},
        ),
        (
            QuestionKind.QUANTITY,
            {"scale": Scale.LOG},
            Answer(quantile_values=[0, 2, 3]),
            {
                "quantile_values": "0 is not allowed: on this question's logarithmic scale "
                "every value must be above 0."
            },
        ),
        (
            QuestionKind.QUANTITY,
            {},
            Answer(quantile_values=[1, 2, 1.79e308]),
            {
                "quantile_values": "1.79E308 is too large: every value must be smaller than "
                "1E15 in size."
            },
        ),
        (
            QuestionKind.QUANTITY,
            {},
            Answer(quantile_values=[1, float("inf"), 3]),
            {"quantile_values": "Every percentile must be a number."},
        ),
    ],
)
def test_answer_rules(session, setting, kind, fields, answer, errors):
    study, expert, round_ = setting
    question = factories.question(session, study, kind=kind, **fields)
    assert check_answer(question, answer) == errors
    if errors:
        with pytest.raises(AnswerErrors) as caught:
            record_judgment(session, expert, question, round_, answer)
        assert caught.value.fields == errors
        assert session.scalar(sa.select(sa.func.count()).select_from(Judgment)) == 0
    else:
        assert record_judgment(session, expert, question, round_, answer).id is not None


def test_the_database_checks_probabilities_too(session, setting):
    study, expert, round_ = setting
    question = factories.question(session, study)
    session.add(Judgment(expert=expert, question=question, round=round_, probability=1.5))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


# An out-of-range value is named as typed, beside the allowed range.


@pytest.mark.parametrize(
    ("fields", "typed", "message"),
    [
        (
            {},
            "150",
            "150% is outside the allowed range: 1% to 99% "
            "(this question does not allow certainty).",
        ),
        (
            {},
            "0",
            "0% is outside the allowed range: 1% to 99% (this question does not allow certainty).",
        ),
        (
            {},
            "0,5",
            "0.5% is outside the allowed range: 1% to 99% "
            "(this question does not allow certainty).",
        ),
        ({"allow_certainty": True}, "-5", "-5% is outside the allowed range: 0% to 100%."),
        ({"allow_certainty": True}, "100.25%", "100.25% is outside the allowed range: 0% to 100%."),
    ],
)
def test_an_out_of_range_probability_names_the_value_and_the_range(
    session, setting, fields, typed, message
):
    study, _, _ = setting
    question = factories.question(session, study, **fields)
    assert read_answer(question, {"probability": typed}) == (None, {"probability": message})


@pytest.mark.parametrize(
    ("bounds", "typed", "message"),
    [
        ({"lower_bound": 0.0}, ["-5", "1", "2"], "-5 is below the lowest allowed value, 0 people."),
        (
            {"upper_bound": 1_500_000.0},
            ["1", "2", "2 000 000,5"],
            "2,000,000.5 is above the highest allowed value, 1,500,000 people.",
        ),
    ],
)
def test_a_quantity_outside_its_bounds_names_the_value_and_the_bound(
    session, setting, bounds, typed, message
):
    study, _, _ = setting
    question = factories.question(
        session, study, kind=QuestionKind.QUANTITY, unit="people", **bounds
    )
    errors = read_answer(question, {"quantile_values": typed})[1]
    assert errors == {"quantile_values": message.replace(" people", "\xa0people")}


def test_a_round_is_stored_as_record_judgment_stores_each_answer(session, setting):
    """Submitting writes rows in bulk (on PostgreSQL one statement from JSON): the same rows.

    A second expert's answers go in one by one through :func:`record_judgment`
    (ORM objects); the stored columns and revisions must read the same, a
    missing value as the same kind of null, a resubmission raising only the
    changed answer's revision.
    """
    study, expert, round_ = setting
    other = add_expert(session, study, pseudonym="Other", name="O", email="other@example.org")
    binary = factories.question(session, study, key="b")
    quantity = factories.question(session, study, key="q", kind=QuestionKind.QUANTITY)
    first = {
        binary.id: {**parsing.empty_raw(binary), "probability": "30", "rationale": " why "},
        quantity.id: {
            **parsing.empty_raw(quantity),
            "quantile_values": ["1", "2.5", "4"],
            "confidence": "4",
        },
    }
    second = {**first, binary.id: {**first[binary.id], "probability": "35"}}
    third = {**second, quantity.id: {**first[quantity.id], "quantile_values": ["1", "3", "4"]}}
    for raw_answers in (first, second, third):
        result = submit_round(session, expert, round_, raw_answers)
        assert not result.errors
        for question in (binary, quantity):
            answer, errors = read_answer(question, raw_answers[question.id])
            assert not errors
            record_judgment(session, other, question, round_, answer)
        assert (len(result.recorded), len(result.unchanged)) == (
            (2, 0) if raw_answers is first else (1, 1)
        )
    session.flush()
    rows = session.execute(
        sa.text(
            "SELECT j.expert_id, j.question_id, r.revision, CAST(r.quantile_values AS TEXT),"
            " r.quantile_values IS NULL, r.probability, r.lower IS NULL, r.confidence,"
            " r.rationale, j.revision, CAST(j.quantile_values AS TEXT), j.probability"
            " FROM judgment_revisions r JOIN judgments j ON j.id = r.judgment_id"
        )
    ).all()
    by_expert = {
        who: sorted(tuple(row[1:]) for row in rows if row[0] == who)
        for who in (expert.id, other.id)
    }
    assert by_expert[expert.id] == by_expert[other.id]
    assert len(by_expert[expert.id]) == 4
    assert (binary.id, 2, "null", False, 0.35, True, None, "why", 2, "null", 0.35) in by_expert[
        expert.id
    ]
    changed = [row for row in by_expert[expert.id] if row[:2] == (quantity.id, 2)]
    assert len(changed) == 1 and json.loads(changed[0][2]) == [1.0, 3.0, 4.0]
    times = session.execute(
        sa.text(
            "SELECT r.recorded_at, j.updated_at FROM judgment_revisions r"
            " JOIN judgments j ON j.id = r.judgment_id AND j.revision = r.revision"
        )
    ).all()
    assert len(times) == 4 and all(recorded == updated for recorded, updated in times)
