"""Sessions that really end: a copied cookie replayed after logout, "Leave" or deactivation
gets nothing; logging in and redeeming a link start a new session; idle and absolute timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from elicit.accounts.models import LoginSession, Role
from elicit.accounts.services import set_active
from elicit.accounts.sessions import SEEN_KEY, SID_KEY, hash_sid
from elicit.db import utcnow
from tests import factories
from tests import test_expert_journey as journey
from tests.conftest import csrf_token, login

panel = journey.panel
CONSOLE = "/facilitate/"


def cookie(client) -> str:
    """The value of ``client``'s session cookie."""
    found = client.get_cookie("session")
    assert found is not None
    return found.value


def replay(client, value: str) -> None:
    """Put a copied session cookie back into ``client``, as an attacker holding it would."""
    client.set_cookie("session", value)


def held(client) -> dict:
    """What ``client``'s session cookie holds."""
    with client.session_transaction() as session:
        return dict(session)


@pytest.fixture
def staff(session):
    admin = factories.user(session, email="ada@example.org", role=Role.ADMIN, name="Ada Admin")
    facilitator = factories.user(session)
    session.commit()
    return {"admin": admin, "facilitator": facilitator}


def signed_in(client) -> bool:
    """Whether ``client`` gets the staff console (rather than being sent to log in)."""
    return client.get(CONSOLE).status_code == 200


def test_a_cookie_replayed_after_logout_gets_nothing(client, staff, session):
    assert login(client, "fac@example.org", factories.PASSWORD).status_code == 302
    copied = cookie(client)
    assert signed_in(client)
    page = client.get(CONSOLE).text
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert not signed_in(client)
    replay(client, copied)
    response = client.get(CONSOLE)
    assert response.status_code == 302 and "/login" in response.location
    assert session.scalars(sa.select(LoginSession)).all() == []


def test_an_expert_cookie_replayed_after_leaving_gets_nothing(client, panel, session):
    journey.enter(client, panel["tokens"][0])
    copied = cookie(client)
    page = client.get("/expert/round")
    assert page.status_code == 200
    left = client.post("/expert/leave", data={"csrf_token": csrf_token(page.text)})
    assert left.status_code == 200
    replay(client, copied)
    refused = client.get("/expert/round")
    assert refused.status_code == 401 and "Open your invitation link again" in refused.text
    # A form sent with the copied cookie and its page's token is shown back, not saved.
    binary = panel["questions"][0]
    values = {binary: {"probability": "12", "rationale": "replayed"}}
    sent = client.post("/expert/rounds/1/answers", data=journey.form(page.text, [binary], values))
    assert sent.status_code == 401 and "replayed" in sent.text
    assert journey.judgments(session, panel["experts"][0]) == []


def test_deactivating_an_account_ends_every_session_it_has(app, client, staff, session):
    other = app.test_client()
    for browser in (client, other):
        assert login(browser, "fac@example.org", factories.PASSWORD).status_code == 302
        assert signed_in(browser)
    count = sa.select(sa.func.count()).select_from(LoginSession)
    assert session.scalar(count.where(LoginSession.user_id == staff["facilitator"].id)) == 2
    set_active(session, staff["facilitator"], False, actor=staff["admin"])
    session.commit()
    assert not signed_in(client) and not signed_in(other)
    assert session.scalar(count.where(LoginSession.user_id == staff["facilitator"].id)) == 0
    # Reactivated, the account must log in again: the old cookies stay dead.
    set_active(session, staff["facilitator"], True, actor=staff["admin"])
    session.commit()
    assert not signed_in(client)


def test_the_cli_deactivation_ends_sessions_too(client, runner, staff):
    assert login(client, "fac@example.org", factories.PASSWORD).status_code == 302
    result = runner.invoke(args=["users", "deactivate", "fac@example.org"])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)


