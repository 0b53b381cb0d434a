"""Two-factor login for staff: setting it up, the code after the password, no code accepted
twice, and admins required to have it when configured."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from elicit.accounts.forms import CodeForm
from elicit.accounts.models import LoginThrottle, Role
from elicit.accounts.throttle import account_key
from elicit.accounts.two_factor_views import PENDING_KEY
from elicit.audit import AuditEvent
from tests import factories
from tests.conftest import csrf_token, login

CONSOLE = "/facilitate/"
ENROL = "/login/two-factor"
CODE = "/login/code"
OFF = "/login/two-factor/off"


@pytest.fixture
def staff(session):
    users = {
        "facilitator": factories.user(session),
        "admin": factories.user(session, email="ada@example.org", role=Role.ADMIN, name="Ada"),
    }
    session.commit()
    return users


def secret_of(page: str) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert match, page
    return match.group(1)


def send_code(client, url: str, code: str):
    page = client.get(url)
    return client.post(url, data={"code": code, "csrf_token": csrf_token(page.text)})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def enrol(client) -> str:
    """Set up two-factor login for the logged-in ``client``; return the secret."""
    page = client.get(ENROL)
    secret = secret_of(page.text)
    assert "otpauth://totp/elicit:" in page.text
    done = client.post(
        ENROL, data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(page.text)}
    )
    assert done.status_code == 302
    return secret


def test_a_logged_in_user_sets_up_two_factor_login_with_a_first_code(client, staff, session):
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get(ENROL)
    secret = secret_of(page.text)
    refused = client.post(
        ENROL,
        data={"code": wrong(pyotp.TOTP(secret).now()), "csrf_token": csrf_token(page.text)},
    )
    assert refused.status_code == 400 and 'id="code-error"' in refused.text
    assert secret_of(refused.text) == secret  # the same secret until it is confirmed
    session.expire_all()
    assert staff["facilitator"].totp_secret is None
    assert enrol(client) == secret
    session.expire_all()
    assert staff["facilitator"].totp_secret == secret


def test_login_then_asks_for_a_code_and_accepts_each_code_once(app, client, staff, session):
    login(client, "fac@example.org", factories.PASSWORD)
    secret = enrol(client)
    client.post("/logout", data={"csrf_token": csrf_token(client.get(CONSOLE).text)})

    waiting = login(client, "fac@example.org", factories.PASSWORD)
    assert waiting.status_code == 302 and waiting.location.endswith(CODE)
    assert client.get(CONSOLE).status_code == 302  # not logged in by the password alone
    bad = send_code(client, CODE, wrong(pyotp.TOTP(secret).now()))
    assert bad.status_code == 401 and "That code is not right." in bad.text
    session.expire_all()
    assert session.get(LoginThrottle, account_key("fac@example.org")).failures == 1

    # The code confirming the set-up was used already; the next step's code is not.
    totp = pyotp.TOTP(secret)
    later = totp.at(totp.timecode(time.time()) * 30 + 30)
    good = send_code(client, CODE, later)
    assert good.status_code == 302 and good.location.endswith(CONSOLE)
    assert client.get(CONSOLE).status_code == 200
    session.expire_all()
    assert session.get(LoginThrottle, account_key("fac@example.org")) is None

    other = app.test_client()
    login(other, "fac@example.org", factories.PASSWORD)
    replayed = send_code(other, CODE, later)
    assert replayed.status_code == 401
    assert other.get(CONSOLE).status_code == 302


def test_the_code_page_needs_a_right_password_just_before(client, staff):
    login(client, "fac@example.org", factories.PASSWORD)
    enrol(client)
    client.post("/logout", data={"csrf_token": csrf_token(client.get(CONSOLE).text)})
    assert client.get(CODE).location.endswith("/login")
    login(client, "fac@example.org", factories.PASSWORD)
    with client.session_transaction() as held:
        pending = dict(held[PENDING_KEY])
        pending["at"] -= 301
        held[PENDING_KEY] = pending
    assert client.get(CODE).location.endswith("/login")


def test_admins_must_set_it_up_when_so_configured(app, client, staff, session):
    app.config["REQUIRE_ADMIN_2FA"] = True
    try:
        # A facilitator without it logs in as before.
        assert login(client, "fac@example.org", factories.PASSWORD).location.endswith(CONSOLE)
        client.post("/logout", data={"csrf_token": csrf_token(client.get(CONSOLE).text)})

        sent = login(client, "ada@example.org", factories.PASSWORD)
        assert sent.status_code == 302 and sent.location.endswith(ENROL)
        assert client.get(CONSOLE).status_code == 302
        page = client.get(ENROL)
        assert "Admins must log in with two factors" in page.text
        secret = secret_of(page.text)
        done = client.post(
            ENROL, data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(page.text)}
        )
        assert done.status_code == 302 and done.location.endswith(CONSOLE)
        assert client.get(CONSOLE).status_code == 200
        session.expire_all()
        assert staff["admin"].totp_secret == secret
    finally:
        app.config["REQUIRE_ADMIN_2FA"] = False


def test_without_a_right_password_the_set_up_page_lets_nobody_in(app, client, staff):
    app.config["REQUIRE_ADMIN_2FA"] = True
    try:
        assert client.get(ENROL).location.endswith("/login")
        login(client, "ada@example.org", "not the password")
        assert client.get(ENROL).location.endswith("/login")
    finally:
        app.config["REQUIRE_ADMIN_2FA"] = False


def test_a_right_password_cannot_replace_an_admins_secret_to_skip_the_code(
    app, client, staff, session
):
    admin = staff["admin"]
    admin.totp_secret = kept = pyotp.random_base32()
    session.commit()
    app.config["REQUIRE_ADMIN_2FA"] = True
    try:
        assert login(client, "ada@example.org", factories.PASSWORD).location.endswith(CODE)
        sent = client.get(ENROL)
        assert sent.status_code == 302 and sent.location.endswith(CODE)
        assert "totp-secret" not in client.get(ENROL, follow_redirects=True).text
        assert client.get(CONSOLE).status_code == 302
        session.expire_all()
        assert admin.totp_secret == kept
    finally:
        app.config["REQUIRE_ADMIN_2FA"] = False


def next_code(secret: str) -> str:
    """Return the code of the step after now: the one now was used to set the app up."""
    totp = pyotp.TOTP(secret)
    return totp.at(totp.timecode(time.time()) * 30 + 30)


def test_the_secret_being_set_up_is_kept_on_the_server_not_in_the_cookie(client, staff, session):
    login(client, "fac@example.org", factories.PASSWORD)
    secret = secret_of(client.get(ENROL).text)
    assert secret_of(client.get(ENROL).text) == secret  # a reload shows the same one
    with client.session_transaction() as held:
        assert secret not in repr(dict(held))
    session.expire_all()
    assert staff["facilitator"].totp_pending_secret == secret
    enrol(client)
    session.expire_all()
    assert staff["facilitator"].totp_pending_secret is None


def test_each_browser_is_shown_a_secret_of_its_own_and_the_others_are_logged_out(
    app, client, staff, session
):
    """A secret read in another session (say, one left open) is never the one turned on."""
    other = app.test_client()
    for browser in (client, other):
        login(browser, "fac@example.org", factories.PASSWORD)
    mine = client.get(ENROL)
    seen_elsewhere = secret_of(other.get(ENROL).text)
    assert secret_of(mine.text) != seen_elsewhere
    late = client.post(
        ENROL,
        data={"code": pyotp.TOTP(secret_of(mine.text)).now(), "csrf_token": csrf_token(mine.text)},
    )
    assert late.status_code == 400  # the other browser's visit replaced it
    fresh = secret_of(late.text)
    assert fresh not in (seen_elsewhere, secret_of(mine.text))
    done = client.post(
        ENROL, data={"code": pyotp.TOTP(fresh).now(), "csrf_token": csrf_token(late.text)}
    )
    assert done.status_code == 302
    session.expire_all()
    assert staff["facilitator"].totp_secret == fresh
    assert client.get(CONSOLE).status_code == 200
    assert other.get(CONSOLE).status_code == 302  # its session ended


def test_a_locked_out_account_cannot_change_two_factor_login(client, staff, session):
    login(client, "fac@example.org", factories.PASSWORD)
    secret = enrol(client)
    page = client.get(OFF)
    data = {"csrf_token": csrf_token(page.text), "password": "not the password"}
    data["current_code"] = next_code(secret)
    answers = [client.post(OFF, data=data).status_code for _ in range(6)]
    assert answers == [400] * 5 + [429]
    locked = client.post(OFF, data={**data, "password": factories.PASSWORD})
    assert locked.status_code == 429 and "Try again in about" in locked.text
    session.expire_all()
    assert staff["facilitator"].totp_secret == secret


def test_moving_to_a_new_app_asks_the_password_and_a_code_of_the_current_one(
    client, staff, session
):
    login(client, "fac@example.org", factories.PASSWORD)
    old = enrol(client)
    page = client.get(ENROL)
    new = secret_of(page.text)
    assert new != old and 'name="current_code"' in page.text
    token = csrf_token(page.text)

    def post(**fields):
        return client.post(ENROL, data={"csrf_token": token, **fields})

    only_new = post(code=pyotp.TOTP(new).now())
    assert only_new.status_code == 400 and 'id="password-error"' in only_new.text
    assert 'id="current_code-error"' in only_new.text
    bad_password = post(
        password="not the password", current_code=next_code(old), code=pyotp.TOTP(new).now()
    )
    assert bad_password.status_code == 400 and "That is not your password." in bad_password.text
    bad_code = post(
        password=factories.PASSWORD,
        current_code=wrong(next_code(old)),
        code=pyotp.TOTP(new).now(),
    )
    assert bad_code.status_code == 400 and 'id="current_code-error"' in bad_code.text
    assert secret_of(bad_code.text) == new
    session.expire_all()
    assert staff["facilitator"].totp_secret == old
    assert session.get(LoginThrottle, account_key("fac@example.org")).failures == 2

    moved = post(
        password=factories.PASSWORD, current_code=next_code(old), code=pyotp.TOTP(new).now()
    )
    assert moved.status_code == 302
    session.expire_all()
    assert staff["facilitator"].totp_secret == new
    assert staff["facilitator"].totp_pending_secret is None


def step_with_time_left(seconds: float = 10) -> None:
    """Wait, if need be, until the current 30-second code step has ``seconds`` left.

    A test that sends codes of the previous and the current step would fail
    if a step ended between taking a code and the server checking it.
    """
    left = 30 - time.time() % 30
    if left < seconds:
        time.sleep(left + 0.1)


def test_turning_it_off_asks_the_password_and_a_current_code(app, client, staff, session):
    step_with_time_left()
    staff["facilitator"].totp_secret = secret = pyotp.random_base32()
    session.commit()
    totp = pyotp.TOTP(secret)
    elsewhere = app.test_client()
    for browser, code in ((client, totp.at(time.time() - 30)), (elsewhere, totp.now())):
        login(browser, "fac@example.org", factories.PASSWORD)
        assert send_code(browser, CODE, code).status_code == 302
    page = client.get(OFF)
    assert page.status_code == 200 and 'name="password"' in page.text
    token = csrf_token(page.text)
    refused = client.post(
        OFF,
        data={
            "csrf_token": token,
            "password": factories.PASSWORD,
            "current_code": wrong(next_code(secret)),
        },
    )
    assert refused.status_code == 400 and "That code is not right." in refused.text
    assert 'value="' + factories.PASSWORD not in refused.text  # a password is not shown again
    session.expire_all()
    assert staff["facilitator"].totp_secret == secret

    done = client.post(
        OFF,
        data={
            "csrf_token": token,
            "password": factories.PASSWORD,
            "current_code": next_code(secret),
        },
    )
    assert done.status_code == 302
    assert elsewhere.get(CONSOLE).status_code == 302  # every other session ended
    session.expire_all()
    assert staff["facilitator"].totp_secret is None
    assert session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.two_factor_off",
            AuditEvent.target_user_id == staff["facilitator"].id,
        )
    )
    client.post("/logout", data={"csrf_token": csrf_token(client.get(CONSOLE).text)})
    assert login(client, "fac@example.org", factories.PASSWORD).location.endswith(CONSOLE)


def test_an_admin_who_must_have_it_cannot_turn_it_off(app, client, staff, session):
    admin = staff["admin"]
    admin.totp_secret = kept = pyotp.random_base32()
    session.commit()
    app.config["REQUIRE_ADMIN_2FA"] = True
    try:
        login(client, "ada@example.org", factories.PASSWORD)
        assert send_code(client, CODE, pyotp.TOTP(kept).now()).status_code == 302
        page = client.get(OFF)
        assert "cannot be turned off" in page.text and 'name="password"' not in page.text
        posted = client.post(
            OFF,
            data={
                "csrf_token": csrf_token(page.text),
                "password": factories.PASSWORD,
                "current_code": next_code(kept),
            },
        )
        assert posted.status_code == 403
        session.expire_all()
        assert admin.totp_secret == kept
    finally:
        app.config["REQUIRE_ADMIN_2FA"] = False


@pytest.fixture(scope="module")
def form_context(app):
    with app.test_request_context("/", method="POST"):
        yield


@given(st.text(max_size=20))
def test_the_code_form_takes_six_digits_optionally_split_by_a_space(form_context, text):
    form = CodeForm(formdata=MultiDict({"code": text}), meta={"csrf": False})
    expected = re.fullmatch(r"\s*[0-9]{3} ?[0-9]{3}\s*", text) is not None
    assert form.validate() is expected
