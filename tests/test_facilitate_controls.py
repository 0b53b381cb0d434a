"""The facilitator's controls: rounds, feedback settings and rationale moderation, via the UI."""

import html
import re

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.judgments.models import Judgment
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds import services as round_services
from elicit.rounds.models import Round, RoundState
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.models import Study
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login

BASE = "/facilitate/studies/study"


def text_of(response) -> str:
    """The page's text without tags, with entities decoded and whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", response.text)))


def post(client, url, data=None, token=True):
    """POST ``data`` to ``url`` as a browser would, with the session's CSRF token unless not."""
    form = dict(data or {})
    if token:
        form["csrf_token"] = csrf_token(client.get("/facilitate/").text)
    return client.post(url, data=form)


def states(session, study):
    """The study's rounds as (number, state) pairs, read afresh from the database."""
    session.expire_all()
    return session.execute(
        sa.select(Round.number, Round.state)
        .where(Round.study_id == study.id)
        .order_by(Round.number)
    ).all()


def settings(session, study):
    """The study's feedback settings, read afresh from the database."""
    session.expire_all()
    return session.execute(
        sa.select(Study.feedback_min_answers, Study.hide_feedback_until_answered).where(
            Study.id == study.id
        )
    ).one()


def hidden_flag(session, judgment_id):
    """Whether the judgment's rationale is hidden, read afresh from the database."""
    session.expire_all()
    return session.scalar(sa.select(Judgment.rationale_hidden).where(Judgment.id == judgment_id))


def last_action(session):
    """The newest audit entry's action and actor id."""
    return session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id).order_by(AuditEvent.id.desc()).limit(1)
    ).one()


@pytest.fixture
def owner(session):
    return factories.user(session)


@pytest.fixture
def study(session, owner):
    found = factories.study(session, owner=owner)
    factories.expert(session, found, "Willow")
    return found


@pytest.fixture
def answered(session, study):
    """Round 1 of ``study`` open on two questions; Alder and Birch gave rationales, Cedar none."""
    first = factories.question(session, study, key="q1", title="Will the ceasefire hold?")
    second = factories.question(session, study, key="q2", title="Will talks resume?")
    experts = {
        name: add_expert(session, study, pseudonym=name, name="n", email=f"{name}@example.org")
        for name in ("Alder", "Birch", "Cedar")
    }
    round_ = create_round(session, study)
    open_round(session, round_)
    record_judgment(
        session, experts["Alder"], first, round_, Answer(probability=0.3, rationale="Base rates.")
    )
    record_judgment(
        session, experts["Birch"], first, round_, Answer(probability=0.6, rationale="Momentum.")
    )
    record_judgment(session, experts["Cedar"], first, round_, Answer(probability=0.5))
    record_judgment(
        session, experts["Birch"], second, round_, Answer(probability=0.2, rationale="Stalled.")
    )
    judgments = {
        (j.expert.pseudonym, j.question.key): j.id for j in session.scalars(sa.select(Judgment))
    }
    return round_, judgments


@pytest.fixture
def as_owner(client, owner):
    login(client, "fac@example.org", factories.PASSWORD)
    return client


# Rounds


def test_the_owner_closes_the_open_round_from_the_study_page(session, study, owner, as_owner):
    open_round(session, create_round(session, study))
    page = as_owner.get(BASE)
    assert 'action="/facilitate/studies/study/rounds/1/close"' in page.text
    assert "Close round 1" in text_of(page)

    response = post(as_owner, f"{BASE}/rounds/1/close")

    assert response.status_code == 302 and response.headers["Location"] == BASE
    assert states(session, study) == [(1, RoundState.CLOSED)]
    assert last_action(session) == ("round.close", owner.id)
    after = text_of(as_owner.get(BASE))
    assert "Round 1 is closed: experts can no longer answer in it" in after
    assert "Round 1: closed" in after and "Open round 2" in after


def test_opening_the_next_round_creates_it_and_opens_it(session, study, owner, as_owner):
    first = create_round(session, study)
    open_round(session, first)
    close_round(session, first)

    response = post(as_owner, f"{BASE}/rounds/open-next")

    assert response.status_code == 302 and response.headers["Location"] == BASE
    assert states(session, study) == [(1, RoundState.CLOSED), (2, RoundState.OPEN)]
    assert last_action(session) == ("round.open", owner.id)
    after = text_of(as_owner.get(BASE))
    assert "Round 2 is open: experts can answer now." in after
    assert "Close round 2" in after and "Open round" not in after


def test_the_first_round_of_a_new_study_opens_from_the_page(session, study, as_owner):
    assert "Open round 1" in text_of(as_owner.get(BASE))
    post(as_owner, f"{BASE}/rounds/open-next")
    assert states(session, study) == [(1, RoundState.OPEN)]


def test_a_round_left_in_draft_is_opened_rather_than_skipped(session, study, as_owner):
    create_round(session, study)
    assert "Open round 1" in text_of(as_owner.get(BASE))
    post(as_owner, f"{BASE}/rounds/open-next")
    assert states(session, study) == [(1, RoundState.OPEN)]


