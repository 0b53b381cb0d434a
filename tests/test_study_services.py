"""The study services behind the console: create, choose questions, clone, archive, edit, withdraw.

Every rule and every refusal, on the services themselves; the pages are in
tests/test_new_study.py and tests/test_study_pages.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from elicit import PROJECT_ROOT
from elicit.accounts.models import Role
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.judgments.models import Judgment
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, create_round, open_next_round, round_questions
from elicit.studies import question_sets
from elicit.studies.editing import (
    FieldError,
    QuestionFields,
    add_corrected_question,
    edit_question,
    first_asked_in,
    withdraw_question,
)
from elicit.studies.models import Anonymity, Question, QuestionKind, Scale, Study
from elicit.studies.services import (
    archive_study,
    clone_study,
    create_study,
    import_question_sets,
    set_anonymity,
    unarchive_study,
)
from tests import factories

BUNDLED = PROJECT_ROOT / "question_sets"
TODAY = date(2026, 12, 5)


def actions(session) -> list[str]:
    """Every audit entry's action, oldest first."""
    return list(session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def owner(session):
    return factories.user(session)


@pytest.fixture
def study(session, owner):
    study = factories.study(session, owner=owner)
    factories.question(session, study, "q1")
    factories.question(session, study, "q2", kind=QuestionKind.QUANTITY, lower_bound=0.0)
    factories.expert(session, study, "Zelkova")
    return study


def fields_of(question, **changes) -> QuestionFields:
    return replace(QuestionFields.of(question), **changes)


# Creating a study and choosing its questions


def test_create_study_stores_description_anonymity_and_time_zone(session, owner):
    study = create_study(
        session,
        slug="new-one",
        title="  New one ",
        owner=owner,
        description=" Read me. ",
        anonymity=Anonymity.ANONYMOUS_TO_STAFF,
        time_zone="Europe/Warsaw",
    )
    assert (study.title, study.description) == ("New one", "Read me.")
    assert study.anonymity is Anonymity.ANONYMOUS_TO_STAFF
    assert study.time_zone == "Europe/Warsaw"
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "study.create")).one()
    after = {"anonymity": "anonymous_to_staff", "time_zone": "Europe/Warsaw"}
    assert event.details["after"] == after


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"slug": "No Caps"}, "invalid_slug"),
        ({"title": "x" * 201}, "invalid_title"),
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone"),
        ({"time_zone": "../etc/passwd"}, "invalid_time_zone"),
        ({"slug": "study"}, "duplicate_study"),
    ],
)
def test_create_study_refuses_bad_settings(session, study, owner, changes, code):
    settings = {"slug": "fresh", "title": "T", "owner": owner} | changes
    with pytest.raises(DomainError) as refused:
        create_study(session, **settings)
    assert refused.value.code == code


def test_an_analyst_cannot_own_a_study(session):
    analyst = factories.user(session, "an@example.org", role=Role.ANALYST)
    with pytest.raises(DomainError, match="cannot own a study"):
        create_study(session, slug="theirs", title="T", owner=analyst)


def test_import_adds_only_the_chosen_questions_in_file_order(session, owner):
    sets, sources = question_sets.load(BUNDLED)
    keys = [q.key for s in sets for q in s.questions]
    study = factories.study(session, owner=owner, slug="chosen")
    chosen = {keys[5], keys[0], keys[-1]}
    added = import_question_sets(session, study, sets, sources, actor=owner, only=chosen)
    assert [q.key for q in added] == [k for k in keys if k in chosen]
    assert [q.position for q in added] == [1, 2, 3]
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "questions.import"))
    assert event.one().details["left_out"] == sorted(set(keys) - chosen)


@pytest.mark.parametrize(
    ("only", "code"), [(set(), "no_questions"), ({"nope"}, "unknown_question")]
)
def test_import_refuses_an_empty_or_unknown_choice(session, owner, only, code):
    sets, sources = question_sets.load(BUNDLED)
    study = factories.study(session, owner=owner, slug="chosen")
    with pytest.raises(DomainError) as refused:
        import_question_sets(session, study, sets, sources, only=only)
    assert refused.value.code == code
    assert study.questions == []


