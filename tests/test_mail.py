"""E-mail: the outbox written with the action, one sender claiming each message, real SMTP."""

from __future__ import annotations

import email
import re
import smtplib
import socket
import threading
import time
from email import policy

import flask_migrate
import pytest
import sqlalchemy as sa

from elicit.db import utcnow
from elicit.extensions import db
from elicit.mail.models import MessageKind, MessageState, OutboxMessage
from elicit.mail.outbox import send_invitation
from elicit.mail.sender import (
    MAX_ATTEMPTS,
    STALE_CLAIM,
    SmtpMailer,
    SmtpSettings,
    claim,
    send_queued,
)
from elicit.panels.members import add_member
from elicit.rounds.models import RoundState
from tests import factories
from tests import test_panel_pages as pages
from tests.conftest import csrf_token, fresh_database, make_app
from tests.test_refusals import snapshot

LINK = re.compile(r"https://elicit\.example\.org(/invite/[A-Za-z0-9_-]+)")

world = pages.world
PANEL = pages.PANEL
_as = pages._as
BASE_URL = pages.BASE_URL


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every delivered message; refuses recipients at refused.test."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.test"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port (aiosmtpd), and what it received."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield (
            inbox,
            SmtpSettings(
                host="127.0.0.1", port=controller.port, sender="elicit@example.org", starttls=False
            ),
        )
    finally:
        controller.stop()


def _messages(session):
    session.expire_all()
    return session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_an_invitation_travels_by_smtp_and_its_link_opens_the_consent_page(
    client, world, session, smtp_server
):
    inbox, settings = smtp_server
    expert = world["experts"]["none"]
    _as(client)
    token = csrf_token(client.get(PANEL).text)
    assert (
        client.post(f"{PANEL}/experts/{expert.id}/email", data={"csrf_token": token}).status_code
        == 302
    )

    report = send_queued(session, SmtpMailer(settings))
    assert len(report.sent) == 1
    (received,) = inbox.messages
    assert received["To"] == "none@x.test" and received["From"] == "elicit@example.org"
    assert "Invitation to the expert panel" in received["Subject"]
    path = LINK.search(received.get_content()).group(1)

    (message,) = _messages(session)
    assert message.state is MessageState.SENT and message.sent_at is not None
    assert "/invite/" not in message.body and "[link erased after sending]" in message.body
    assert message.body_erased_at is not None

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/facilitate/").text)})
    entered = client.get(path)
    assert entered.status_code == 302
    welcome = client.get(entered.headers["Location"])
    assert welcome.status_code == 200
    assert 'action="/expert/consent"' in welcome.text


def test_a_refused_recipient_fails_at_once_with_the_smtp_error(session, world, smtp_server):
    inbox, settings = smtp_server
    expert = add_member(session, world["study"], name="Nobody", email="nobody@refused.test")
    send_invitation(session, expert, base_url=BASE_URL)
    report = send_queued(session, SmtpMailer(settings))
    assert report.failed and not report.sent and inbox.messages == []
    (message,) = _messages(session)
    assert message.state is MessageState.FAILED and message.attempts == 1
    assert "550" in message.error and "No such mailbox" in message.error
    assert "/invite/" not in message.body


class Unreachable:
    """A mailer whose server never answers."""

    calls = 0

    def send(self, recipient, subject, body):
        self.calls += 1
        raise ConnectionRefusedError(111, "Connection refused")


def test_an_unreachable_server_is_retried_then_given_up(session, world):
    send_invitation(session, world["experts"]["none"], base_url=BASE_URL)
    mailer = Unreachable()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = send_queued(session, mailer)
        (message,) = _messages(session)
        assert message.attempts == attempt and "Connection refused" in message.error
        if attempt < MAX_ATTEMPTS:
            assert report.retrying == [message.id] and message.state is MessageState.QUEUED
            assert "/invite/" in message.body
    assert message.state is MessageState.FAILED and "/invite/" not in message.body
    assert mailer.calls == MAX_ATTEMPTS


def test_a_claimed_message_cannot_be_claimed_again(session, world):
    message = send_invitation(session, world["experts"]["none"], base_url=BASE_URL)
    session.commit()
    assert claim(session, message.id) is True
    assert claim(session, message.id) is False
    session.expire_all()
    assert session.get(OutboxMessage, message.id).state is MessageState.SENDING


