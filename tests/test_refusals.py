"""A refused request leaves the database as it was; ids beyond the database's range are 404.

Every view that can refuse is sent a request it refuses, and every table is
compared before and after. Where a service could flush work before refusing,
a stand-in service does exactly that, so the test fails if the view commits it.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from elicit import audit
from elicit.db import Base
from elicit.errors import DomainError
from elicit.facilitating import rounds as facilitating_rounds
from elicit.facilitating import views as facilitating_views
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert, issue_invitation
from elicit.rounds.services import close_round, create_round, open_round
from elicit.web import ID_MAX
from tests import factories
from tests.conftest import csrf_token, login


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table, read afresh, in primary-key order."""
    session.expire_all()
    return {
        table.name: [
            tuple(row) for row in session.execute(sa.select(table).order_by(*table.primary_key))
        ]
        for table in Base.metadata.sorted_tables
    }


@pytest.fixture
def world(session):
    """A study with one question, two experts (one invited and consenting), round 1 open."""
    owner = factories.user(session)
    study = factories.study(session, owner=owner)
    question = factories.question(session, study)
    experts = [
        add_expert(session, study, pseudonym=name, name=name, email=f"{name}@x.test")
        for name in ("Alder", "Birch")
    ]
    token = issue_invitation(session, experts[0])
    round_ = create_round(session, study)
    open_round(session, round_)
    judgment = record_judgment(
        session, experts[1], question, round_, Answer(probability=0.3, rationale="Because.")
    )
    session.commit()
    return {"study": study, "question": question, "token": token, "judgment": judgment}


@pytest.fixture
def staff(client, world):
    login(client, "fac@example.org", factories.PASSWORD)
    return client


def _post(client, url, data=None, page="/facilitate/"):
    """POST ``data`` with a valid CSRF token taken from ``page``."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client.get(page).text)})


def _flush_then_refuse(session):
    """A stand-in service: it writes an audit entry, flushes, then refuses."""

    def service(*args, **kwargs):
        audit.record(session, "stand-in.write", target="must not be committed")
        raise DomainError("refused", "refused after writing")

    return service


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("close_round", "/facilitate/studies/study/rounds/1/close"),
        ("open_next_round", "/facilitate/studies/study/rounds/open-next"),
    ],
)
def test_a_refused_round_action_commits_nothing_a_service_flushed(
    session, staff, monkeypatch, name, url
):
    monkeypatch.setattr(facilitating_rounds, name, _flush_then_refuse(session))
    before = snapshot(session)
    response = _post(staff, url)
    assert response.status_code == 302
    assert snapshot(session) == before
    assert "refused after writing" in staff.get("/facilitate/studies/study").text


def test_refused_feedback_settings_commit_nothing_a_service_flushed(session, staff, monkeypatch):
    monkeypatch.setattr(facilitating_views, "update_settings", _flush_then_refuse(session))
    before = snapshot(session)
    response = _post(staff, "/facilitate/studies/study/feedback-settings", {"min_answers": "4"})
    assert response.status_code == 400
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        ("/facilitate/studies/study/feedback-settings", {"min_answers": "0"}, 400),
        ("/facilitate/studies/study/feedback-settings", {"min_answers": "many"}, 400),
        ("/facilitate/studies/study/rounds/2/close", {}, 404),
        ("/facilitate/studies/nope/rounds/open-next", {}, 404),
    ],
)
def test_refused_facilitator_requests_change_nothing(session, staff, url, data, status):
    before = snapshot(session)
    assert _post(staff, url, data).status_code == status
    assert snapshot(session) == before


def test_a_refused_rationale_change_changes_nothing(session, staff, world):
    before = snapshot(session)
    url = f"/facilitate/studies/study/judgments/{world['judgment'].id}/rationale"
    assert _post(staff, url, {"hidden": "maybe"}).status_code == 400
    assert snapshot(session) == before


def test_refused_logins_change_nothing(session, client, world):
    before = snapshot(session)
    page = client.get("/login").text
    response = client.post(
        "/login",
        data={
            "email": "fac@example.org",
            "password": "wrong password",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 401
    # Only the failure is counted toward the account's lockout (tests/test_login_throttle.py).
    after = snapshot(session)
    [(_key, failures, *_times)] = after.pop("login_throttles")
    assert failures == 1 and before.pop("login_throttles") == []
    assert after == before


def test_refused_expert_requests_change_nothing(session, client, world):
    before = snapshot(session)
    assert client.get("/invite/not-a-token").status_code == 404
    assert snapshot(session) == before

    assert client.get(f"/invite/{world['token']}").status_code == 302
    before = snapshot(session)  # the link's last use is recorded: that is not a refusal
    welcome = client.get("/expert/")
    refused = client.post("/expert/consent", data={"csrf_token": csrf_token(welcome.text)})
    assert refused.status_code == 400
    assert snapshot(session) == before

    client.post("/expert/consent", data={"csrf_token": csrf_token(welcome.text), "agree": "y"})
    before = snapshot(session)
    page = client.get("/expert/round").text
    question = world["question"].id
    late = client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(question): {"probability": 7}}},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert late.status_code == 400
    assert snapshot(session) == before


def test_a_submission_refused_by_the_round_changes_nothing(session, client, world):
    client.get(f"/invite/{world['token']}")
    welcome = client.get("/expert/")
    client.post("/expert/consent", data={"csrf_token": csrf_token(welcome.text), "agree": "y"})
    page = client.get("/expert/round").text
    question = world["question"].id
    close_round(session, world["study"].rounds[0])
    session.commit()
    before = snapshot(session)
    response = client.post(
        "/expert/rounds/1/answers",
        data={
            "csrf_token": csrf_token(page),
            f"q{question}-present": "1",
            f"q{question}-probability": "35",
            "action": "submit",
        },
    )
    assert response.status_code == 409
    assert 'value="35"' in response.text
    assert snapshot(session) == before


TOO_BIG = [ID_MAX + 1, 2**63, 10**30]


@pytest.mark.parametrize("number", TOO_BIG)
def test_ids_beyond_the_databases_range_in_urls_are_404(staff, client, world, number):
    assert staff.get(f"/facilitate/studies/study/rounds/{number}/rationales").status_code == 404
    assert _post(staff, f"/facilitate/studies/study/rounds/{number}/close").status_code == 404
    url = f"/facilitate/studies/study/judgments/{number}/rationale"
    assert _post(staff, url, {"hidden": "1"}).status_code == 404


@pytest.mark.parametrize("number", TOO_BIG)
def test_ids_beyond_the_databases_range_in_field_names_are_ignored(session, client, world, number):
    client.get(f"/invite/{world['token']}")
    welcome = client.get("/expert/")
    client.post("/expert/consent", data={"csrf_token": csrf_token(welcome.text), "agree": "y"})
    page = client.get("/expert/round").text
    assert client.get(f"/expert/rounds/{number}/receipt").status_code == 404
    before = snapshot(session)
    response = client.post(
        "/expert/rounds/1/answers",
        data={
            "csrf_token": csrf_token(page),
            f"q{number}-present": "1",
            f"q{number}-probability": "35",
            "action": "draft",
        },
    )
    assert response.status_code == 302
    assert snapshot(session) == before
