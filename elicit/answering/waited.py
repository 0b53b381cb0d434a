"""What an expert's post checks again once it holds the write lock it may have waited for.

The answer form and autosave read in a snapshot and take SQLite's write lock
only to write (:func:`~elicit.unit_of_work.reads_first`). A post that waited
for the lock may find that meanwhile the questions changed (handled by
:func:`elicit.answering.fields.still_asked`) or the expert's access ended:
their session ended ("Leave", or the link opened again on this browser) or
their link was revoked. Access ended while the post waited saves nothing, as if it had
ended before the post arrived. On PostgreSQL nothing waits there, so nothing
is read again.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, session

from elicit.accounts import sessions
from elicit.accounts.models import LoginSession
from elicit.answering.entry import SESSION_KEY, session_ended
from elicit.extensions import db
from elicit.panels.models import Invitation
from elicit.panels.services import invitation_usable
from elicit.unit_of_work import refuse


def still_signed_in() -> bool:
    """Whether the expert's session and invitation still let them in, read afresh.

    One statement reads the session's row and the link's state together
    (:data:`_STILL_IN`), under the lock that every other writer waits for.
    """
    held, key = session.get(SESSION_KEY), sessions.row_id(session.get(sessions.SID_KEY))
    if not isinstance(held, dict) or key is None:
        return False
    found = db.session.execute(
        _STILL_IN, {"invitation": held.get("invitation"), "sid": key}
    ).one_or_none()
    if found is None:
        return False
    return invitation_usable(Invitation(revoked_at=found.revoked_at, expires_at=found.expires_at))


_STILL_IN = (
    sa.select(Invitation.revoked_at, Invitation.expires_at)
    .join(LoginSession, LoginSession.expert_id == Invitation.expert_id)
    .where(Invitation.id == sa.bindparam("invitation"), LoginSession.id == sa.bindparam("sid"))
)
"""The link's state, if the session's row still exists and belongs to the link's expert."""


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
