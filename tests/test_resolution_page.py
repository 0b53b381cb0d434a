"""Resolving questions in the browser: the queue, the form's refusals, late calibration answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.analysis.expert_record import expert_record
from elicit.audit import AuditEvent
from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import Outcome, Question, QuestionKind, Resolution
from elicit.studies.services import record_realization, resolution_queue
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_refusals import snapshot

PAGE = "/facilitate/studies/study/resolution"
TODAY = utcnow().date()


@pytest.fixture
def study(session):
    """A study with a due binary question, a due quantity, one not yet due, one resolved,
    and a calibration question without its realization."""
    found = factories.study(session)
    past = TODAY - timedelta(days=3)
    factories.question(
        session,
        found,
        key="due",
        title="Did talks start?",
        close_date=past - timedelta(days=30),
        resolve_by=past,
    )
    factories.question(
        session,
        found,
        key="count",
        kind=QuestionKind.QUANTITY,
        title="How many monitors?",
        close_date=past - timedelta(days=30),
        resolve_by=past,
        unit="monitors",
        lower_bound=0.0,
        upper_bound=1000.0,
    )
    factories.question(session, found, key="later", title="Will a treaty be signed?")
    factories.question(
        session,
        found,
        key="seed",
        title="How many km of front?",
        kind=QuestionKind.QUANTITY,
        calibration=True,
        realization=None,
        lower_bound=0.0,
        upper_bound=5000.0,
    )
    return found


def question(session, study, key) -> Question:
    session.expire_all()
    return session.scalars(
        sa.select(Question).where(Question.study_id == study.id, Question.key == key)
    ).one()


def post(client, url, data):
    token = csrf_token(client.get(PAGE).text)
    return client.post(url, data={**data, "csrf_token": token})


def test_the_queue_sorts_questions_by_what_they_need(session, study):
    queue = resolution_queue(session, study, TODAY)
    assert [q.key for q in queue.due] == ["due", "count"]
    assert [q.key for q in queue.upcoming] == ["later"]
    assert [q.key for q in queue.unrealized] == ["seed"]
    assert queue.resolved == []


def test_the_page_lists_the_queue_with_a_form_for_each(client, study):
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.text
    assert "Due: 2 questions past their resolve-by date" in text
    assert text.index("Did talks start?") < text.index("Will a treaty be signed?")
    assert 'name="q' in text and "Resolve due" in text and "Resolve count" in text
    assert "Record the realization of seed" in text
    assert "No question has resolved yet." in text


def test_a_binary_question_is_resolved_from_the_page(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    due = question(session, study, "due")
    prefix = f"q{due.id}-"
    response = post(
        client,
        "/facilitate/studies/study/questions/due/resolve",
        {
            prefix + "outcome": "yes",
            prefix + "source": "https://news.test/talks",
            prefix + "resolved_on": "2026-11-30",
        },
    )
    assert response.status_code == 302
    resolution = question(session, study, "due").resolution
    assert (resolution.outcome, resolution.source) == (Outcome.YES, "https://news.test/talks")
    assert resolution.resolved_on == date(2026, 11, 30)
    page = client.get(PAGE).text
    assert "Question due is resolved." in page
    assert "Due: 1 question past its resolve-by date" in page
    assert "https://news.test/talks" in page


def test_a_quantity_takes_a_value_with_a_decimal_comma(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    count = question(session, study, "count")
    prefix = f"q{count.id}-"
    response = post(
        client,
        "/facilitate/studies/study/questions/count/resolve",
        {
            prefix + "value": "412,5",
            prefix + "source": "OSCE report",
            prefix + "resolved_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 302
    assert question(session, study, "count").resolution.value == 412.5


@pytest.mark.parametrize(
    ("key", "fields", "field", "message"),
    [
        (
            "due",
            {"source": "x", "resolved_on": "2026-11-30"},
            "outcome",
            "due resolves to yes, no or annulled",
        ),
        (
            "due",
            {"outcome": "maybe", "source": "x", "resolved_on": "2026-11-30"},
            "outcome",
            "Choose yes, no or annulled.",
        ),
        (
            "due",
            {"outcome": "no", "source": "   ", "resolved_on": "2026-11-30"},
            "source",
            "say where the resolution comes from",
        ),
        (
            "due",
            {"outcome": "no", "source": "", "resolved_on": "2026-11-30"},
            "source",
            "Say where the resolution comes from",
        ),
        (
            "due",
            {"outcome": "no", "source": "x", "resolved_on": "30/11/2026"},
            "resolved_on",
            "Enter the date as year-month-day",
        ),
        (
            "count",
            {"value": "lots", "source": "x", "resolved_on": "2026-11-30"},
            "value",
            "Enter a number, such as 12.5.",
        ),
        (
            "count",
            {"value": "1500", "source": "x", "resolved_on": "2026-11-30"},
            "value",
            "1,500 is outside the question",
        ),
        (
            "count",
            {"value": "", "source": "x", "resolved_on": "2026-11-30"},
            "value",
            "count resolves to a number",
        ),
    ],
)
def test_a_refused_resolution_is_explained_beside_the_field_and_kept(
    client, session, study, key, fields, field, message
):
    login(client, "fac@example.org", factories.PASSWORD)
    target = question(session, study, key)
    prefix = f"q{target.id}-"
    before = snapshot(session)
    response = post(
        client,
        f"/facilitate/studies/study/questions/{key}/resolve",
        {prefix + name: value for name, value in fields.items()},
    )
    assert response.status_code == 400
    assert f"Question {key} was not resolved" in response.text
    assert f'id="{prefix}{field}-error"' in response.text
    assert message in response.text
    assert 'value="' + fields["source"] + '"' in response.text or not fields["source"].strip()
    assert snapshot(session) == before


def test_a_question_resolves_only_once_on_the_page_too(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    due = question(session, study, "due")
    prefix = f"q{due.id}-"
    data = {prefix + "outcome": "no", prefix + "source": "x", prefix + "resolved_on": "2026-11-30"}
    assert post(client, "/facilitate/studies/study/questions/due/resolve", data).status_code == 302
    again = post(client, "/facilitate/studies/study/questions/due/resolve", data)
    assert again.status_code == 400 and "question due has already resolved" in again.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Resolution)) == 1


def test_a_calibration_question_gets_its_realization_later(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    seed = question(session, study, "seed")
    assert seed.calibration and seed.realization is None
    response = post(
        client,
        "/facilitate/studies/study/questions/seed/realization",
        {f"q{seed.id}-realization": "1 250"},
    )
    assert response.status_code == 302
    assert question(session, study, "seed").realization == 1250.0
    event = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "question.realize")
    ).one()
    assert event.details == {"before": None, "after": 1250.0}
    assert "Calibration questions waiting" not in client.get(PAGE).text


def test_a_realization_is_checked_like_a_resolution(session, study):
    seed = question(session, study, "seed")
    with pytest.raises(DomainError) as refused:
        record_realization(session, seed, 9000.0, actor=study.owner)
    assert refused.value.code == "invalid_resolution"
    with pytest.raises(DomainError) as refused:
        record_realization(session, question(session, study, "due"), 1.0, actor=study.owner)
    assert refused.value.code == "not_calibration"
    record_realization(session, seed, 10.0, actor=study.owner)
    with pytest.raises(DomainError) as refused:
        record_realization(session, seed, 11.0, actor=study.owner)
    assert refused.value.code == "already_realized"


def test_a_binary_calibration_question_realizes_as_0_or_1(session, study):
    seed = factories.question(session, study, key="b-seed", calibration=True, realization=None)
    with pytest.raises(DomainError, match="realized as 1"):
        record_realization(session, seed, 0.5, actor=study.owner)
    record_realization(session, seed, 1.0, actor=study.owner)
    assert seed.realization == 1.0


def test_an_analyst_sees_the_queue_but_cannot_resolve(client, session, study):
    analyst = factories.user(session, email="ana@example.org", role=Role.ANALYST)
    share_study(session, study, analyst.email, StudyRole.ANALYST)
    login(client, "ana@example.org", factories.PASSWORD)
    page = client.get(PAGE)
    assert page.status_code == 200 and "Did talks start?" in page.text
    assert "Resolve due" not in page.text
    due = question(session, study, "due")
    before = snapshot(session)
    data = {
        f"q{due.id}-outcome": "yes",
        f"q{due.id}-source": "x",
        f"q{due.id}-resolved_on": "2026-11-30",
    }
    assert post(client, "/facilitate/studies/study/questions/due/resolve", data).status_code == 403
    assert snapshot(session) == before


def test_a_co_facilitator_resolves(client, session, study):
    helper = factories.user(session, email="co@example.org")
    share_study(session, study, helper.email, StudyRole.CO_FACILITATOR)
    login(client, "co@example.org", factories.PASSWORD)
    due = question(session, study, "due")
    data = {
        f"q{due.id}-outcome": "annulled",
        f"q{due.id}-source": "x",
        f"q{due.id}-resolved_on": "2026-11-30",
    }
    assert post(client, "/facilitate/studies/study/questions/due/resolve", data).status_code == 302
    assert question(session, study, "due").resolution.outcome is Outcome.ANNULLED


@pytest.mark.parametrize(
    "url",
    [
        PAGE,
        "/facilitate/studies/study/questions/due/resolve",
        "/facilitate/studies/study/questions/nope/resolve",
    ],
)
def test_strangers_and_unknown_questions_get_404(client, session, study, url):
    factories.user(session, email="other@example.org")
    login(client, "other@example.org", factories.PASSWORD)
    if url == PAGE:
        assert client.get(url).status_code == 404
    else:
        token = csrf_token(client.get("/facilitate/").text)
        assert client.post(url, data={"csrf_token": token}).status_code == 404


def test_an_unknown_question_of_a_visible_study_is_404(client, study):
    login(client, "fac@example.org", factories.PASSWORD)
    assert post(client, "/facilitate/studies/study/questions/nope/resolve", {}).status_code == 404


def test_a_question_resolved_after_the_study_ended_is_scored_like_any_other(session, study):
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@x.test")
    later = question(session, study, "later")
    round_ = open_next_round(session, study)
    record_judgment(session, expert, later, round_, Answer(probability=0.7))
    close_round(session, round_)
    assert [
        e.brier
        for r in expert_record(session, expert)
        if r.question.key == "later"
        for e in r.entries
    ] == [None]
    from elicit.studies.services import resolve_question

    resolve_question(
        session, later, outcome=Outcome.YES, source="x", resolved_on=TODAY, actor=study.owner
    )
    briers = [
        e.brier
        for r in expert_record(session, expert)
        if r.question.key == "later"
        for e in r.entries
    ]
    assert briers == [pytest.approx(0.09)]
