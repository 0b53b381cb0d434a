"""Closing times in the browser: the facilitator's round controls and what the expert sees."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.audit import AuditEvent
from elicit.db import utcnow
from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment, save_drafts
from elicit.panels.services import issue_invitation
from elicit.rounds.models import Round, RoundExtension, RoundState
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.models import Study
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_expert_journey import enter, form
from tests.test_facilitate_controls import post, text_of
from tests.test_refusals import snapshot

BASE = "/facilitate/studies/study"
HOUR = timedelta(hours=1)


@pytest.fixture
def study(session):
    found = factories.study(session)
    found.time_zone = "Europe/Warsaw"
    factories.question(session, found, key="q1", title="Will the ceasefire hold?")
    for name in ("Alder", "Birch", "Cedar"):
        factories.expert(session, found, name)
    session.commit()
    return found


@pytest.fixture
def as_owner(client, study):
    login(client, "fac@example.org", factories.PASSWORD)
    return client


def rounds_of(session, study):
    """The study's rounds as (number, state, closes_at), read afresh."""
    session.expire_all()
    return session.execute(
        sa.select(Round.number, Round.state, Round.closes_at)
        .where(Round.study_id == study.id)
        .order_by(Round.number)
    ).all()


def open_past_deadline(session, study, minutes=5):
    """Round 1 open, its closing time ``minutes`` ago (opened with the clock set earlier)."""
    now = utcnow()
    round_ = open_round(
        session,
        create_round(session, study),
        closes_at=now - timedelta(minutes=minutes),
        now=now - HOUR,
    )
    session.commit()
    return round_


# Opening with a closing time


def test_a_round_opens_with_a_closing_time_typed_in_the_study_time_zone(session, study, as_owner):
    page = text_of(as_owner.get(BASE))
    assert "In the study's time zone, Europe/Warsaw." in page
    response = post(as_owner, f"{BASE}/rounds/open-next", {"closes_at": "2040-01-15T17:30"})
    assert response.status_code == 302
    assert rounds_of(session, study) == [
        (1, RoundState.OPEN, datetime(2040, 1, 15, 16, 30, tzinfo=UTC))
    ]
    after = text_of(as_owner.get(BASE))
    assert "Round 1 is open: experts can answer now." in after
    assert "closes January 15, 2040, 5:30 PM (Europe/Warsaw)" in after


def test_a_round_may_open_without_a_closing_time(session, study, as_owner):
    assert post(as_owner, f"{BASE}/rounds/open-next", {"closes_at": ""}).status_code == 302
    assert rounds_of(session, study) == [(1, RoundState.OPEN, None)]
    assert "no closing time" in text_of(as_owner.get(BASE))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("next friday", "Enter a date and time such as 2026-03-07 17:00."),
        ("2001-01-01T10:00", "The closing time must be later than now."),
        ("2040-03-25T02:30", "There is no 02:30 in Europe/Warsaw that day: the clocks skip it."),
    ],
)
def test_a_refused_closing_time_is_shown_beside_the_field_and_opens_nothing(
    session, study, as_owner, typed, message
):
    before = snapshot(session)
    response = post(as_owner, f"{BASE}/rounds/open-next", {"closes_at": typed})
    assert response.status_code == 400
    assert snapshot(session) == before
    assert '<div class="error-summary"' in response.text and "No new round was opened" in (
        response.text
    )
    assert f'<p class="error" id="closes_at-error">{message}</p>' in response.text.replace(
        "&#39;", "'"
    )
    assert f'value="{typed}"' in response.text and 'aria-invalid="true"' in response.text


def test_opening_with_an_empty_panel_is_refused_with_a_message(session, client):
    factories.study(session, slug="empty")
    login(client, "fac@example.org", factories.PASSWORD)
    before = snapshot(session)
    response = post(client, "/facilitate/studies/empty/rounds/open-next")
    assert response.status_code == 302
    assert snapshot(session) == before
    assert (
        "No new round was opened: round 1 cannot open while the panel is empty; add experts first."
        in text_of(client.get("/facilitate/studies/empty"))
    )


