"""The one sender: claim each queued message with a row lock, deliver it over SMTP, record it.

Claiming is what keeps two senders (two cron runs, an RQ worker beside
``elicit mail send``) from sending one message twice. On PostgreSQL the
sender selects the next queued message ``FOR UPDATE SKIP LOCKED`` and marks
it ``sending`` before committing, so another sender skips it; on SQLite,
which has no row locks, it changes the state from ``queued`` to ``sending``
with a conditional ``UPDATE`` and owns the message only if that changed one
row. A claimed message is then delivered outside any transaction, and the
outcome recorded: ``sent``, or ``failed`` with the SMTP error. Errors worth
retrying (the server could not be reached, a 4xx answer) put the message back
in the queue until it has had :data:`MAX_ATTEMPTS`.

A sender that stops between claiming and recording (killed, the machine
restarted) would leave its message ``sending`` for ever: each run first puts
back in the queue any message claimed more than :data:`STALE_CLAIM` ago, far
longer than one delivery may take. Such a message may, rarely, reach its
recipient twice (if the lost sender had handed it over); it is never lost.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit.accounts.resets import RESET_PATH
from elicit.db import utcnow
from elicit.mail.models import MessageState, OutboxMessage
from elicit.panels.services import INVITATION_PATH

MAX_ATTEMPTS = 3
"""How many times a message is tried before it is marked failed for good."""

SMTP_TIMEOUT_SECONDS = 30

STALE_CLAIM = timedelta(minutes=15)
"""How long after its claim a message still ``sending`` is taken to be abandoned."""

_LINK = re.compile(r"\S*(?:" + re.escape(INVITATION_PATH) + "|" + re.escape(RESET_PATH) + r")\S+")


def erase_links(body: str) -> str:
    """Return ``body`` with every invitation or password-reset link replaced by a note."""
    # TRANSLATORS: stands where an invitation link was in a stored e-mail, after it was sent.
    return _LINK.sub(gettext("[link erased after sending]"), body)


class Mailer(Protocol):
    """Something that delivers one e-mail or raises (:class:`SmtpMailer`, or a test's stand-in)."""

    def send(self, recipient: str, subject: str, body: str) -> None:
        """Deliver one plain-text message to ``recipient``."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to deliver e-mail (``ELICIT_SMTP_*``, see :mod:`elicit.config`)."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """Read the settings from an app's config; ``None`` if no SMTP host is configured."""
        if not config.get("SMTP_HOST"):
            return None
        return cls(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            sender=config["SMTP_FROM"],
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            starttls=config["SMTP_STARTTLS"],
        )


class SmtpMailer:
    """Deliver e-mail through one SMTP server with :mod:`smtplib`, a connection per message."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, recipient: str, subject: str, body: str) -> None:
        """Deliver one plain-text message; raises :class:`smtplib.SMTPException` or ``OSError``."""
        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(message)


@dataclass
class Report:
    """What one run of the sender did, by message id."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)


def _queued(exclude: Collection[int]) -> sa.Select[int]:
    """Select the id of the oldest queued message not in ``exclude``."""
    query = sa.select(OutboxMessage.id).where(OutboxMessage.state == MessageState.QUEUED)
    if exclude:
        query = query.where(OutboxMessage.id.not_in(exclude))
    return query.order_by(OutboxMessage.id).limit(1)


def claim(session: Session, message_id: int) -> bool:
    """Mark message ``message_id`` ``sending`` if it is still queued; whether this call did.

    The ``UPDATE`` only matches a queued row, so of two senders racing for
    one message exactly one changes a row; the other gets 0 and moves on.
    """
    result = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == MessageState.QUEUED)
        .values(state=MessageState.SENDING, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(result, "rowcount", 0) == 1


def claim_next(session: Session, exclude: Collection[int] = ()) -> OutboxMessage | None:
    """Claim the oldest queued message (see the module docstring); ``None`` if none is left."""
    if session.get_bind().dialect.name == "postgresql":
        message_id = session.scalar(_queued(exclude).with_for_update(skip_locked=True))
        if message_id is None:
            session.commit()
            return None
        claimed = claim(session, message_id)
        return session.get(OutboxMessage, message_id) if claimed else None
    while True:
        message_id = session.scalar(_queued(exclude))
        if message_id is None:
            session.commit()
            return None
        if claim(session, message_id):
            return session.get(OutboxMessage, message_id)


def _permanent(error: Exception) -> bool:
    """Whether retrying could not help: the server refused the message or its recipient (5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _describe(error: Exception) -> str:
    """Say what went wrong in one line, with the server's code and words where it gave them."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"{error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{recipient}: {code} {reply.decode('utf-8', 'replace')}"
            for recipient, (code, reply) in error.recipients.items()
        )
    return f"{type(error).__name__}: {error}"


def deliver(session: Session, message: OutboxMessage, mailer: Mailer) -> MessageState:
    """Send a claimed ``message`` with ``mailer`` and record what happened; return its new state.

    A sent or failed message has its links erased from the stored body.
    """
    try:
        mailer.send(message.recipient, message.subject, message.body)
    except (smtplib.SMTPException, OSError) as error:
        failure: Exception | None = error
    else:
        failure = None
    message.attempts += 1
    if failure is None:
        message.state, message.sent_at, message.error = MessageState.SENT, utcnow(), ""
    else:
        message.error = _describe(failure)[:2000]
        final = _permanent(failure) or message.attempts >= MAX_ATTEMPTS
        message.state = MessageState.FAILED if final else MessageState.QUEUED
    if message.state is not MessageState.QUEUED:
        message.body = erase_links(message.body)
        message.body_erased_at = utcnow()
    session.commit()
    return message.state


def deliver_one(session: Session, message_id: int, mailer: Mailer) -> MessageState | None:
    """Claim and deliver message ``message_id``; ``None`` if another sender claimed it first."""
    if not claim(session, message_id):
        return None
    message = session.get(OutboxMessage, message_id)
    return deliver(session, message, mailer) if message is not None else None


def reclaim_abandoned(session: Session) -> int:
    """Put back in the queue every message claimed over :data:`STALE_CLAIM` ago; how many."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.state == MessageState.SENDING,
            OutboxMessage.claimed_at < utcnow() - STALE_CLAIM,
        )
        .values(state=MessageState.QUEUED)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(result, "rowcount", 0))


def send_queued(session: Session, mailer: Mailer, limit: int | None = None) -> Report:
    """Deliver queued messages, each claimed first, until none is left (or ``limit`` were tried).

    Abandoned claims are put back first (:func:`reclaim_abandoned`). A message
    put back for a retry is not tried again in the same run.
    """
    reclaim_abandoned(session)
    report = Report()
    while limit is None or len(report.sent) + len(report.failed) + len(report.retrying) < limit:
        message = claim_next(session, exclude=report.retrying)
        if message is None:
            break
        state = deliver(session, message, mailer)
        outcome = {MessageState.SENT: report.sent, MessageState.FAILED: report.failed}
        outcome.get(state, report.retrying).append(message.id)
    return report
