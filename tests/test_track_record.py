"""Track records through the service and the page: no look-ahead, one pseudonym a person."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.analysis import track_record as service
from elicit.core import trackrecord as tr
from elicit.judgments.models import Judgment
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import Outcome, Resolution
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import login

SECRET = b"test secret"
PEOPLE = {"Alder": "ann@x.test", "Birch": "bob@x.test", "Cedar": "cy@x.test"}


def _study(session, owner, slug, people, questions):
    """A one-round study; ``questions``: (key, {pseudonym: p}, judged at, outcome, resolved on)."""
    study = factories.study(session, owner=owner, slug=slug)
    experts = {
        pseudonym: add_expert(
            session, study, pseudonym=pseudonym, name=f"Name {pseudonym}", email=email
        )
        for pseudonym, email in people.items()
    }
    made = [(factories.question(session, study, key=key), *rest) for key, *rest in questions]
    round_ = open_next_round(session, study)
    for question, answers, judged_at, _, _ in made:
        for pseudonym, p in answers.items():
            record_judgment(session, experts[pseudonym], question, round_, Answer(probability=p))
            judgment = session.scalars(
                sa.select(Judgment).where(
                    Judgment.question_id == question.id,
                    Judgment.expert_id == experts[pseudonym].id,
                )
            ).one()
            judgment.updated_at = judged_at
    close_round(session, round_)
    for question, _, _, outcome, resolved_on in made:
        if outcome is not None:
            session.add(
                Resolution(
                    question=question,
                    outcome=outcome,
                    source="s",
                    resolved_on=resolved_on,
                    resolved_by=owner,
                )
            )
    session.flush()
    return study


def _at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def _history():
    """Alder is right, Cedar wrong on q1 (resolved 2 March); q2 is forecast on 5 March, q3 after."""
    return [
        ("q1", {"Alder": 0.9, "Birch": 0.5, "Cedar": 0.1}, _at(1), Outcome.YES, date(2026, 3, 2)),
        ("q2", {"Alder": 0.8, "Birch": 0.5, "Cedar": 0.2}, _at(5), Outcome.NO, date(2026, 3, 20)),
        ("q3", {"Alder": 0.7, "Birch": 0.6, "Cedar": 0.3}, _at(1), Outcome.YES, date(2026, 3, 10)),
    ]


OAK = [("p1", {"Oak": 0.9}, _at(1), Outcome.YES, date(2026, 3, 2))]


def _forecast(report, key_index, method="track_record_linear"):
    result = report.backtest.result
    return result.forecasts[result.methods.index(method)][key_index]


@pytest.fixture
def owner(session):
    return factories.user(session)


def _set_outcome(session, study, key, outcome):
    question = next(q for q in study.questions if q.key == key)
    question.resolution.outcome = outcome
    session.flush()


def test_an_outcome_resolved_after_a_forecast_never_changes_it(session, owner):
    study = _study(session, owner, "one", PEOPLE, _history())
    weights = dict(minimum=1, shrinkage=0.0)
    before = service.track_record(session, study, owner, secret=SECRET, **weights)
    q2 = 1  # questions are sorted by key
    # q3 resolved on 10 March, after q2's forecasts of 5 March: flipping it changes nothing
    _set_outcome(session, study, "q3", Outcome.NO)
    after = service.track_record(session, study, owner, secret=SECRET, **weights)
    assert _forecast(after, q2) == _forecast(before, q2)
    # q1 resolved before them: it is what weighs q2's forecasts, so flipping it does move them
    _set_outcome(session, study, "q1", Outcome.NO)
    flipped = service.track_record(session, study, owner, secret=SECRET, **weights)
    assert _forecast(flipped, q2) != _forecast(before, q2)
    # Alder (right on q1) pulls q2 towards 0.8; Cedar (right once q1 is flipped) towards 0.2
    equal = _forecast(before, q2, "linear")
    assert _forecast(before, q2) > equal > _forecast(flipped, q2)


def test_a_resolution_counts_only_from_the_end_of_its_day(session, owner):
    history = _history()
    history[1] = ("q2", history[1][1], _at(2, hour=23), Outcome.NO, date(2026, 3, 20))
    study = _study(session, owner, "one", PEOPLE, history)
    report = service.track_record(session, study, owner, secret=SECRET, minimum=1)
    linear = _forecast(report, 1, "linear")
    assert _forecast(report, 1) == pytest.approx(linear)  # q1 resolved "on 2 March": not yet known
    assert report.backtest.record.count.max() == 0


def test_below_the_minimum_the_weighted_pool_is_the_equal_weight_pool(session, owner):
    study = _study(session, owner, "one", PEOPLE, _history())
    report = service.track_record(session, study, owner, secret=SECRET)
    assert report.minimum == tr.DEFAULT_MINIMUM and report.shrinkage == tr.DEFAULT_SHRINKAGE
    assert (report.forecasts, report.recorded) == (9, 0)
    counted = service.track_record(session, study, owner, secret=SECRET, minimum=1)
    assert counted.recorded == 3  # q2's three forecasts, made once q1 had resolved
    result = report.backtest.result
    for name in ("linear", "median", "log_odds"):
        weighted = result.forecasts[result.methods.index(tr.WEIGHTED_PREFIX + name)]
        assert weighted == pytest.approx(result.forecasts[result.methods.index(name)])
    # much shrinkage moves the weighted pool back towards equal weights
    loose = service.track_record(session, study, owner, secret=SECRET, minimum=1, shrinkage=0.0)
    tight = service.track_record(session, study, owner, secret=SECRET, minimum=1, shrinkage=100.0)
    equal = _forecast(loose, 1, "linear")
    assert abs(_forecast(tight, 1) - equal) < abs(_forecast(loose, 1) - equal)


def test_the_same_email_is_one_person_across_the_owners_studies(session, owner):
    first = _study(session, owner, "one", PEOPLE, _history())
    later = [("p1", {"Oak": 0.9, "Pine": 0.4}, _at(1), Outcome.YES, date(2026, 3, 2))]
    second = _study(session, owner, "two", {"Oak": " ANN@x.test ", "Pine": "pat@x.test"}, later)
    report = service.track_record(session, second, owner, secret=SECRET)
    people = {p.pseudonym: p for p in report.people}
    alder = next(
        p
        for p in service.track_record(session, first, owner, secret=SECRET).people
        if p.pseudonym == "Alder"
    )
    assert people["Oak"].person == alder.person
    assert people["Pine"].person != alder.person
    assert (people["Oak"].study_questions, people["Oak"].all_questions) == (1, 4)
    assert people["Oak"].studies == 2 and people["Pine"].studies == 1
    brier = np.mean([(0.9 - 1) ** 2, (0.8 - 0) ** 2, (0.7 - 1) ** 2, (0.9 - 1) ** 2])
    assert people["Oak"].all_brier == pytest.approx(brier)
    # the pseudonym is a keyed hash: readable, stable, and nothing of the address
    assert alder.person == service.person_pseudonym("ann@x.test", SECRET)
    assert alder.person != service.person_pseudonym("ann@x.test", b"another key")
    assert len(alder.person) == 11 and "ann" not in alder.person.lower()


def test_another_owners_study_is_another_person(session, owner):
    _study(session, owner, "one", PEOPLE, _history())
    other = factories.user(session, email="other@example.org")
    theirs = _study(session, other, "two", {"Oak": "ann@x.test"}, OAK)
    (oak,) = service.track_record(session, theirs, other, secret=SECRET).people
    assert oak.all_questions == 1 and oak.studies == 1


def _analyst(session, client, *studies):
    viewer = factories.user(session, email="viewer@example.org", role=Role.ANALYST, name="Vic")
    for study in studies:
        share_study(session, study, viewer.email, StudyRole.ANALYST, actor=study.owner)
    session.commit()
    login(client, "viewer@example.org", factories.PASSWORD)
    return viewer


def test_the_page_shows_records_and_the_backtest_but_no_name_or_email(session, client, owner):
    first = _study(session, owner, "one", PEOPLE, _history())
    second = _study(session, owner, "two", {"Oak": "ann@x.test"}, OAK)
    _analyst(session, client, first, second)
    page = client.get("/analyse/studies/one/track-record")
    assert page.status_code == 200
    text = page.text
    for secret in ("ann@x.test", "bob@x", "Name Alder", "x.test"):
        assert secret not in text
    report = service.track_record(
        session, first, owner, secret=client.application.config["SECRET_KEY"].encode()
    )
    alder = next(p for p in report.people if p.pseudonym == "Alder")
    assert alder.person in text and "Study two" in text
    assert "weighted by track record" in text and "equal weights" in text
    assert "/analyse/studies/one/track-record" in client.get("/analyse/studies/one").text


def test_a_study_not_shared_stays_out_of_the_records(session, client, owner):
    first = _study(session, owner, "one", PEOPLE, _history())
    _study(session, owner, "two", {"Oak": "ann@x.test"}, OAK)
    viewer = _analyst(session, client, first)
    report = service.track_record(session, first, viewer, secret=SECRET)
    assert [s.slug for s in report.studies] == ["one"]
    assert {p.all_questions for p in report.people} == {3}
    assert client.get("/analyse/studies/two/track-record").status_code == 404
    assert "Study two" not in client.get("/analyse/studies/one/track-record").text


def test_a_malformed_score_is_a_400_naming_it(session, client, owner):
    first = _study(session, owner, "one", PEOPLE, _history())
    _analyst(session, client, first)
    bad = client.get("/analyse/studies/one/track-record?score=spherical")
    assert bad.status_code == 400 and "score" in bad.text
    assert client.get("/analyse/studies/one/track-record?score=log").status_code == 200


def test_a_study_without_resolutions_has_records_but_no_backtest(session, client, owner):
    history = [(k, a, t, None, d) for k, a, t, _, d in _history()]
    study = _study(session, owner, "one", PEOPLE, history)
    report = service.track_record(session, study, owner, secret=SECRET)
    assert report.backtest is None and len(report.people) == 3
    assert all(p.study_brier is None for p in report.people)
    _analyst(session, client, study)
    assert "nothing to back-test" in client.get("/analyse/studies/one/track-record").text


def test_a_realized_calibration_question_without_a_resolution_stays_out(session, client, owner):
    """A binary seed known by its realization has no resolution date: it is no record, no 500."""
    study = _study(session, owner, "one", PEOPLE, _history())
    seed = next(q for q in study.questions if q.key == "q1")
    session.delete(seed.resolution)
    seed.realization = 1.0
    session.flush()
    session.expire_all()
    report = service.track_record(session, study, owner, secret=SECRET)
    assert {p.all_questions for p in report.people} == {2}
    _analyst(session, client, study)
    assert client.get("/analyse/studies/one/track-record").status_code == 200
