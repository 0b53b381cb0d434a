"""Cloning, archiving and a question's page, through the browser, for every role.

Owner and admin may do everything; a co-facilitator everything but archive;
an analyst nothing (403); a stranger gets 404. Every refusal changes nothing.
"""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import open_next_round
from elicit.studies.models import Question, QuestionKind, Study
from elicit.studies.services import archive_study, find_study
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_facilitate_controls import text_of
from tests.test_refusals import snapshot

BASE = "/facilitate/studies/study"
EMAILS = {
    "owner": "fac@example.org",
    "co": "co@example.org",
    "analyst": "an@example.org",
    "stranger": "other@example.org",
    "admin": "admin@example.org",
}


@pytest.fixture
def study(session):
    owner = factories.user(session)
    study = factories.study(session, owner=owner)
    factories.question(session, study, "q1")
    factories.question(session, study, "q2", kind=QuestionKind.QUANTITY, lower_bound=0.0)
    for role, user_role in (("co", Role.FACILITATOR), ("analyst", Role.ANALYST)):
        factories.user(session, EMAILS[role], role=user_role, name=role)
    factories.user(session, EMAILS["stranger"], name="Stranger")
    factories.user(session, EMAILS["admin"], role=Role.ADMIN, name="Admin")
    share_study(session, study, EMAILS["co"], StudyRole.CO_FACILITATOR)
    share_study(session, study, EMAILS["analyst"], StudyRole.ANALYST)
    session.commit()
    return study


def as_(client, who: str):
    login(client, EMAILS[who], factories.PASSWORD)
    return client


def post(client, url, data=None, follow=False):
    token = csrf_token(client.get("/facilitate/").text)
    return client.post(url, data={**(data or {}), "csrf_token": token}, follow_redirects=follow)


def edit_data(**changes) -> dict:
    """A complete, valid edit of the binary question q1."""
    return {
        "title": "Will it, really?",
        "background": "Some context.",
        "resolution_criterion": "It does.",
        "resolution_source": "Records",
        "close_date": "2027-01-31",
        "resolve_by": "2027-12-31",
    } | changes


def open_round_1(session, study):
    factories.expert(session, study, "Zelkova")
    open_next_round(session, study)
    session.commit()


# The table of role x URL x status

ARCHIVED = {"archived": True}


@pytest.mark.parametrize(
    ("method", "url", "data", "statuses", "state"),
    [
        ("get", f"{BASE}/questions/q1", None, (200, 200, 403, 404, 200), {}),
        ("post", f"{BASE}/questions/q1", edit_data(), (302, 302, 403, 404, 302), {}),
        (
            "post",
            f"{BASE}/clone",
            {"clone-slug": "copy", "clone-title": "C"},
            (302, 302, 403, 404, 302),
            {},
        ),
        ("post", f"{BASE}/archive", None, (302, 403, 403, 404, 302), {}),
        ("post", f"{BASE}/unarchive", None, (302, 403, 403, 404, 302), ARCHIVED),
        (
            "post",
            f"{BASE}/questions/q1/withdraw",
            {"reason": "Bad."},
            (302, 302, 403, 404, 302),
            {},
        ),
        ("get", f"{BASE}/questions/nope", None, (404, 404, 403, 404, 404), {}),
    ],
)
@pytest.mark.parametrize("who", ["owner", "co", "analyst", "stranger", "admin"])
def test_who_may_do_what(client, session, study, method, url, data, statuses, state, who):
    if state.get("archived"):
        archive_study(session, study)
        session.commit()
    as_(client, who)
    expected = statuses[list(EMAILS).index(who)]
    before = snapshot(session)
    response = client.get(url) if method == "get" else post(client, url, data)
    assert response.status_code == expected
    if method == "post" and expected != 302:
        assert snapshot(session) == before


# Cloning


