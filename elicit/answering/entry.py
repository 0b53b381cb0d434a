"""Who the expert is: entering by invitation link, consenting, and leaving.

Experts have no account. Opening an invitation link puts the expert's id and
the invitation's id in the (signed) session cookie and redirects to a URL
without the token; every later request checks the invitation is still usable,
so revoking it ends the expert's access at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import joinedload

from elicit.accounts import sessions
from elicit.answering.blueprint import bp
from elicit.answering.closed import render_closed
from elicit.answering.fields import typed_values
from elicit.answering.forms import ConsentForm
from elicit.extensions import db, limiter
from elicit.panels.models import Expert, Invitation
from elicit.panels.services import (
    invitation_usable,
    link_withdrawn,
    record_consent,
    redeem_invitation,
)
from elicit.rounds.services import open_round_of, takes_answers
from elicit.unit_of_work import write_transaction
from elicit.web import NulCharacter, retry_minutes

SESSION_KEY = "expert"
FAILED_INVITATIONS_LIMIT = "10 per minute; 50 per hour"

SESSION_ENDED = lazy_gettext(
    "Your session has ended. Open your invitation link again to continue; "
    "answers saved before now are kept."
)
STALE_PAGE = lazy_gettext(
    "This page was opened in an earlier session, so it could not be saved from. "
    "Reload the page to continue; answers saved before now are kept."
)


@bp.before_app_request
def load_expert() -> None:
    """Put the signed-in expert (or ``None``) in ``g.expert``, dropping a session that lapsed."""
    g.expert = None
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return
    invitation = db.session.get(
        Invitation,
        held.get("invitation"),
        options=[joinedload(Invitation.expert).joinedload(Expert.study)],
    )
    if (
        invitation is None
        or invitation.expert_id != held.get("id")
        or not invitation_usable(invitation)
    ):
        session.pop(SESSION_KEY, None)
        return
    g.expert = invitation.expert


def session_ended(
    message: str | None = None, status: int = 401
) -> tuple[str, int] | tuple[Response, int]:
    """Refuse an expert's request that cannot be saved, showing back anything it carried.

    A form that arrives without a session (it expired while the page was
    open), or that cannot be read, is not thrown away: every answer in it is
    listed so it can be copied. ``message`` says why (by default, that the
    session ended).
    """
    message = message or str(SESSION_ENDED)
    if request.is_json:
        code = "session_ended" if status == 401 else "bad_request"
        return jsonify({"error": {"code": code, "message": message}}), status
    page = render_template(
        "answering/session_ended.html",
        message=message,
        typed=typed_values(request.form),
        ended=status == 401,
    )
    return page, status


@bp.errorhandler(CSRFError)
def _form_refused(error: CSRFError) -> tuple[str, int] | tuple[Response, int]:
    """Answer an expert's form whose CSRF token was refused, listing what it carried.

    The CSRF check runs before the expert is loaded, so the session itself
    tells the two cases apart: still signed in means the page is stale (it
    was opened in an earlier session); not signed in means the session ended.
    """
    return session_ended(str(STALE_PAGE if session.get(SESSION_KEY) else SESSION_ENDED))


@bp.errorhandler(NulCharacter)
def _nul_character(error: NulCharacter) -> tuple[str, int] | tuple[Response, int]:
    """Answer a form with a NUL character by listing back everything it carried."""
    # TRANSLATORS: %(problem)s is a whole sentence saying what was wrong with the form.
    message = gettext("%(problem)s Nothing was saved.", problem=error.description)
    return session_ended(message, status=400)


@bp.errorhandler(RateLimitExceeded)
def _too_many_attempts(error: RateLimitExceeded) -> tuple[str, int]:
    """Say in words when to try invitation links again, read from the limit that was hit."""
    page = render_template("answering/too_many_attempts.html", retry_minutes=retry_minutes())
    return page, 429


def expert_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let only a signed-in expert through; anyone else gets the page explaining how to enter."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        """Refuse the request unless an expert is signed in."""
        if g.expert is None:
            return session_ended()
        return view(*args, **kwargs)

    return wrapped


def consented_expert() -> Expert | None:
    """Return the signed-in expert if they consented; ``None`` sends them to the welcome page."""
    expert: Expert = g.expert
    return expert if expert.consented_at is not None else None


def _after_redemption_limit(response: Response) -> bool:
    """Count only failed redemptions toward the rate limit."""
    return response.status_code == 404


@bp.route("/invite/<token>")
@limiter.limit(FAILED_INVITATIONS_LIMIT, deduct_when=_after_redemption_limit)
def redeem(token: str):
    """Enter the study from an invitation link, then drop the token from the address bar.

    Unknown and expired links get the same page and status. A withdrawn
    (revoked) link says so: only someone holding the link can learn that, and
    they were given it.
    Each redemption starts a new session (new session id, new CSRF token):
    whatever session this browser had, the same expert's included, is ended
    first, keeping only the language chosen on this browser. Answer pages
    still open from the earlier session save again through
    :func:`session_token` (their script fetches the new token).
    The link's use and the new session are recorded in a short write
    transaction of their own: the rest of this GET only reads.
    """
    with write_transaction() as writing:
        invitation = redeem_invitation(writing, token) if len(token) <= 100 else None
        if invitation is not None:
            sessions.finish(writing)
            sessions.begin(writing, expert_id=invitation.expert_id)
    if invitation is None:
        if len(token) <= 100 and link_withdrawn(db.session(), token):
            return render_template("answering/withdrawn_link.html"), 410
        return render_template("answering/invalid_link.html"), 404
    session[SESSION_KEY] = {"id": invitation.expert_id, "invitation": invitation.id}
    return redirect(url_for("answering.home"))


@bp.route("/expert/")
@expert_required
def home():
    """Welcome a new expert (consent first); send one who consented to the round taking answers."""
    expert: Expert = g.expert
    if expert.consented_at is None:
        return render_template("answering/welcome.html", study=expert.study, form=ConsentForm())
    round_ = open_round_of(db.session(), expert.study)
    if round_ is None or not takes_answers(db.session(), round_, expert.id):
        return render_closed(expert, round_)
    return redirect(url_for("answering.answer"))


@bp.route("/expert/consent", methods=["POST"])
@expert_required
def consent():
    """Record the expert's consent, or show the welcome page again with the reason."""
    expert: Expert = g.expert
    form = ConsentForm()
    if not form.validate_on_submit():
        return render_template("answering/welcome.html", study=expert.study, form=form), 400
    record_consent(db.session(), expert)
    return redirect(url_for("answering.home"))


