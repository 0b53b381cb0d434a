"""Writing invitations and reminders to the outbox, in the transaction of the action itself.

Each function here changes the panel (issues a link) and writes the e-mail
carrying it in one unit of work, so an invitation is never recorded as sent
without its message, nor a message written for a link that was rolled back.
Delivery happens later, outside the request (:mod:`elicit.mail.sender`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.accounts.resets import RESET_LIFETIME, RESET_PATH, issue_reset
from elicit.accounts.services import find_user
from elicit.errors import DomainError
from elicit.judgments.progress import pending_experts
from elicit.mail import jobs
from elicit.mail.models import MessageKind, OutboxMessage
from elicit.panels.models import Expert
from elicit.panels.services import (
    has_working_link,
    invitation_url,
    issue_invitation,
    reissue_invitation,
)
from elicit.rounds.services import open_round_of
from elicit.studies.models import Study


def _write(
    session: Session,
    expert: Expert,
    kind: MessageKind,
    subject: str,
    body: str,
    *,
    actor: User | None,
) -> OutboxMessage:
    """Queue one message to ``expert`` and record it in the audit log."""
    if expert.contact is None:
        raise DomainError("no_contact", gettext("this expert has no e-mail address"))
    message = OutboxMessage(
        study_id=expert.study_id,
        expert_id=expert.id,
        kind=kind,
        recipient=expert.contact.email,
        subject=subject,
        body=body,
    )
    session.add(message)
    session.flush()
    jobs.hand_over_after_commit(session, message.id)
    audit.record(
        session,
        "mail.invitation" if kind is MessageKind.INVITATION else "mail.reminder",
        actor=actor,
        study_id=expert.study_id,
        target=expert.pseudonym,
        details={"after": {"message": message.id, "state": message.state.value}},
    )
    return message


def _invitation_text(study: Study, name: str, link: str) -> tuple[str, str]:
    """Return the subject and body of an invitation to ``study`` carrying ``link``."""
    # TRANSLATORS: the subject of the e-mail inviting an expert; %(study)s is the study's title.
    subject = gettext("Invitation to the expert panel: %(study)s", study=study.title)
    body = gettext(
        "Dear %(name)s,\n\n"
        'You are invited to take part in the expert panel of the study "%(study)s".\n\n'
        "Open this personal link to read about the study and to take part:\n%(link)s\n\n"
        "The link is yours alone: please do not forward it. If it stops working, write "
        "to the facilitator who invited you.\n",
        name=name,
        study=study.title,
        link=link,
    )
    return subject, body


def _reminder_text(study: Study, name: str, number: int, link: str) -> tuple[str, str]:
    """Return the subject and body of a reminder to answer round ``number`` of ``study``."""
    # TRANSLATORS: the subject of a reminder e-mail; %(study)s is the study's title.
    subject = gettext("Reminder: round %(number)s of %(study)s", number=number, study=study.title)
    body = gettext(
        "Dear %(name)s,\n\n"
        'Round %(number)s of the study "%(study)s" is open, and your answers have not '
        "been submitted yet.\n\n"
        "Open this personal link to continue; anything you saved before is kept:\n%(link)s\n\n"
        "The link is yours alone: please do not forward it.\n",
        name=name,
        number=number,
        study=study.title,
        link=link,
    )
    return subject, body


def send_invitation(
    session: Session, expert: Expert, *, base_url: str, actor: User | None = None
) -> OutboxMessage:
    """Issue ``expert`` a new link (withdrawing any earlier one) and queue the e-mail carrying it.

    ``base_url`` is the configured public address (never the request's Host header).
    """
    if expert.contact is None:
        raise DomainError("no_contact", gettext("this expert has no e-mail address"))
    token = reissue_invitation(session, expert, actor=actor)
    subject, body = _invitation_text(
        expert.study, expert.contact.name, invitation_url(base_url, token)
    )
    return _write(session, expert, MessageKind.INVITATION, subject, body, actor=actor)


def uninvited(session: Session, study: Study) -> list[Expert]:
    """Return the experts of ``study`` without a working link, in the order they were added."""
    return list(
        session.scalars(
            sa.select(Expert)
            .where(Expert.study_id == study.id, ~has_working_link())
            .order_by(Expert.id)
        )
    )


def send_reminders(
    session: Session, study: Study, *, base_url: str, actor: User | None = None
) -> list[OutboxMessage]:
    """Queue a reminder to every expert who has a working link but no answer in the open round.

    Each reminder carries a fresh link; the expert's earlier links keep
    working, so a session already open is not ended. Experts whose links were
    all withdrawn get no reminder (that would undo the withdrawal).

    Raises
    ------
    DomainError
        ``no_open_round`` if no round of ``study`` is open.
    """
    round_ = open_round_of(session, study)
    if round_ is None:
        raise DomainError(
            "no_open_round", gettext("no round is open, so there is nothing to remind of")
        )
    linked = set(
        session.scalars(sa.select(Expert.id).where(Expert.study_id == study.id, has_working_link()))
    )
    messages = []
    for pending in pending_experts(session, round_):
        expert = pending.expert
        if expert.contact is None or expert.id not in linked:
            continue
        token = issue_invitation(session, expert, actor=actor)
        subject, body = _reminder_text(
            study, expert.contact.name, round_.number, invitation_url(base_url, token)
        )
        messages.append(_write(session, expert, MessageKind.REMINDER, subject, body, actor=actor))
    return messages


def send_password_reset(session: Session, email: str, *, base_url: str) -> OutboxMessage | None:
    """Queue a password-reset link to the active staff account ``email``, if there is one.

    ``None`` when no message was written: no such account, a deactivated one,
    or one sent a link only minutes ago (see :func:`elicit.accounts.resets.issue_reset`).
    The page that asks says the same in every case, so nobody learns from it
    which addresses have accounts.
    """
    user = find_user(session, email)
    token = issue_reset(session, user) if user is not None else None
    if user is None or token is None:
        return None
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    # TRANSLATORS: the subject of the e-mail carrying a staff user's password-reset link.
    subject = gettext("Reset your elicit password")
    body = gettext(
        "Dear %(name)s,\n\n"
        "Someone (we hope you) asked to reset the password of your elicit account.\n\n"
        "Open this link within %(minutes)s minutes to choose a new password:\n%(link)s\n\n"
        "The link works once. If you did not ask for it, ignore this message: your password "
        "stays as it is.\n",
        name=user.name,
        minutes=minutes,
        link=f"{base_url.rstrip('/')}{RESET_PATH}{token}",
    )
    message = OutboxMessage(
        user_id=user.id,
        kind=MessageKind.PASSWORD_RESET,
        recipient=user.email,
        subject=subject,
        body=body,
    )
    session.add(message)
    session.flush()
    jobs.hand_over_after_commit(session, message.id)
    return message
