"""Sessions that really end: each login and each expert's entry is a row on the server.

Flask's signed cookie still carries the session, but what lets its holder in
is a random session id in it (``sid``) whose SHA-256 must name a row of
:class:`~elicit.accounts.models.LoginSession`. Ending a session deletes the
row, so the cookie, and any copy of it, gets nothing afterwards:

- logout and an expert's "Leave" end their own session (:func:`finish`);
- deactivating a staff account or resetting its password ends all of that
  user's sessions (:func:`end_all_of_user`);
- a session lapses after ``SESSION_IDLE_TIMEOUT`` without a request (the
  cookie's last-seen time, refreshed at most once a minute, so reading a page
  writes nothing to the database) and, however busy, after
  ``PERMANENT_SESSION_LIFETIME`` from its start (the row's ``created_at``).

Logging in and redeeming an invitation link start a new session
(:func:`begin`): the old cookie's contents, its CSRF secret among them, are
dropped, so a session id or token planted before cannot be carried into it.
A lapsed or ended session is cleared at the start of the request
(:func:`init_app`), before the CSRF check, so an expert's form sent from it is
answered as sent after the session ended, with everything it carried shown back.

Flask-Session's SQLAlchemy store was not used: it creates its table itself
(``create_all``) and commits on its own, where elicit's tables come from its
migrations and each request commits once (:mod:`elicit.unit_of_work`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from sqlalchemy.orm import Session

from elicit.accounts.models import LoginSession
from elicit.db import utcnow
from elicit.extensions import db
from elicit.i18n import SESSION_KEY as LOCALE_KEY

SID_KEY = "sid"
"""Where the cookie keeps the session id."""

SEEN_KEY = "seen"
"""Where the cookie keeps when the session was last used (seconds since the epoch)."""

KEPT = (LOCALE_KEY,)
"""What a new or ended session keeps of the cookie: the language chosen on this browser."""

SIGNED_IN = ("_user_id", "expert")
"""Keys that say someone is signed in: Flask-Login's user id, an expert's entry."""

_SEEN_GRANULARITY = 60
"""Seconds between refreshes of the cookie's last-seen time."""


def hash_sid(sid: str) -> str:
    """Return the SHA-256 of a session id, as its row's primary key."""
    return hashlib.sha256(sid.encode()).hexdigest()


def start(
    session: Session,
    *,
    user_id: int | None = None,
    expert_id: int | None = None,
    lifetime: timedelta | None = None,
) -> str:
    """Record a new session of a staff user or an expert; return its id for the cookie.

    Sessions older than ``lifetime`` (which can no longer be used) are deleted
    on the way, so the table holds only sessions that may still be live.
    """
    if (user_id is None) == (expert_id is None):
        raise ValueError("a session belongs to exactly one staff user or one expert")
    if lifetime is not None:
        session.execute(
            sa.delete(LoginSession)
            .where(LoginSession.created_at < utcnow() - lifetime)
            .execution_options(synchronize_session=False)
        )
    sid = secrets.token_urlsafe(32)
    session.add(LoginSession(id=hash_sid(sid), user_id=user_id, expert_id=expert_id))
    session.flush()
    return sid


def row_id(sid: object) -> str | None:
    """Return the primary key of session ``sid``'s row; ``None`` if it cannot be a session id."""
    if not isinstance(sid, str) or len(sid) > 100:
        return None
    return hash_sid(sid)


def find(session: Session, sid: str) -> LoginSession | None:
    """Return the live row of session ``sid``, or ``None`` if it was ended or never existed."""
    key = row_id(sid)
    return None if key is None else session.get(LoginSession, key)


def end(session: Session, sid: str) -> None:
    """End session ``sid`` (nothing happens if it has already ended)."""
    if isinstance(sid, str):
        session.execute(
            sa.delete(LoginSession)
            .where(LoginSession.id == hash_sid(sid))
            .execution_options(synchronize_session=False)
        )


def end_all_of_user(session: Session, user_id: int) -> int:
    """End every session of staff user ``user_id``; return how many there were."""
    result = session.execute(
        sa.delete(LoginSession)
        .where(LoginSession.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def clear_cookie() -> None:
    """Empty the cookie's session but for :data:`KEPT`, and forget this request's CSRF token."""
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept)
    g.pop("csrf_token", None)


def begin(db_session: Session, *, user_id: int | None = None, expert_id: int | None = None) -> None:
    """Start a fresh session for a staff user (at login) or an expert (at link redemption).

    Whatever the cookie held before is dropped (but the language), so the new
    session has a new id and a new CSRF secret.
    """
    clear_cookie()
    sid = start(
        db_session,
        user_id=user_id,
        expert_id=expert_id,
        lifetime=current_app.permanent_session_lifetime,
    )
    session.permanent = True
    session[SID_KEY] = sid
    session[SEEN_KEY] = int(time.time())


def finish(db_session: Session) -> None:
    """End this browser's session on the server and empty its cookie (but the language)."""
    sid = session.get(SID_KEY)
    if sid is not None:
        end(db_session, sid)
    clear_cookie()


def _lapsed(row: LoginSession | None, now: float) -> bool:
    """Whether the cookie's session may no longer be used (see the module docstring)."""
    if row is None:
        return True
    seen = session.get(SEEN_KEY)
    idle: timedelta = current_app.config["SESSION_IDLE_TIMEOUT"]
    if not isinstance(seen, int) or now - seen > idle.total_seconds():
        return True
    if row.created_at < utcnow() - current_app.permanent_session_lifetime:
        return True
    if row.user_id is not None:
        return session.get("_user_id") != str(row.user_id)
    held = session.get("expert")
    return not isinstance(held, dict) or held.get("id") != row.expert_id


def init_app(app: Flask) -> None:
    """Check each request's session before anything else reads it (CSRF, login, expert).

    Call before the CSRF extension and the blueprints are set up, so this runs first.
    """

    @app.before_request
    def _check_session() -> None:
        """Drop a session that was ended or has lapsed; note the time of a live one."""
        if request.endpoint == "static":
            return
        sid = session.get(SID_KEY)
        if sid is None:
            if any(key in session for key in SIGNED_IN):
                clear_cookie()
            return
        now = time.time()
        if _lapsed(find(db.session(), sid), now):
            clear_cookie()
            return
        if now - session.get(SEEN_KEY, 0) >= _SEEN_GRANULARITY:
            session[SEEN_KEY] = int(now)