def test_opening_while_a_round_is_open_is_refused_with_a_message(session, study, as_owner):
    open_round(session, create_round(session, study))

    response = post(as_owner, f"{BASE}/rounds/open-next")

    assert response.status_code == 302
    assert states(session, study) == [(1, RoundState.OPEN)]
    after = text_of(as_owner.get(BASE))
    assert "No new round was opened: round 1 is still open; close it first." in after


def test_a_refused_transition_is_a_flashed_error_not_a_500(session, study, as_owner):
    round_ = create_round(session, study)
    open_round(session, round_)
    close_round(session, round_)

    response = post(as_owner, f"{BASE}/rounds/1/close")

    assert response.status_code == 302
    assert states(session, study) == [(1, RoundState.CLOSED)]
    assert "Round 1 was not closed: round 1 is already closed." in text_of(as_owner.get(BASE))
    assert post(as_owner, f"{BASE}/rounds/7/close").status_code == 404


def test_a_refused_opening_leaves_no_new_draft_round_behind(session, study, as_owner, monkeypatch):
    first = create_round(session, study)
    open_round(session, first)
    close_round(session, first)

    def refuse(*args, **kwargs):
        raise DomainError("round_blocked", "round 2 cannot open while round 9 is draft")

    monkeypatch.setattr(round_services, "open_round", refuse)
    response = post(as_owner, f"{BASE}/rounds/open-next")

    assert response.status_code == 302
    assert states(session, study) == [(1, RoundState.CLOSED)]
    assert "No new round was opened: round 2 cannot open while round 9 is draft." in text_of(
        as_owner.get(BASE)
    )


# Feedback settings


def test_feedback_settings_are_saved(session, study, owner, as_owner):
    page = as_owner.get(BASE)
    assert '<label for="min_answers">' in page.text
    assert 'id="min_answers"' in page.text and 'value="3"' in page.text
    assert '<label for="hide_until_answered">' in page.text

    response = post(
        as_owner, f"{BASE}/feedback-settings", {"min_answers": "5", "hide_until_answered": "y"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"{BASE}#feedback"
    assert settings(session, study) == (5, True)
    assert last_action(session) == ("study.feedback_settings", owner.id)
    after = as_owner.get(BASE)
    assert "The feedback settings are saved." in after.text
    assert 'value="5"' in after.text and re.search(r'<input checked[^>]*id="hide_until', after.text)

    post(as_owner, f"{BASE}/feedback-settings", {"min_answers": "2"})
    assert settings(session, study) == (2, False)


@pytest.mark.parametrize("typed", ["0", "101", "-3", "abc", "2.5", ""])
def test_invalid_settings_show_the_error_beside_the_field_and_change_nothing(
    session, study, as_owner, typed
):
    response = post(
        as_owner, f"{BASE}/feedback-settings", {"min_answers": typed, "hide_until_answered": "y"}
    )

    assert response.status_code == 400
    page = text_of(response)
    assert "Study study" in page and "Rounds" in page
    assert re.search(
        r'aria-describedby="min_answers-hint min_answers-error"[^>]*aria-invalid="true"|'
        r'aria-invalid="true"[^>]*aria-describedby="min_answers-hint min_answers-error"',
        response.text,
    )
    errors = re.findall(r'<p class="error" id="min_answers-error">([^<]*)</p>', response.text)
    assert errors == ["Enter a whole number from 1 to 100."]
    assert settings(session, study) == (3, False)
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "study.feedback_settings")
        )
        == 0
    )


# Rationales


def test_the_study_page_links_to_the_rationales_of_rounds_with_answers(
    session, study, answered, as_owner
):
    create_round(session, study)
    page = as_owner.get(BASE).text
    assert f'href="{BASE}/rounds/1/rationales"' in page
    assert f"{BASE}/rounds/2/rationales" not in page


def test_the_rationales_page_lists_non_empty_rationales_by_question(answered, as_owner):
    page = as_owner.get(f"{BASE}/rounds/1/rationales")

    assert page.status_code == 200
    text = text_of(page)
    assert "Rationales given in round 1" in text
    ceasefire, talks = text.index("Will the ceasefire hold?"), text.index("Will talks resume?")
    assert ceasefire < text.index("Alder") < text.index("Base rates.") < text.index("Birch")
    assert text.index("Momentum.") < talks < text.index("Stalled.")
    assert "Cedar" not in text
    assert text.count("Hide Alder's rationale from the panel") == 1
    assert text.count("Hide Birch's rationale from the panel") == 2
    assert as_owner.get(f"{BASE}/rounds/9/rationales").status_code == 404