# The study's time zone and pre-filled answers


def test_the_round_settings_are_saved_and_audited(session, study, as_owner):
    response = post(
        as_owner,
        f"{BASE}/round-settings",
        {"time_zone": "America/New_York", "prefill_previous_answers": "y"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert (study.time_zone, study.prefill_previous_answers) == ("America/New_York", True)
    assert session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == (
        "study.round_settings"
    )
    assert "The round settings are saved." in text_of(as_owner.get(BASE))


@pytest.mark.parametrize("typed", ["Mars/Olympus", "", "   "])
def test_an_unknown_time_zone_is_refused_beside_the_field(session, study, as_owner, typed):
    before = snapshot(session)
    response = post(as_owner, f"{BASE}/round-settings", {"time_zone": typed})
    assert response.status_code == 400
    assert snapshot(session) == before
    assert "The round settings were not saved" in response.text
    assert 'id="time_zone-error"' in response.text


# Extending


def test_the_closing_time_is_extended_for_everyone_and_for_one_expert(session, study, as_owner):
    round_ = open_round(session, create_round(session, study), closes_at=utcnow() + HOUR)
    session.commit()

    response = post(as_owner, f"{BASE}/rounds/extend", {"extend_to": "2040-06-01 12:00"})
    assert response.status_code == 302
    session.expire_all()
    assert round_.closes_at == datetime(2040, 6, 1, 10, 0, tzinfo=UTC)

    response = post(
        as_owner,
        f"{BASE}/rounds/extend-expert",
        {"pseudonym": "Birch", "expert_until": "2040-06-02T12:00"},
    )
    assert response.status_code == 302
    session.expire_all()
    [extension] = session.scalars(sa.select(RoundExtension)).all()
    assert extension.closes_at == datetime(2040, 6, 2, 10, 0, tzinfo=UTC)
    page = text_of(as_owner.get(BASE))
    assert "Birch until June 2, 2040, 12:00 PM (Europe/Warsaw)" in page
    actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["round.extend", "round.extend_expert"]


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        ("extend", {"extend_to": "2001-01-01 12:00"}, "extend_to"),
        ("extend", {"extend_to": ""}, "extend_to"),
        ("extend-expert", {"pseudonym": "Nobody", "expert_until": "2040-01-01 12:00"}, "pseudonym"),
        ("extend-expert", {"pseudonym": "Alder", "expert_until": "soon"}, "expert_until"),
    ],
)
def test_refused_extensions_are_shown_beside_the_field(session, study, as_owner, url, data, field):
    open_round(session, create_round(session, study), closes_at=utcnow() + HOUR)
    session.commit()
    before = snapshot(session)
    response = post(as_owner, f"{BASE}/rounds/{url}", data)
    assert response.status_code == 400
    assert snapshot(session) == before
    assert f'id="{field}-error"' in response.text


# Closing by hand, after a confirmation


def test_closing_asks_first_and_lists_who_is_pending(session, study, as_owner):
    round_ = open_round(session, create_round(session, study))
    alder, birch, _ = study.experts
    record_judgment(session, alder, study.questions[0], round_, Answer(probability=0.3))
    save_drafts(session, birch, round_, {study.questions[0].id: {"probability": "70"}})
    session.commit()

    page = as_owner.get(BASE)
    assert 'method="get" action="/facilitate/studies/study/rounds/1/close"' in page.text
    before = snapshot(session)
    confirm = as_owner.get(f"{BASE}/rounds/1/close")
    assert confirm.status_code == 200 and snapshot(session) == before
    text = text_of(confirm)
    assert "Close round 1?" in text and "2 of 3 experts have not submitted" in text
    assert re.search(r"Birch — 1 unsubmitted draft\s+Cedar", text)
    assert "Alder" not in text

    response = post(as_owner, f"{BASE}/rounds/1/close")
    assert response.status_code == 302
    assert rounds_of(session, study)[0][1] is RoundState.CLOSED
    assert session.scalar(sa.select(sa.func.count()).select_from(JudgmentDraft)) == 1


