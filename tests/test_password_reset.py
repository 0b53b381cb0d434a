"""Password reset by e-mail: through the outbox, single use, short-lived, no user enumeration;
and the login and reset forms' validators, as properties."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from elicit.accounts.forms import LoginForm, ResetPasswordForm
from elicit.accounts.models import LoginSession, PasswordReset, Role
from elicit.accounts.passwords import MIN_LENGTH
from elicit.accounts.resets import RESET_PATH, hash_reset_token
from elicit.accounts.services import authenticate
from elicit.db import utcnow
from elicit.mail.models import MessageKind, OutboxMessage
from elicit.mail.sender import send_queued
from tests import factories
from tests.conftest import csrf_token, login

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def staff(session):
    user = factories.user(session)
    factories.user(session, email="gus@example.org", name="Gus Gone").active = False
    factories.user(session, email="ada@example.org", role=Role.ADMIN, name="Ada Admin")
    session.commit()
    return user


def ask(client, email: str):
    """Ask for a reset link for ``email`` through the form."""
    page = client.get("/password/forgot")
    return client.post(
        "/password/forgot", data={"email": email, "csrf_token": csrf_token(page.text)}
    )


def messages(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def link_path(message: OutboxMessage) -> str:
    match = re.search(re.escape(RESET_PATH) + r"[A-Za-z0-9_-]+", message.body)
    assert match, message.body
    return match.group(0)


def choose(client, path: str, password: str, confirm: str | None = None):
    """Send the reset form at ``path``."""
    page = client.get(path)
    data = {"password": password, "confirm": password if confirm is None else confirm}
    source = page if page.status_code == 200 else client.get("/password/forgot")
    data["csrf_token"] = csrf_token(source.text)
    return client.post(path, data=data)


def neutral(text: str) -> str:
    """A page's text without its CSRF token and the address typed in."""
    text = re.sub(r'name="csrf_token" value="[^"]*"', "", text)
    return re.sub(r"[a-z]+@example\.org", "ADDRESS", text)


def test_the_login_page_links_to_the_forgotten_password_page(client):
    assert 'href="/password/forgot"' in client.get("/login").text


def test_asking_says_the_same_whether_or_not_the_account_exists(client, staff, session):
    answers = [ask(client, email) for email in ("fac@example.org", "nobody@example.org")]
    answers.append(ask(client, "gus@example.org"))  # deactivated
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({neutral(a.text) for a in answers}) == 1
    [message] = messages(session)
    assert message.kind is MessageKind.PASSWORD_RESET and message.recipient == "fac@example.org"
    assert message.user_id == staff.id and message.study_id is None and message.expert_id is None
    token = link_path(message).removeprefix(RESET_PATH)
    stored = session.scalars(sa.select(PasswordReset)).one()
    assert stored.token_hash == hash_reset_token(token) and token not in stored.token_hash
    # Asking again minutes later sends nothing more (no mailbox flooding), saying the same.
    again = ask(client, "fac@example.org")
    assert neutral(again.text) == neutral(answers[0].text) and len(messages(session)) == 1


def test_a_bad_address_is_explained_beside_the_field(client, staff):
    page = client.get("/password/forgot")
    refused = client.post(
        "/password/forgot", data={"email": "", "csrf_token": csrf_token(page.text)}
    )
    assert refused.status_code == 400
    assert 'id="email-error"' in refused.text and "This field is required." in refused.text


def test_a_reset_link_sets_the_password_once_and_ends_every_session(app, client, staff, session):
    other = app.test_client()
    assert login(other, "fac@example.org", factories.PASSWORD).status_code == 302
    ask(client, "fac@example.org")
    path = link_path(messages(session)[0])
    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.text

    mismatch = choose(client, path, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 400 and "The two passwords are not the same." in mismatch.text
    short = choose(client, path, "short")
    assert short.status_code == 400 and f"at least {MIN_LENGTH} characters" in short.text

    done = choose(client, path, NEW_PASSWORD)
    assert done.status_code == 302 and done.location.endswith("/login")
    session.expire_all()
    assert authenticate(session, "fac@example.org", factories.PASSWORD) is None
    assert authenticate(session, "fac@example.org", NEW_PASSWORD) is not None
    # The session opened with the old password has ended.
    assert other.get("/facilitate/").status_code == 302
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginSession)
            .where(LoginSession.user_id == staff.id)
        )
        == 0
    )

    reused = choose(client, path, "yet another passphrase")
    assert reused.status_code == 410 and "expired or was already used" in reused.text
    session.expire_all()
    assert authenticate(session, "fac@example.org", NEW_PASSWORD) is not None