def test_hiding_a_rationale_sets_the_flag_and_showing_clears_it(session, answered, owner, as_owner):
    _, judgments = answered
    alder = judgments[("Alder", "q1")]
    url = f"{BASE}/judgments/{alder}/rationale"

    response = post(as_owner, url, {"hidden": "1"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"{BASE}/rounds/1/rationales#judgment-{alder}"
    assert hidden_flag(session, alder) is True
    assert hidden_flag(session, judgments[("Birch", "q1")]) is False
    assert last_action(session) == ("rationale.hide", owner.id)
    text = text_of(as_owner.get(f"{BASE}/rounds/1/rationales"))
    assert "Alder's rationale on question q1 is now hidden from the panel's feedback." in text
    assert "hidden from the panel" in text and "Show Alder's rationale to the panel again" in text

    post(as_owner, url, {"hidden": "0"})

    assert hidden_flag(session, alder) is False
    assert last_action(session) == ("rationale.show", owner.id)
    assert "Hide Alder's rationale from the panel" in text_of(
        as_owner.get(f"{BASE}/rounds/1/rationales")
    )


@pytest.mark.parametrize("value", ["", "yes", "2"])
def test_an_unclear_hide_request_is_refused(session, answered, as_owner, value):
    alder = answered[1][("Alder", "q1")]
    response = post(as_owner, f"{BASE}/judgments/{alder}/rationale", {"hidden": value})
    assert response.status_code == 400
    assert hidden_flag(session, alder) is False


def test_a_judgment_of_another_study_is_404(session, owner, answered, as_owner):
    factories.study(session, owner=owner, slug="other")
    alder = answered[1][("Alder", "q1")]

    response = post(
        as_owner, f"/facilitate/studies/other/judgments/{alder}/rationale", {"hidden": "1"}
    )

    assert response.status_code == 404
    assert hidden_flag(session, alder) is False
    assert post(as_owner, f"{BASE}/judgments/999999/rationale", {"hidden": "1"}).status_code == 404


# Who may do what


def test_another_facilitators_study_is_404(session, study, answered, client):
    factories.user(session, email="other@example.org", name="Olga Other")
    alder = answered[1][("Alder", "q1")]
    login(client, "other@example.org", factories.PASSWORD)

    assert client.get(BASE).status_code == 404
    assert client.get(f"{BASE}/rounds/1/rationales").status_code == 404
    for url, data in [
        (f"{BASE}/rounds/1/close", {}),
        (f"{BASE}/rounds/open-next", {}),
        (f"{BASE}/feedback-settings", {"min_answers": "7"}),
        (f"{BASE}/judgments/{alder}/rationale", {"hidden": "1"}),
    ]:
        assert post(client, url, data).status_code == 404, url
    assert states(session, study) == [(1, RoundState.OPEN)]
    assert settings(session, study) == (3, False)
    assert hidden_flag(session, alder) is False


def test_an_analyst_may_look_but_every_change_is_403(session, study, answered, client):
    analyst = factories.user(
        session, email="ana@example.org", role=Role.ANALYST, name="Ana Analyst"
    )
    share_study(session, study, analyst.email, StudyRole.ANALYST)
    alder = answered[1][("Alder", "q1")]
    login(client, "ana@example.org", factories.PASSWORD)

    page = client.get(BASE)
    assert page.status_code == 200
    assert "Close round" not in page.text and "Save feedback settings" not in page.text
    assert "shown once at least 3 experts gave one" in text_of(page)
    assert client.get(f"{BASE}/rounds/1/rationales").status_code == 403  # open: not an analyst's
    study.analysts_see_live_pools = True
    session.commit()
    rationales = client.get(f"{BASE}/rounds/1/rationales")
    assert rationales.status_code == 200
    assert "Base rates." in rationales.text and "Hide" not in rationales.text
    for url, data in [
        (f"{BASE}/rounds/1/close", {}),
        (f"{BASE}/rounds/open-next", {}),
        (f"{BASE}/feedback-settings", {"min_answers": "7"}),
        (f"{BASE}/judgments/{alder}/rationale", {"hidden": "1"}),
    ]:
        assert post(client, url, data).status_code == 403, url
    assert states(session, study) == [(1, RoundState.OPEN)]
    assert settings(session, study) == (3, False)
    assert hidden_flag(session, alder) is False


def test_an_admin_may_run_any_study(session, study, client):
    admin = factories.user(session, email="root@example.org", role=Role.ADMIN, name="Ad Min")
    open_round(session, create_round(session, study))
    login(client, "root@example.org", factories.PASSWORD)

    assert post(client, f"{BASE}/rounds/1/close").status_code == 302
    assert states(session, study) == [(1, RoundState.CLOSED)]
    assert last_action(session) == ("round.close", admin.id)


def test_a_form_without_the_csrf_token_is_refused(session, study, answered, as_owner):
    alder = answered[1][("Alder", "q1")]
    for url, data in [
        (f"{BASE}/rounds/1/close", {}),
        (f"{BASE}/rounds/open-next", {}),
        (f"{BASE}/feedback-settings", {"min_answers": "7"}),
        (f"{BASE}/judgments/{alder}/rationale", {"hidden": "1"}),
    ]:
        response = post(as_owner, url, data, token=False)
        assert response.status_code == 400, url
        assert "could not be accepted" in response.text
    assert states(session, study) == [(1, RoundState.OPEN)]
    assert settings(session, study) == (3, False)
    assert hidden_flag(session, alder) is False