def test_the_confirmation_of_a_round_that_is_not_open_goes_back_with_a_message(
    session, study, as_owner
):
    round_ = open_round(session, create_round(session, study))
    close_round(session, round_)
    session.commit()
    response = as_owner.get(f"{BASE}/rounds/1/close")
    assert response.status_code == 302
    assert "Round 1 was not closed: round 1 is not open." in text_of(as_owner.get(BASE))
    assert as_owner.get(f"{BASE}/rounds/9/close").status_code == 404


def test_an_analyst_sees_the_deadline_but_cannot_change_it(session, study, client):
    open_round(session, create_round(session, study), closes_at=utcnow() + HOUR)
    analyst = factories.user(session, email="an@example.org", role=Role.ANALYST, name="Ana")
    share_study(session, study, analyst.email, StudyRole.ANALYST, actor=study.owner)
    session.commit()
    login(client, "an@example.org", factories.PASSWORD)
    assert "Closing times are in the study's time zone, Europe/Warsaw." in text_of(client.get(BASE))
    before = snapshot(session)
    assert client.get(f"{BASE}/rounds/1/close").status_code == 403
    for url, data in [
        ("rounds/1/close", {}),
        ("rounds/extend", {"extend_to": "2040-01-01 10:00"}),
        ("rounds/extend-expert", {"pseudonym": "Alder", "expert_until": "2040-01-01 10:00"}),
        ("round-settings", {"time_zone": "UTC"}),
    ]:
        assert post(client, f"{BASE}/{url}", data).status_code == 403
    assert snapshot(session) == before


# Past the closing time


def test_the_study_page_shows_a_passed_closing_time_without_writing(session, study, as_owner):
    open_past_deadline(session, study)
    before = snapshot(session)
    text = text_of(as_owner.get(BASE))
    assert snapshot(session) == before
    assert "Round 1: open closing time passed; will be recorded as closed" in text
    assert "Round 1 takes no more answers: its closing time has passed." in text
    assert "Open round 2" in text and "Extend for everyone" not in text

    assert post(as_owner, f"{BASE}/rounds/open-next").status_code == 302
    assert [(n, state) for n, state, _ in rounds_of(session, study)] == [
        (1, RoundState.CLOSED),
        (2, RoundState.OPEN),
    ]


@pytest.fixture
def expert_client(client, session, study):
    """Alder, signed in and consented, with a saved draft in round 1 which is open for an hour."""
    alder = study.experts[0]
    token = issue_invitation(session, alder)
    round_ = open_round(session, create_round(session, study), closes_at=utcnow() + HOUR)
    session.commit()
    enter(client, token)
    page = client.get("/expert/round")
    assert page.status_code == 200
    data = form(page.text, study.questions, {study.questions[0]: {"probability": "35"}}, "draft")
    assert client.post("/expert/rounds/1/answers", data=data).status_code == 302
    return client, round_


def test_the_expert_sees_the_closing_time_in_their_own_time_zone(study, expert_client):
    client, round_ = expert_client
    page = client.get("/expert/round").text
    iso = round_.closes_at.isoformat()
    shown = rf'<time datetime="{re.escape(iso)}" data-local-time>[^<]+\(Europe/Warsaw\)'
    assert re.search(shown, page)
    assert "Answers not submitted by then are not counted." in page


