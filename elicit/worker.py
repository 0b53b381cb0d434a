"""What the RQ worker runs: ``rq worker --url $ELICIT_REDIS_URL elicit-mail elicit-analysis``.

A mail job delivers one message with the same sender as ``elicit mail send``
(:func:`elicit.mail.sender.deliver_one`), which claims it first. The worker
builds the application once, from the same ``ELICIT_*`` environment as the
server. An analysis job computes and stores one round's pooled forecasts
(:func:`compute_round_pools`), for the pages to read.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


@cache
def _app() -> Flask:
    """Create the application the jobs of this worker process run in."""
    from elicit.app import create_app

    return create_app()


def deliver_message(message_id: int) -> str:
    """Deliver outbox message ``message_id``; return its new state (or ``skipped``)."""
    from elicit.extensions import db
    from elicit.mail.sender import SmtpMailer, SmtpSettings, deliver_one

    app = _app()
    with app.app_context():
        settings = SmtpSettings.from_config(app.config)
        if settings is None:
            return "skipped: no SMTP server is configured"
        try:
            state = deliver_one(db.session(), message_id, SmtpMailer(settings))
        finally:
            db.session.remove()
    return state.value if state is not None else "skipped: claimed by another sender"


def compute_round_pools(round_id: int) -> str:
    """Compute and store round ``round_id``'s pooled forecasts if still needed; say what it did."""
    from elicit.analysis.round_pools import round_pools, stored_pools
    from elicit.extensions import db
    from elicit.rounds.models import Round
    from elicit.unit_of_work import transaction

    app = _app()
    with app.app_context():
        try:
            with transaction() as session:
                found = session.get(Round, round_id)
                if found is None:
                    return "skipped: no such round"
                if stored_pools(session, found) is not None:
                    return "skipped: already current"
                round_pools(session, found.study, found)
        finally:
            db.session.remove()
    return "computed"
