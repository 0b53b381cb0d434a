"""What an expert gets when the database is too busy to save: the same page, nothing lost.

A save or submission that cannot get the database's write lock in time
(:func:`elicit.unit_of_work.is_busy`) is answered 503 with ``Retry-After``,
never 500. The answer form comes back with everything the expert typed still
in its fields and a message to send it again; the review page comes back as
it was (its drafts are saved already); autosave gets ``{"error": {"code":
"busy", ...}}``, whose message the page's script shows while it tries again.
What the page needs is read without the write lock, so it renders while the
lock is still held.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, g, jsonify, request
from flask_babel import lazy_gettext

from elicit.answering import entry, fields
from elicit.answering.blueprint import bp
from elicit.answering.review import render_review
from elicit.answering.round_page import render_round
from elicit.extensions import db
from elicit.rounds.services import numbered_round, round_questions
from elicit.unit_of_work import is_busy, read_only_from_now
from elicit.web import DATABASE_ERRORS, busy_response, with_retry_after

BUSY_FORM = lazy_gettext(
    "Many experts are sending answers at this moment, so yours could not be saved yet. "
    "Everything you typed is still below: send it again in a few seconds."
)
BUSY_REVIEW = lazy_gettext(
    "Many experts are sending answers at this moment, so nothing was submitted yet; your "
    "drafts are kept. Submit again in a few seconds."
)
# TRANSLATORS: a short clause; the page shows it as "Not saved yet (...); your text is still
# here. Trying again…" and tries again by itself.
BUSY_SAVE = lazy_gettext("many experts are saving at this moment")


def _render_again() -> tuple[str, int] | tuple[Response, int] | None:
    """Render the answer form (with what was typed) or the review page again, with status 503.

    ``None`` if the request was neither, or its expert or round cannot be
    found: the caller answers with the general busy page.
    """
    if request.endpoint not in {"answering.submit", "answering.submit_reviewed"}:
        return None
    entry.load_expert()
    expert = entry.consented_expert() if g.expert is not None else None
    if expert is None:
        return None
    number = (request.view_args or {}).get("number")
    round_ = numbered_round(db.session(), expert.study_id, number) if number is not None else None
    if round_ is None:
        return None
    if request.endpoint == "answering.submit_reviewed":
        return render_review(expert, round_, problem=str(BUSY_REVIEW), status=503)
    asked = {question.id: question for question in round_questions(db.session(), round_)}
    typed, _closed = fields.typed_answers(db.session(), round_, asked, request.form)
    return render_round(expert, round_, typed=typed, problem=str(BUSY_FORM), status=503)


@bp.errorhandler(sa.exc.DBAPIError)
@bp.errorhandler(sa.exc.TimeoutError)
def _busy(error: Exception) -> Response:
    """Answer an expert's request the database was too busy for (see the module docstring)."""
    if not is_busy(error):
        raise error
    read_only_from_now()
    if request.is_json:
        body = {"error": {"code": "busy", "message": str(BUSY_SAVE)}}
        return with_retry_after((jsonify(body), 503))
    try:
        page = _render_again()
    except DATABASE_ERRORS as again:
        if not is_busy(again):
            raise
        db.session.rollback()
        page = entry.session_ended(str(BUSY_FORM), status=503)
    return with_retry_after(page) if page is not None else busy_response()