def test_after_the_closing_time_every_path_refuses_and_reads_write_nothing(
    session, study, expert_client
):
    client, round_ = expert_client
    shown = client.get("/expert/round").text
    round_.closes_at = utcnow() - timedelta(seconds=1)
    session.commit()
    before = snapshot(session)

    for url in ("/expert/", "/expert/round"):
        page = client.get(url)
        assert page.status_code == 200
        text = text_of(page)
        assert "Round 1 closed on" in text and "it no longer takes answers" in text
        assert "1 answer you saved as a draft was not submitted before the round closed" in text
    review = client.get("/expert/rounds/1/review")
    assert review.status_code == 302 and review.location.endswith("/expert/rounds/1/receipt")
    receipt = text_of(client.get("/expert/rounds/1/receipt"))
    assert "was not submitted before the round closed, so it is not counted" in receipt
    assert snapshot(session) == before

    question = study.questions[0]
    autosave = client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(question.id): {"probability": "50"}}},
        headers={"X-CSRFToken": csrf_token(shown)},
    )
    assert autosave.status_code == 409 and autosave.json["error"]["code"] == "round_closed"
    data = form(shown, study.questions, {question: {"probability": "61.5"}}, "submit")
    refused = client.post("/expert/rounds/1/answers", data=data)
    assert refused.status_code == 409
    assert "Round 1 has closed, so answers can no longer be saved or submitted." in refused.text
    assert 'value="61.5"' in refused.text
    reviewed = client.post(
        "/expert/rounds/1/submission", data={"csrf_token": csrf_token(shown), "reviewed": "x"}
    )
    assert reviewed.status_code == 409
    assert snapshot(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(Judgment)) == 0


def test_the_closed_page_speaks_polish(session, study, expert_client):
    client, round_ = expert_client
    round_.closes_at = utcnow() - timedelta(seconds=1)
    session.commit()
    choose = client.get("/expert/round")
    client.post("/language", data={"locale": "pl", "csrf_token": csrf_token(choose.text)})
    text = text_of(client.get("/expert/round"))
    assert "Runda 1 zamknęła się" in text and "nie przyjmuje już odpowiedzi" in text
    assert "nie została przesłana przed zamknięciem rundy, więc nie jest liczona" in text


def test_an_expert_with_an_extension_still_answers_after_the_round_closing_time(
    session, study, expert_client
):
    client, round_ = expert_client
    session.add(
        RoundExtension(round_id=round_.id, expert_id=study.experts[0].id, closes_at=utcnow() + HOUR)
    )
    round_.closes_at = utcnow() - timedelta(seconds=1)
    session.commit()
    page = client.get("/expert/round")
    assert "Review and submit" in page.text
    data = form(page.text, study.questions, {study.questions[0]: {"probability": "35"}})
    response = client.post("/expert/rounds/1/answers", data=data)
    assert response.status_code == 302 and response.location.endswith("/receipt")
    assert session.scalar(sa.select(sa.func.count()).select_from(Judgment)) == 1


# Pre-filled answers


@pytest.mark.parametrize("prefill", [True, False])
def test_a_new_round_starts_from_the_previous_answers_when_the_study_says_so(
    session, study, client, prefill
):
    alder = study.experts[0]
    question = study.questions[0]
    first = open_round(session, create_round(session, study))
    record_judgment(session, alder, question, first, Answer(probability=0.42, rationale="Why."))
    close_round(session, first)
    session.get(Study, study.id).prefill_previous_answers = prefill
    open_round(session, create_round(session, study))
    token = issue_invitation(session, alder)
    session.commit()
    enter(client, token)

    page = client.get("/expert/round").text
    box = re.search(rf'name="q{question.id}-probability" value="([^"]*)"', page).group(1)
    assert box == ("42" if prefill else "")
    assert ("Filled in with your answer from round 1." in page) is prefill
    data = form(page, study.questions, {}, "draft")
    data[f"q{question.id}-probability"] = box
    data[f"q{question.id}-rationale"] = "Why." if prefill else ""
    assert client.post("/expert/rounds/2/answers", data=data).status_code == 302
    session.expire_all()
    drafts = session.scalars(sa.select(JudgmentDraft).where(JudgmentDraft.round_id != first.id))
    assert [d.fields["probability"] for d in drafts] == (["42"] if prefill else [])
