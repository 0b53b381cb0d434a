"""A study's downloads: each table as CSV or JSON, and the whole study as one ZIP.

``/analyse/studies/SLUG/download/WHAT.FORMAT`` streams one table
(:data:`elicit.analysis.exports.WHAT`, as ``csv`` or ``json``) and
``/analyse/studies/SLUG/download.zip`` the whole study with its manifest
(:mod:`elicit.analysis.exports`). A study the user may not see answers 404.
A name that is not ``WHAT.FORMAT`` with a known table and format answers 400
naming what is wrong (as JSON ``{"error": {...}}`` when JSON was asked for); a
path with more parts matches no route and answers 404.

Every download holds the rounds within the user's round limit only
(:func:`elicit.analysis.visibility.round_limit`): an analyst gets a round's
judgments, and what is computed from them, once it has closed, unless the
study lets analysts watch the open round; the ZIP's manifest lists the rounds
included and left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Response, jsonify, stream_with_context
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit.accounts.access import roles_required
from elicit.analysing.blueprint import bp
from elicit.analysing.views import STAFF
from elicit.analysis import exports
from elicit.analysis.visibility import round_limit
from elicit.extensions import db
from elicit.lookup import study_or_404
from elicit.studies.models import Study
from elicit.web import error_response


@bp.route("/studies/<slug>/download/<name>")
@roles_required(*STAFF)
def download(slug: str, name: str):
    """Stream table ``WHAT`` of the study as ``FORMAT``, named by ``name`` (``WHAT.FORMAT``)."""
    found, access = study_or_404(slug)
    limit = round_limit(found, access)
    what, _, fmt = name.rpartition(".")
    if fmt not in exports.FORMATS:
        return _bad(
            "bad_format",
            gettext("Unknown format %(format)s: ask for csv or json.", format=fmt),
            fmt,
        )
    if what not in exports.WHAT:
        return _bad(
            "bad_what",
            gettext(
                "Unknown download %(what)s: ask for %(known)s.",
                what=what,
                known=", ".join(exports.WHAT),
            ),
            fmt,
        )
    return _streamed(
        found,
        lambda session, study: exports.table(session, study, what, fmt, through_round=limit),
        exports.filename(found, what, fmt),
        exports.MIME[fmt],
    )


@bp.route("/studies/<slug>/download.zip")
@roles_required(*STAFF)
def download_zip(slug: str):
    """Stream the whole study as a ZIP with its manifest."""
    found, access = study_or_404(slug)
    limit = round_limit(found, access)
    return _streamed(
        found,
        lambda session, study: exports.study_zip(
            study,
            exports.study_files(session, study, through_round=limit),
            through_round=limit,
        ),
        exports.filename(found, "", "zip"),
        exports.MIME["zip"],
    )


def _streamed(
    study: Study,
    write: Callable[[Session, Study], Iterator[bytes]],
    name: str,
    mimetype: str,
) -> Response:
    """Stream what ``write`` makes of ``study`` as an attachment called ``name``.

    The server sends the body after the view has returned: the request's app
    context has been popped by then and its database session removed (closed,
    its objects detached). ``stream_with_context`` pushes the contexts again
    around the body, so the body loads the study afresh, by id, in the session
    it gets there, instead of touching the request's closed one.
    """
    study_id = study.id

    def chunks() -> Iterator[bytes]:
        session = db.session()
        yield from write(session, session.get_one(Study, study_id))

    return Response(
        stream_with_context(chunks()),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _bad(code: str, message: str, fmt: str) -> tuple[Response | str, int]:
    """Answer 400 with ``message``: as JSON for a JSON download, else as the error page."""
    if fmt == "json":
        return jsonify({"error": {"code": code, "message": message}}), 400
    return error_response(400, code, message)
