"""A study's calibration report and its plots: ``/analyse/studies/<slug>/calibration``.

The page shows what :func:`elicit.analysis.calibration.for_study` computes (the
experts' scores by pseudonym, the back-test of the pooling methods, the
reliability diagram's bins, Cooke's model) through :mod:`elicit.formatting`,
and the plots of :mod:`elicit.analysis.plots` as images served by
:func:`plot`. ``?round=N`` scores round N instead of each expert's last.
Both read the rounds within the user's round limit only
(:mod:`elicit.analysis.visibility`); a round beyond it answers 403.
"""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext

from elicit.accounts.access import roles_required
from elicit.analysing.blueprint import bp
from elicit.analysing.views import STAFF
from elicit.analysis.visibility import round_limit, visible_rounds, within
from elicit.extensions import db
from elicit.lookup import round_or_404, study_or_404
from elicit.studies.models import Study


def _round(study: Study, limit: int | None) -> int | None:
    """Return the ``round`` query parameter (None if absent).

    400 if malformed, 404 if unknown, 403 if beyond the user's round ``limit``.
    """
    given = request.args.get("round")
    if given is None:
        return None
    if not given.isdigit() or int(given) < 1:
        abort(
            400, gettext("round must be a round number (1, 2, ...), not “%(given)s”", given=given)
        )
    number = round_or_404(study, int(given)).number
    if not within(number, limit):
        abort(403, gettext("Analysts see a round's answers once it closes."))
    return number


def _study(slug: str) -> tuple[Study, int | None]:
    """Return the study ``slug`` (or answer 404) and the user's round limit for it."""
    found, access = study_or_404(slug)
    return found, round_limit(found, access)


@bp.route("/studies/<slug>/calibration")
@roles_required(*STAFF)
def calibration(slug: str):
    """Show the study's scores, back-test and Cooke's model, with the plots."""
    from elicit.analysis import calibration as service
    from elicit.analysis import plots

    found, limit = _study(slug)
    number = _round(found, limit)
    report = service.for_study(db.session(), found, number, through_round=limit)
    return render_template(
        "analysing/calibration.html",
        study=found,
        report=report,
        plots=plots.available(report),
        caption=plots.caption,
        quantities=sorted(report.quantities),
        round_number=number,
        rounds=[r.number for r in visible_rounds(found.rounds, limit)],
    )


@bp.route("/studies/<slug>/plots/<name>.<fmt>")
@roles_required(*STAFF)
def plot(slug: str, name: str, fmt: str):
    """Serve one plot as SVG (or PNG); 404 for an unknown plot, 400 for a bad format."""
    from elicit.analysis import calibration as service
    from elicit.analysis import plots

    found, limit = _study(slug)
    if name not in plots.PLOTS:
        abort(404)
    if fmt not in plots.FORMATS:
        abort(400, gettext("format must be svg or png, not “%(given)s”", given=fmt))
    number = _round(found, limit)
    question = request.args.get("question")
    if name == "quantity" and not question:
        abort(400, gettext("question must name a quantity question of the study"))
    report = service.for_study(db.session(), found, number, through_round=limit)
    if name == "quantity" and question not in report.quantities:
        abort(400, gettext("question must name a quantity question of the study"))
    try:
        body = plots.plot(name, report, fmt, question)
    except plots.NoData:
        abort(404, gettext("This study has nothing to show in this plot yet."))
    filename = f"{found.slug}-{name}{'-' + question if question else ''}.{fmt}"
    return Response(
        body,
        mimetype=plots.FORMATS[fmt],
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