def test_login_starts_a_new_session_with_a_new_csrf_token(client, staff):
    page = client.get("/login").text
    before = held(client)
    assert SID_KEY not in before and "csrf_token" in before
    data = {"email": "fac@example.org", "password": factories.PASSWORD}
    client.post("/login", data={**data, "csrf_token": csrf_token(page)})
    assert "csrf_token" not in held(client)
    console = client.get(CONSOLE).text
    after = held(client)
    assert after[SID_KEY] and after["csrf_token"] != before["csrf_token"]
    assert csrf_token(console) != csrf_token(page)
    # A second login (another tab) gets yet another session id.
    client.post("/logout", data={"csrf_token": csrf_token(console)})
    login(client, "fac@example.org", factories.PASSWORD)
    assert held(client)[SID_KEY] != after[SID_KEY]


def test_a_planted_session_is_not_carried_into_a_link_redemption(client, panel, session):
    client.get("/login")
    with client.session_transaction() as planted:
        planted["csrf_token"] = "planted-by-someone-else"
        planted["locale"] = "pl"
    client.get(f"/invite/{panel['tokens'][0]}")
    client.get("/expert/")
    first = held(client)
    assert first["csrf_token"] != "planted-by-someone-else" and first["locale"] == "pl"
    client.get(f"/invite/{panel['tokens'][0]}")
    client.get("/expert/")
    second = held(client)
    assert second[SID_KEY] != first[SID_KEY]
    assert second.get("csrf_token") != first["csrf_token"]
    # The first session is over on the server as well.
    assert session.get(LoginSession, hash_sid(first[SID_KEY])) is None


def test_a_signed_in_cookie_without_a_server_session_is_refused(client, staff):
    client.get("/login")
    with client.session_transaction() as forged:
        forged["_user_id"] = str(staff["admin"].id)
        forged["_fresh"] = True
    assert not signed_in(client)


def test_an_idle_session_ends(app, client, staff):
    login(client, "fac@example.org", factories.PASSWORD)
    idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    with client.session_transaction() as session:
        session[SEEN_KEY] -= int(idle) - 120
    assert signed_in(client)
    with client.session_transaction() as session:
        session[SEEN_KEY] -= int(idle) + 60
    assert not signed_in(client)


def test_the_cookie_is_sent_again_only_when_its_session_changed(client, staff):
    login(client, "fac@example.org", factories.PASSWORD)
    client.get(CONSOLE)  # the page's form puts a CSRF secret in the session
    response = client.get(CONSOLE)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with client.session_transaction() as session:
        session[SEEN_KEY] -= 61
    before = held(client)[SEEN_KEY]
    response = client.get(CONSOLE)
    assert response.status_code == 200 and "session=" in response.headers["Set-Cookie"]
    assert "Expires=" in response.headers["Set-Cookie"] and held(client)[SEEN_KEY] >= before + 61


def test_a_busy_session_still_ends_after_its_lifetime(app, client, staff, session):
    login(client, "fac@example.org", factories.PASSWORD)
    row = session.get(LoginSession, hash_sid(held(client)[SID_KEY]))
    row.created_at = utcnow() - app.permanent_session_lifetime + timedelta(minutes=5)
    session.commit()
    assert signed_in(client)
    row.created_at = utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)
    session.commit()
    assert not signed_in(client)


def test_an_open_page_takes_up_the_new_session_only_for_its_own_expert(client, panel, session):
    journey.enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    first, second = panel["experts"][0], panel["experts"][1]
    client.post("/expert/leave", data={"csrf_token": csrf_token(page)})
    ended = client.get(f"/expert/session-token?expert={first.id}")
    assert ended.status_code == 401 and ended.json["error"]["code"] == "session_ended"
    journey.enter(client, panel["tokens"][1])
    other = client.get(f"/expert/session-token?expert={first.id}")
    assert other.status_code == 409 and other.json["error"]["code"] == "other_expert"
    own = client.get(f"/expert/session-token?expert={second.id}")
    assert own.status_code == 200 and own.json["csrf_token"]
    # The autosave of the first expert's page, sent with the second's session, is refused.
    binary = panel["questions"][0]
    refused = client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(binary.id): {"probability": "5"}}},
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert refused.status_code == 401
