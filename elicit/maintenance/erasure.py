"""Erasing experts' personal data, on request or after a retention period.

An expert's name, e-mail and affiliation live in one row of
``expert_contacts`` (:class:`~elicit.panels.models.ExpertContact`), and in the
outbox messages written to them. Erasing removes that row, blanks the
messages' recipient and body (a message not yet sent is given up), and
withdraws the expert's links, so the expert can no longer be reached or let
in. The expert's pseudonym, judgments, revisions and drafts stay, as do the
audit entries, which name experts by pseudonym only: the study's results do
not change.

Archived studies are erased from too: a retention period is about archived
studies, and a request to erase is honoured whatever the study's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.db import utcnow
from elicit.mail.models import MessageState, OutboxMessage
from elicit.panels.models import Expert, ExpertContact
from elicit.panels.services import active_invitations, revoke_invitation
from elicit.studies.models import Study

GIVEN_UP = "not sent: the expert's contact details were erased"
"""The error recorded on a message still waiting when its recipient is erased."""


def experts_with_email(session: Session, email: str, study: Study | None = None) -> list[Expert]:
    """Return the experts whose contact e-mail is ``email`` (any case), in ``study`` or in any."""
    query = (
        sa.select(Expert)
        .join(ExpertContact, ExpertContact.expert_id == Expert.id)
        .where(sa.func.lower(ExpertContact.email) == email.strip().lower())
        .order_by(Expert.id)
    )
    if study is not None:
        query = query.where(Expert.study_id == study.id)
    return list(session.scalars(query))


def past_retention(session: Session, days: int, now: datetime | None = None) -> list[Expert]:
    """Return the experts with contact details in studies archived more than ``days`` days ago.

    Raises
    ------
    ValueError
        If ``days`` is negative.
    """
    if days < 0:
        raise ValueError(f"a retention period is a number of days, 0 or more, not {days}")
    cutoff = (now or utcnow()) - timedelta(days=days)
    return list(
        session.scalars(
            sa.select(Expert)
            .join(ExpertContact, ExpertContact.expert_id == Expert.id)
            .join(Study, Study.id == Expert.study_id)
            .where(Study.archived_at.is_not(None), Study.archived_at <= cutoff)
            .order_by(Expert.study_id, Expert.id)
        )
    )


def erase_contacts(
    session: Session, experts: Sequence[Expert], *, actor: User | None = None, reason: str = ""
) -> int:
    """Erase each expert's contact details (see the module docstring); return how many were erased.

    An expert whose details are already erased is skipped. Each erasure is
    recorded in the audit trail under the expert's pseudonym, with ``reason``
    (``request`` or ``retention``) if given.
    """
    erased = 0
    for expert in experts:
        if expert.contact is None:
            continue
        for invitation in active_invitations(session, expert):
            revoke_invitation(session, invitation, actor=actor)
        session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.expert_id == expert.id,
                OutboxMessage.state == MessageState.QUEUED,
            )
            .values(state=MessageState.FAILED, error=GIVEN_UP)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.expert_id == expert.id)
            .values(
                recipient="",
                body="",
                body_erased_at=sa.func.coalesce(OutboxMessage.body_erased_at, utcnow()),
            )
            .execution_options(synchronize_session=False)
        )
        expert.contact = None
        session.flush()
        audit.record(
            session,
            "expert.erase",
            actor=actor,
            study_id=expert.study_id,
            target=expert.pseudonym,
            details={"reason": reason} if reason else {},
        )
        erased += 1
    return erased