def test_a_claim_abandoned_long_ago_is_sent_by_the_next_run(session, world, smtp_server):
    """A sender that died after claiming leaves the message ``sending``; a later run sends it."""
    inbox, settings = smtp_server
    experts = world["experts"]
    abandoned = send_invitation(session, experts["none"], base_url=BASE_URL)
    recent = send_invitation(session, experts["invited"], base_url=BASE_URL)
    session.commit()
    assert claim(session, abandoned.id) and claim(session, recent.id)
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == abandoned.id)
        .values(claimed_at=utcnow() - 2 * STALE_CLAIM)
    )
    session.commit()
    report = send_queued(session, SmtpMailer(settings))
    assert report.sent == [abandoned.id]
    assert [m["To"] for m in inbox.messages] == [abandoned.recipient]
    states = {m.id: m.state for m in _messages(session)}
    assert states == {abandoned.id: MessageState.SENT, recent.id: MessageState.SENDING}


def test_the_message_and_the_new_link_are_one_unit_of_work(client, world, session, monkeypatch):
    """If writing the message fails after the new link was issued, the old link still stands."""
    from elicit.errors import DomainError
    from elicit.mail import outbox

    def refuse_to_write(*args, **kwargs):
        raise DomainError("refused", "refused after the link was issued")

    monkeypatch.setattr(outbox, "_write", refuse_to_write)
    expert = world["experts"]["invited"]
    _as(client)
    before = snapshot(session)
    token = csrf_token(client.get(PANEL).text)
    assert (
        client.post(f"{PANEL}/experts/{expert.id}/email", data={"csrf_token": token}).status_code
        == 302
    )
    assert "No invitation was sent" in client.get(PANEL).text
    assert snapshot(session) == before


def test_a_refused_reminder_leaves_no_link_and_no_message(client, world, session):
    world["round"].state = RoundState.CLOSED
    session.commit()
    _as(client)
    before = snapshot(session)
    token = csrf_token(client.get(PANEL).text)
    assert client.post(f"{PANEL}/remind", data={"csrf_token": token}).status_code == 302
    assert "No reminder was sent: no round is open" in client.get(PANEL).text
    assert snapshot(session) == before


def test_without_smtp_the_command_says_messages_stay_queued(runner, world, session):
    send_invitation(session, world["experts"]["none"], base_url=BASE_URL)
    session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "messages stay queued" in result.output
    assert _messages(session)[0].state is MessageState.QUEUED


def test_the_command_sends_the_queue_over_smtp(app, runner, world, session, smtp_server):
    inbox, settings = smtp_server
    send_invitation(session, world["experts"]["none"], base_url=BASE_URL)
    session.commit()
    smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": settings.port, "SMTP_FROM": settings.sender}
    original = {key: app.config.get(key) for key in [*smtp, "SMTP_STARTTLS"]}
    app.config.update(smtp, SMTP_STARTTLS=False)
    try:
        result = runner.invoke(args=["mail", "send"])
    finally:
        app.config.update(original)
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0" in result.output
    assert len(inbox.messages) == 1


class SlowMailer:
    """Records every delivery (from any thread) and takes a moment over each."""

    def __init__(self):
        self.lock = threading.Lock()
        self.delivered = []

    def send(self, recipient, subject, body):
        time.sleep(0.01)
        with self.lock:
            self.delivered.append(recipient)


@pytest.fixture
def committed_app(tmp_path):
    """An app on a database of its own, whose commits are real (for concurrent senders)."""
    with fresh_database(tmp_path) as url:
        application = make_app(url, tmp_path / "instance")
        with application.app_context():
            flask_migrate.upgrade()
            yield application
            db.session.remove()
            db.engine.dispose()


def test_two_senders_never_send_one_message_twice(committed_app):
    session = db.session()
    study = factories.study(session)
    for number in range(40):
        expert = add_member(session, study, name=f"E {number}", email=f"e{number}@x.test")
        send_invitation(session, expert, base_url=BASE_URL)
    session.commit()
    db.session.remove()

    mailer = SlowMailer()
    reports, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            with committed_app.app_context():
                start.wait()
                reports.append(send_queued(db.session(), mailer))
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(mailer.delivered) == sorted(f"e{n}@x.test" for n in range(40))
    sent = [message_id for report in reports for message_id in report.sent]
    assert len(sent) == len(set(sent)) == 40
    states = db.session.scalars(sa.select(OutboxMessage.state)).all()
    assert set(states) == {MessageState.SENT}
    assert all(
        kind is MessageKind.INVITATION for kind in db.session.scalars(sa.select(OutboxMessage.kind))
    )


def test_a_5xx_answer_is_permanent_and_a_4xx_is_retried():
    from elicit.mail.sender import _permanent

    assert _permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not _permanent(smtplib.SMTPDataError(451, b"try later"))
    assert not _permanent(smtplib.SMTPServerDisconnected("gone"))