def test_a_co_facilitator_clones_the_study_and_owns_the_copy(client, session, study):
    as_(client, "co")
    page = client.get(BASE)
    assert 'name="clone-slug"' in page.text and 'value="study-copy"' in page.text
    response = post(client, f"{BASE}/clone", {"clone-slug": "copy", "clone-title": "A copy"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/copy")
    session.expire_all()
    copy = find_study(session, "copy")
    assert copy.owner.email == EMAILS["co"] and copy.title == "A copy"
    assert [q.key for q in copy.questions] == ["q1", "q2"]
    assert "This is a copy of Study study" in text_of(client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"clone-slug": "study", "clone-title": "T"}, "clone-slug", "a study called 'study'"),
        ({"clone-slug": "Bad Slug", "clone-title": "T"}, "clone-slug", "'Bad Slug' must be"),
        ({"clone-slug": "", "clone-title": "T"}, "clone-slug", "Enter a short name"),
        ({"clone-slug": "fine", "clone-title": ""}, "clone-title", "Enter a title"),
    ],
)
def test_a_refused_clone_shows_why_beside_the_field(client, session, study, data, field, message):
    as_(client, "owner")
    before = snapshot(session)
    response = post(client, f"{BASE}/clone", data)
    assert response.status_code == 400
    assert "The study was not copied" in text_of(response)
    assert f'id="{field}-error">{message}' in html.unescape(response.text)
    assert snapshot(session) == before


# Archiving


def test_an_archived_study_is_read_only_listed_apart_and_unarchived_by_its_owner(
    client, session, study
):
    as_(client, "owner")
    archived = post(client, f"{BASE}/archive", follow=True)
    assert "The study is archived" in text_of(archived)
    assert "Unarchive the study" in archived.text
    assert "Open round 1" not in archived.text and "Save feedback settings" not in archived.text
    assert f"{BASE}/questions/q1" not in archived.text
    index = client.get("/facilitate/").text
    assert index.index("Archived</h2>") < index.index(f'href="{BASE}"')

    before = snapshot(session)
    for url, data in [
        (f"{BASE}/rounds/open-next", None),
        (f"{BASE}/feedback-settings", {"min_answers": "4"}),
        (f"{BASE}/anonymity", {"anonymity": "anonymous_to_staff"}),
        (f"{BASE}/questions/q1", edit_data()),
        (f"{BASE}/questions/q1/withdraw", {"reason": "Bad."}),
        (f"{BASE}/archive", None),
    ]:
        refused = post(client, url, data)
        assert refused.status_code == 403, url
        assert "This study is archived, so nothing in it can change." in text_of(refused)
    assert snapshot(session) == before

    copied = post(client, f"{BASE}/clone", {"clone-slug": "from-archive", "clone-title": "C"})
    assert copied.status_code == 302
    unarchived = post(client, f"{BASE}/unarchive", follow=True)
    assert "no longer archived" in text_of(unarchived)
    session.expire_all()
    assert find_study(session, "study").archived_at is None
    assert "Open round 1" in unarchived.text


def test_archiving_is_refused_while_a_round_is_open(client, session, study):
    open_round_1(session, study)
    as_(client, "owner")
    before = snapshot(session)
    response = post(client, f"{BASE}/archive", follow=True)
    assert "The study was not archived: round 1 is still open; close it first." in text_of(response)
    assert snapshot(session) == before


# A question's page


def test_a_draft_question_is_edited_on_its_page(client, session, study):
    as_(client, "co")
    page = client.get(f"{BASE}/questions/q1")
    assert "Save the question" in page.text and "Withdraw the question" not in page.text
    assert 'value="2027-01-31"' in page.text
    saved = post(client, f"{BASE}/questions/q1", edit_data())
    assert saved.status_code == 302
    session.expire_all()
    question = session.scalar(sa.select(Question).where(Question.key == "q1"))
    assert (question.title, question.background) == ("Will it, really?", "Some context.")


def test_a_quantity_is_edited_with_its_options(client, session, study):
    as_(client, "owner")
    page = client.get(f"{BASE}/questions/q2")
    assert 'value="0.05, 0.5, 0.95"' in page.text
    data = edit_data(unit="monitors", quantiles="0.1, 0.5, 0.9", lower_bound="1", scale="log")
    assert post(client, f"{BASE}/questions/q2", data).status_code == 302
    session.expire_all()
    question = session.scalar(sa.select(Question).where(Question.key == "q2"))
    assert (question.unit, question.quantiles, question.lower_bound) == (
        "monitors",
        [0.1, 0.5, 0.9],
        1.0,
    )
    assert question.scale.value == "log" and question.upper_bound is None