def test_an_expired_or_unknown_link_is_refused(client, staff, session):
    ask(client, "fac@example.org")
    path = link_path(messages(session)[0])
    reset = session.scalars(sa.select(PasswordReset)).one()
    reset.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert client.get(path).status_code == 410
    assert choose(client, path, NEW_PASSWORD).status_code == 410
    assert client.get(RESET_PATH + "x" * 43).status_code == 410
    assert client.get(RESET_PATH + "x" * 500).status_code == 410
    session.expire_all()
    assert authenticate(session, "fac@example.org", factories.PASSWORD) is not None


def test_the_link_is_erased_from_the_stored_message_once_sent(client, staff, session):
    ask(client, "fac@example.org")
    path = link_path(messages(session)[0])

    class Mailer:
        sent: list[str] = []

        def send(self, recipient, subject, body):
            self.sent.append(body)

    mailer = Mailer()
    report = send_queued(session, mailer)
    assert len(report.sent) == 1 and path in mailer.sent[0]
    [message] = messages(session)
    assert RESET_PATH not in message.body and message.body_erased_at is not None


# The forms' validators, as properties


@pytest.fixture(scope="module")
def form_context(app):
    with app.test_request_context("/", method="POST"):
        yield


def filled(form_class, **fields):
    return form_class(formdata=MultiDict(fields), meta={"csrf": False})


@given(email=st.text(max_size=300), password=st.text(max_size=1100))
def test_the_login_form_takes_exactly_non_blank_fields_within_their_lengths(
    form_context, email, password
):
    form = filled(LoginForm, email=email, password=password)
    expected = bool(email.strip()) and len(email) <= 254 and bool(password.strip())
    expected = expected and len(password) <= 1024
    assert form.validate() is expected
    if not expected:
        assert form.errors and all(form.errors.values())


@given(
    password=st.text(max_size=1100),
    confirm=st.one_of(st.none(), st.text(max_size=40)),
)
def test_the_reset_form_takes_a_long_enough_password_typed_twice(form_context, password, confirm):
    confirm = password if confirm is None else confirm
    form = filled(ResetPasswordForm, password=password, confirm=confirm)
    expected = (
        bool(password.strip())
        and MIN_LENGTH <= len(password) <= 1024
        and bool(confirm.strip())
        and confirm == password
    )
    assert form.validate() is expected
    if not expected:
        assert any(form.errors.values())


def _reset_while_locked_out(client, session) -> None:
    """Fail logging in until the account is locked out, then choose a new password by e-mail."""
    for _ in range(6):
        locked = login(client, "fac@example.org", "a wrong guess")
    assert locked.status_code == 429
    ask(client, "fac@example.org")
    assert choose(client, link_path(messages(session)[0]), NEW_PASSWORD).status_code == 302


def test_a_new_password_ends_the_lockout_of_failed_logins(client, staff, session):
    _reset_while_locked_out(client, session)
    assert login(client, "fac@example.org", NEW_PASSWORD).status_code == 302
    assert client.get("/facilitate/").status_code == 200


def test_a_new_password_keeps_the_lockout_of_an_account_with_two_factor_login(
    client, staff, session
):
    """Its lockout also counts wrong codes: a reset link must not buy more guesses."""
    staff.totp_secret = "A" * 32
    session.commit()
    _reset_while_locked_out(client, session)
    assert login(client, "fac@example.org", NEW_PASSWORD).status_code == 429