def test_questions_imported_once_rounds_opened_wait_for_the_next_round(session, study):
    round_1 = open_next_round(session, study)
    sets, sources = question_sets.load(BUNDLED)
    key = sets[0].questions[0].key
    (added,) = import_question_sets(session, study, sets, sources, only={key})
    assert added.first_round == 2
    assert key not in [q.key for q in round_questions(session, round_1, TODAY)]
    close_round(session, round_1)
    round_2 = open_next_round(session, study)
    assert key in [q.key for q in round_questions(session, round_2, TODAY)]


# Cloning


def test_clone_copies_settings_and_questions_but_no_panel_rounds_or_answers(session, study, owner):
    study.description = "About the study."
    study.feedback_min_answers = 5
    study.hide_feedback_until_answered = True
    study.time_zone = "Europe/Warsaw"
    set_anonymity(session, study, Anonymity.ANONYMOUS_TO_STAFF)
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@x.test")
    round_ = open_next_round(session, study)
    record_judgment(session, expert, study.questions[0], round_, Answer(probability=0.4))
    co = factories.user(session, "co@example.org")

    clone = clone_study(session, study, slug="study-copy", title="Copy", actor=co)

    assert (clone.slug, clone.title, clone.owner) == ("study-copy", "Copy", co)
    assert clone.description == "About the study."
    assert (clone.feedback_min_answers, clone.hide_feedback_until_answered) == (5, True)
    assert (clone.anonymity, clone.time_zone) == (Anonymity.ANONYMOUS_TO_STAFF, "Europe/Warsaw")
    assert [q.key for q in clone.questions] == ["q1", "q2"]
    copied = clone.questions[1]
    assert (copied.unit, copied.quantiles, copied.lower_bound) == ("units", [0.05, 0.5, 0.95], 0)
    assert copied.id != study.questions[1].id and copied.first_round == 1
    assert clone.experts == [] and clone.rounds == []
    count = sa.select(sa.func.count()).select_from(Judgment)
    assert session.scalar(count.join(Question).where(Question.study_id == clone.id)) == 0
    assert len(study.questions) == 2 and len(study.experts) == 2
    assert actions(session)[-1] == "study.clone"


def test_clone_leaves_out_withdrawn_questions_and_may_copy_an_archived_study(session, study):
    withdraw_question(session, study.questions[0], "Ambiguous.")
    archive_study(session, study)
    clone = clone_study(session, study, slug="again", title="Again", actor=study.owner)
    assert [q.key for q in clone.questions] == ["q2"]
    assert [q.position for q in clone.questions] == [1]
    assert clone.archived_at is None


def test_clone_refuses_a_taken_slug(session, study):
    with pytest.raises(DomainError) as refused:
        clone_study(session, study, slug="study", title="Same", actor=study.owner)
    assert refused.value.code == "duplicate_study"


# Archiving


def test_archive_makes_the_study_read_only_until_unarchived(session, study):
    archive_study(session, study)
    assert study.archived_at is not None
    question = study.questions[0]
    refusals = [
        lambda: set_anonymity(session, study, Anonymity.ANONYMOUS_TO_STAFF),
        lambda: edit_question(session, question, fields_of(question, title="New?")),
        lambda: withdraw_question(session, question, "Reason."),
        lambda: archive_study(session, study),
        lambda: import_question_sets(session, study, *question_sets.load(BUNDLED)),
    ]
    for refused_call in refusals:
        with pytest.raises(DomainError) as refused:
            refused_call()
        assert refused.value.code == "archived"
        assert "archived" in refused.value.message
    unarchive_study(session, study)
    assert study.archived_at is None
    edit_question(session, question, fields_of(question, title="New?"))
    assert question.title == "New?"
    assert actions(session)[-3:] == ["study.archive", "study.unarchive", "question.edit"]


def test_archive_is_refused_while_a_round_is_open_and_unarchive_when_not_archived(session, study):
    open_next_round(session, study)
    with pytest.raises(DomainError) as refused:
        archive_study(session, study)
    assert refused.value.code == "round_open"
    assert study.archived_at is None
    with pytest.raises(DomainError) as refused:
        unarchive_study(session, study)
    assert refused.value.code == "not_archived"


