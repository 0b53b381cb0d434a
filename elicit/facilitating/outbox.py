"""The outbox page: every e-mail a study queued, and whether it was sent.

Without an SMTP server configured (a laptop), messages stay queued and this
page is where they wait. Bodies are not shown: a queued one holds a working
link. The page shows e-mail addresses, so it is for those who run the study.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, roles_required
from elicit.accounts.models import Role
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.lookup import study_or_404
from elicit.mail.models import MessageKind, MessageState, OutboxMessage
from elicit.mail.sender import SmtpSettings

OUTBOX_PAGE_SIZE = 500


def state_name(state: MessageState) -> str:
    """Name where a message is, as the outbox page shows it."""
    names = {
        # TRANSLATORS: an e-mail's state: waiting to be sent.
        MessageState.QUEUED: gettext("queued"),
        # TRANSLATORS: an e-mail's state: a sender is delivering it now.
        MessageState.SENDING: gettext("sending"),
        # TRANSLATORS: an e-mail's state: the mail server accepted it.
        MessageState.SENT: gettext("sent"),
        # TRANSLATORS: an e-mail's state: it could not be delivered.
        MessageState.FAILED: gettext("failed"),
    }
    return names[state]


def message_kind_name(kind: MessageKind) -> str:
    """Name what a message is for."""
    if kind is MessageKind.INVITATION:
        # TRANSLATORS: a kind of e-mail to an expert.
        return gettext("invitation")
    # TRANSLATORS: a kind of e-mail to an expert.
    return gettext("reminder")


@bp.route("/studies/<slug>/outbox")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def outbox(slug: str):
    """List the study's messages, newest first: state, recipient, subject, error."""
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.study_id == found.id)
        .order_by(OutboxMessage.id.desc())
        .limit(OUTBOX_PAGE_SIZE)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.state, sa.func.count())
            .where(OutboxMessage.study_id == found.id)
            .group_by(OutboxMessage.state)
        ).all()
    )
    return render_template(
        "facilitating/outbox.html",
        study=found,
        messages=messages,
        counts=counts,
        states=list(MessageState),
        state_name=state_name,
        message_kind_name=message_kind_name,
        smtp=SmtpSettings.from_config(current_app.config) is not None,
        can_run=True,
        limit=OUTBOX_PAGE_SIZE,
    )
