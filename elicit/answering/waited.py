"""What an expert's post checks again once it holds the write lock it may have waited for.

The answer form and autosave read in a snapshot and take SQLite's write lock
only to write (:func:`~elicit.unit_of_work.reads_first`). A post that waited
for the lock may find that meanwhile the questions changed (handled by
:func:`elicit.answering.fields.still_asked`) or the expert's access ended:
their session ended ("Leave", or a new link opened elsewhere) or their link
was revoked. Access ended while the post waited saves nothing, as if it had
ended before the post arrived. On PostgreSQL nothing waits there, so nothing
is read again.
"""

from __future__ import annotations

from flask import Response, session

from elicit.accounts import sessions
from elicit.answering.entry import SESSION_KEY, session_ended
from elicit.extensions import db
from elicit.panels.models import Invitation
from elicit.panels.services import invitation_usable
from elicit.unit_of_work import refuse


def still_signed_in() -> bool:
    """Whether the expert's session and invitation still let them in, read afresh."""
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return False
    if sessions.find(db.session(), session.get(sessions.SID_KEY), afresh=True) is None:
        return False
    invitation = db.session.get(Invitation, held.get("invitation"), populate_existing=True)
    return invitation is not None and invitation_usable(invitation)


def access_ended() -> tuple[str, int] | tuple[Response, int] | None:
    """Refuse the post if the expert's access ended while it waited for the lock; else ``None``.

    Call once :func:`~elicit.unit_of_work.lock_for_writing` returned true (the
    snapshot was renewed). The refusal is answered as any post after the
    session ended (:func:`~elicit.answering.entry.session_ended`: 401, with
    everything the form carried shown back), and nothing is written.
    """
    if still_signed_in():
        return None
    refuse()
    return session_ended()
