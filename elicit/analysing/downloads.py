"""A study's downloads: each table as CSV or JSON, and the whole study as one ZIP.

``/analyse/studies/SLUG/download/WHAT.FORMAT`` streams one table
(:data:`elicit.analysis.exports.WHAT`, as ``csv`` or ``json``) and
``/analyse/studies/SLUG/download.zip`` the whole study with its manifest
(:mod:`elicit.analysis.exports`). A study the user may not see answers 404.
A name that is not ``WHAT.FORMAT`` with a known table and format answers 400
naming what is wrong (as JSON ``{"error": {...}}`` when JSON was asked for); a
path with more parts matches no route and answers 404.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, jsonify, stream_with_context
from flask_babel import gettext

from elicit.accounts.access import roles_required
from elicit.analysing.blueprint import bp
from elicit.analysing.views import STAFF
from elicit.analysis import exports
from elicit.extensions import db
from elicit.lookup import study_or_404
from elicit.web import error_response


@bp.route("/studies/<slug>/download/<name>")
@roles_required(*STAFF)
def download(slug: str, name: str):
    """Stream table ``WHAT`` of the study as ``FORMAT``, named by ``name`` (``WHAT.FORMAT``)."""
    found, _ = study_or_404(slug)
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
    chunks = exports.table(db.session(), found, what, fmt)
    return _streamed(chunks, exports.filename(found, what, fmt), exports.MIME[fmt])


@bp.route("/studies/<slug>/download.zip")
@roles_required(*STAFF)
def download_zip(slug: str):
    """Stream the whole study as a ZIP with its manifest."""
    found, _ = study_or_404(slug)
    files = exports.study_files(db.session(), found)
    chunks = exports.study_zip(found, files)
    return _streamed(chunks, exports.filename(found, "", "zip"), exports.MIME["zip"])


def _streamed(chunks: Iterator[bytes], name: str, mimetype: str) -> Response:
    """Stream ``chunks`` as an attachment called ``name``, the request's session open meanwhile."""
    return Response(
        stream_with_context(chunks),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _bad(code: str, message: str, fmt: str) -> tuple[Response | str, int]:
    """Answer 400 with ``message``: as JSON for a JSON download, else as the error page."""
    if fmt == "json":
        return jsonify({"error": {"code": code, "message": message}}), 400
    return error_response(400, code, message)