# Editing before a question is asked


def test_edit_changes_a_draft_question_and_audits_before_and_after(session, study, owner):
    question = study.questions[1]
    values = fields_of(
        question,
        title="How many now?",
        close_date=date(2027, 2, 1),
        quantiles=[0.1, 0.5, 0.9],
        upper_bound=100.0,
        scale=Scale.LOG,
        lower_bound=1.0,
    )
    edit_question(session, question, values, actor=owner)
    session.expire_all()
    assert QuestionFields.of(question) == values
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "question.edit")).one()
    assert event.actor_id == owner.id and event.target == "q2"
    assert event.details["before"]["title"] == "Will it?"
    assert event.details["after"]["close_date"] == "2027-02-01"
    assert event.details["after"]["scale"] == "log"
    assert "resolution_source" not in event.details["after"]


@pytest.mark.parametrize(
    ("key", "changes", "field"),
    [
        ("q1", {"title": "  "}, "title"),
        ("q1", {"resolution_criterion": ""}, "resolution_criterion"),
        ("q1", {"resolution_source": ""}, "resolution_source"),
        ("q1", {"close_date": date(2028, 1, 1)}, "close_date"),
        ("q1", {"unit": "units"}, "unit"),
        ("q2", {"unit": " "}, "unit"),
        ("q2", {"unit": "u" * 81}, "unit"),
        ("q2", {"quantiles": [0.5]}, "quantiles"),
        ("q2", {"quantiles": [0.5, 0.2]}, "quantiles"),
        ("q2", {"quantiles": [0.0, 0.5]}, "quantiles"),
        ("q2", {"scale": None}, "scale"),
        ("q2", {"lower_bound": 5.0, "upper_bound": 5.0}, "lower_bound"),
        ("q2", {"lower_bound": 0.0, "scale": Scale.LOG}, "lower_bound"),
        ("q2", {"allow_certainty": True}, "allow_certainty"),
    ],
)
def test_edit_refuses_each_bad_value_naming_its_field(session, study, key, changes, field):
    question = next(q for q in study.questions if q.key == key)
    before = QuestionFields.of(question)
    with pytest.raises(FieldError) as refused:
        edit_question(session, question, fields_of(question, **changes))
    assert refused.value.field == field
    session.expire_all()
    assert QuestionFields.of(question) == before


def test_edit_refuses_a_text_that_gives_away_a_calibration_answer(session, study):
    question = factories.question(
        session, study, "seed", kind=QuestionKind.QUANTITY, calibration=True, realization=696.0
    )
    with pytest.raises(FieldError) as refused:
        edit_question(session, question, fields_of(question, background="It was 696 last year."))
    assert refused.value.field == "background"
    with pytest.raises(FieldError) as refused:
        edit_question(session, question, fields_of(question, upper_bound=600.0))
    assert refused.value.field == "lower_bound"


def test_once_its_first_round_opened_a_question_cannot_be_edited(session, study):
    question = study.questions[0]
    assert first_asked_in(question) is None
    round_1 = open_next_round(session, study)
    assert first_asked_in(question) == 1
    with pytest.raises(DomainError) as refused:
        edit_question(session, question, fields_of(question, title="Changed?"))
    assert refused.value.code == "question_asked"
    assert "withdraw it" in refused.value.message
    close_round(session, round_1)
    with pytest.raises(DomainError):
        edit_question(session, question, fields_of(question, title="Changed?"))
    session.expire_all()
    assert question.title == "Will it?"


def test_a_draft_round_does_not_stop_editing(session, study):
    create_round(session, study)
    question = study.questions[0]
    edit_question(session, question, fields_of(question, title="Still editable?"))
    assert question.title == "Still editable?"


# Withdrawing and correcting once asked