@pytest.mark.parametrize(
    ("key", "changes", "field", "message"),
    [
        ("q1", {"title": ""}, "title", "Enter the question experts will read."),
        ("q1", {"close_date": "31/01/2027"}, "close_date", "Enter a date as YYYY-MM-DD."),
        ("q1", {"close_date": "2028-01-31"}, "close_date", "the closing date must not be after"),
        ("q2", {"unit": "u", "quantiles": "a, b", "scale": "linear"}, "quantiles", "Enter "),
        ("q2", {"unit": "u", "quantiles": "0.9, 0.1", "scale": "linear"}, "quantiles", "enter "),
        ("q2", {"unit": "u", "lower_bound": "lots", "scale": "linear"}, "lower_bound", "Enter"),
        ("q2", {"unit": "u", "quantiles": "0.5, 0.9"}, "scale", "choose a linear or a log"),
    ],
)
def test_a_refused_edit_shows_why_beside_the_field(
    client, session, study, key, changes, field, message
):
    as_(client, "owner")
    before = snapshot(session)
    response = post(client, f"{BASE}/questions/{key}", edit_data(**changes))
    assert response.status_code == 400
    assert "Nothing was changed" in text_of(response)
    assert f'id="{field}-error">{message}' in response.text
    assert f'href="#{field}"' in response.text
    assert snapshot(session) == before


def test_once_asked_the_page_offers_withdrawal_and_a_correction_instead(client, session, study):
    expert = add_expert(session, study, pseudonym="Alder", name="A", email="a@x.test")
    open_round_1(session, study)
    record_judgment(session, expert, study.questions[0], study.rounds[0], Answer(probability=0.3))
    session.commit()
    as_(client, "owner")
    study_page = client.get(BASE).text
    assert "Withdraw or correct" in study_page
    page = client.get(f"{BASE}/questions/q1")
    assert "Save the question" not in page.text
    assert "Withdraw the question" in page.text and "Add the corrected question" in page.text
    assert 'value="q1-v2"' in page.text

    before = snapshot(session)
    refused = post(client, f"{BASE}/questions/q1", edit_data())
    assert refused.status_code == 400
    assert "was asked in round 1, so it can no longer be edited" in text_of(refused)
    no_reason = post(client, f"{BASE}/questions/q1/withdraw", {"reason": " "})
    assert no_reason.status_code == 400
    assert 'id="reason-error">' in no_reason.text
    assert snapshot(session) == before

    withdrawn = post(client, f"{BASE}/questions/q1/withdraw", {"reason": "Ambiguous."}, True)
    assert "Question q1 is withdrawn" in text_of(withdrawn)
    study_page = text_of(client.get(BASE))
    assert "withdrawn" in study_page and "Ambiguous. Its answers are kept" in study_page
    assert "1 answer" in study_page

    corrected = post(
        client, f"{BASE}/questions/q1/correct", edit_data(key="q1-v2", title="Will it, by May?")
    )
    assert corrected.status_code == 302
    session.expire_all()
    keys = session.scalars(
        sa.select(Question.key).where(Question.study_id == study.id).order_by(Question.position)
    ).all()
    assert keys == ["q1", "q1-v2", "q2"]
    added = session.scalar(sa.select(Question).where(Question.key == "q1-v2"))
    assert added.first_round == 2 and added.title == "Will it, by May?"
    assert "asked from round 2" in text_of(client.get(BASE))


def test_a_refused_correction_shows_why_and_adds_nothing(client, session, study):
    factories.question(session, study, "taken")
    open_round_1(session, study)
    as_(client, "co")
    before = snapshot(session)
    taken = post(client, f"{BASE}/questions/q1/correct", edit_data(key="taken"))
    assert taken.status_code == 400
    assert "the study already has a question with the id 'taken'" in html.unescape(taken.text)
    missing = post(client, f"{BASE}/questions/q1/correct", edit_data(key="", title=""))
    assert missing.status_code == 400
    assert 'id="key-error">' in missing.text and 'id="title-error">' in missing.text
    assert snapshot(session) == before


def test_a_correction_before_the_question_is_asked_is_refused(client, session, study):
    as_(client, "owner")
    before = snapshot(session)
    response = post(client, f"{BASE}/questions/q1/correct", edit_data(key="q1-v2"))
    assert response.status_code == 400
    assert "has not been asked yet; edit it instead" in text_of(response)
    assert snapshot(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(Study)) == 1