@bp.route("/expert/guide")
@expert_required
def guide():
    """How to give probabilities and ranges, with a worked example."""
    return render_template("answering/guide.html", study=g.expert.study)


@bp.route("/expert/session-token")
def session_token() -> tuple[Response, int]:
    """Give an answer page opened in an earlier session the CSRF token of the current one.

    After its session ended, the expert opens their invitation link again
    (a new session, with a new token); the page left open asks here, with its
    expert's id as ``expert``, and saves what was typed with the new token.
    A page of another expert who entered on this browser since gets 409, and
    without a session the answer is 401, as for the autosave itself. Only a
    page of this site can read the answer (no cross-origin reads).
    """
    from flask_wtf.csrf import generate_csrf

    if g.expert is None:
        return jsonify({"error": {"code": "session_ended", "message": str(SESSION_ENDED)}}), 401
    if request.args.get("expert") != str(g.expert.id):
        message = gettext("Another expert has entered on this browser since this page was opened.")
        return jsonify({"error": {"code": "other_expert", "message": message}}), 409
    return jsonify({"csrf_token": generate_csrf()}), 200


@bp.route("/expert/leave", methods=["POST"])
def leave():
    """End the expert's session on this device, on the server too (the link still works later)."""
    sessions.finish(db.session())
    return render_template("answering/left.html")