def test_withdraw_keeps_the_answers_and_stops_asking_the_question(session, study, owner):
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@x.test")
    round_1 = open_next_round(session, study)
    question = study.questions[0]
    record_judgment(session, expert, question, round_1, Answer(probability=0.4))
    withdraw_question(session, question, "  The wording was ambiguous. ", actor=owner)
    assert question.withdrawn_reason == "The wording was ambiguous."
    assert question.withdrawn_at is not None
    assert [q.key for q in round_questions(session, round_1, TODAY)] == ["q2"]
    close_round(session, round_1)
    round_2 = open_next_round(session, study)
    assert [q.key for q in round_questions(session, round_2, TODAY)] == ["q2"]
    kept = session.scalars(sa.select(Judgment).where(Judgment.question_id == question.id))
    assert [j.probability for j in kept] == [0.4]
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "question.withdraw"))
    assert event.one().details == {"reason": "The wording was ambiguous.", "asked_in": 1}


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_withdraw_needs_a_reason(session, study, reason):
    question = study.questions[0]
    with pytest.raises(FieldError) as refused:
        withdraw_question(session, question, reason)
    assert refused.value.field == "reason"
    assert question.withdrawn_at is None


def test_a_withdrawn_question_cannot_be_withdrawn_again_or_edited(session, study):
    question = study.questions[0]
    withdraw_question(session, question, "Duplicate of q2.")
    for refused_call in (
        lambda: withdraw_question(session, question, "Again."),
        lambda: edit_question(session, question, fields_of(question, title="Back?")),
    ):
        with pytest.raises(DomainError) as refused:
            refused_call()
        assert refused.value.code == "withdrawn"
    assert question.withdrawn_reason == "Duplicate of q2."


def test_a_corrected_question_follows_the_original_and_is_asked_from_the_next_round(
    session, study, owner
):
    round_1 = open_next_round(session, study)
    original = study.questions[0]
    values = fields_of(original, title="Will it, by the end of 2027?")
    withdraw_question(session, original, "Needed a deadline.")
    corrected = add_corrected_question(session, original, "q1-v2", values, actor=owner)
    session.expire_all()
    assert [(q.key, q.position) for q in study.questions] == [("q1", 1), ("q1-v2", 2), ("q2", 3)]
    assert corrected.first_round == 2 and corrected.kind is original.kind
    assert (corrected.source_id, corrected.section) == (original.source_id, original.section)
    assert corrected.title == "Will it, by the end of 2027?"
    assert [q.key for q in round_questions(session, round_1, TODAY)] == ["q2"]
    close_round(session, round_1)
    round_2 = open_next_round(session, study)
    assert [q.key for q in round_questions(session, round_2, TODAY)] == ["q1-v2", "q2"]
    assert actions(session)[-5:-3] == ["question.withdraw", "question.add"]


def test_a_corrected_question_can_be_edited_until_its_own_first_round_opens(session, study):
    open_next_round(session, study)
    original = study.questions[0]
    corrected = add_corrected_question(session, original, "q1-v2", fields_of(original))
    assert first_asked_in(corrected) is None
    edit_question(session, corrected, fields_of(corrected, title="Better?"))
    assert corrected.title == "Better?"


def test_adding_a_correction_is_refused_before_the_question_is_asked(session, study):
    original = study.questions[0]
    with pytest.raises(DomainError) as refused:
        add_corrected_question(session, original, "q1-v2", fields_of(original))
    assert refused.value.code == "not_asked"
    assert len(study.questions) == 2


@pytest.mark.parametrize(
    ("key", "changes", "field"),
    [
        ("Bad Key", {}, "key"),
        ("q2", {}, "key"),
        ("q1-v2", {"title": ""}, "title"),
    ],
)
def test_adding_a_correction_refuses_a_bad_key_or_value(session, study, key, changes, field):
    open_next_round(session, study)
    original = study.questions[0]
    with pytest.raises(FieldError) as refused:
        add_corrected_question(session, original, key, fields_of(original, **changes))
    assert refused.value.field == field
    session.expire_all()
    assert [(q.key, q.position) for q in study.questions] == [("q1", 1), ("q2", 2)]


def test_a_refused_service_leaves_the_study_as_it_was(session, study):
    before = session.scalar(sa.select(sa.func.count()).select_from(Study))
    with pytest.raises(DomainError):
        clone_study(session, study, slug="BAD", title="x", actor=study.owner)
    assert session.scalar(sa.select(sa.func.count()).select_from(Study)) == before
