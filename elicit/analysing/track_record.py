"""A study's track-record page: each person's record, and whether weighting by it pays.

``/analyse/studies/<slug>/track-record`` shows, for each expert of the study,
their person pseudonym (the same in every study of the owner), how many of
the study's and of all the owner's studies' (that the viewer may see)
resolved questions they forecast, with their mean Brier scores; then the
back-test of the track-record-weighted pools against the equal-weight pools,
with the weighting's minimum, shrinkage and sharpness. ``?score=brier|log``
chooses the score the weights are earned by.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_babel import gettext, lazy_gettext

from elicit.accounts.access import actor, roles_required
from elicit.analysing.blueprint import bp
from elicit.analysing.views import STAFF
from elicit.extensions import db
from elicit.lookup import study_or_404

SCORES = {"brier": lazy_gettext("Brier score"), "log": lazy_gettext("log score")}
"""The scores weights may be earned by, as ``?score=`` names them."""

POOLS = {
    "linear": lazy_gettext("Linear pool (mean)"),
    "median": lazy_gettext("Median"),
    "trimmed_mean": lazy_gettext("Trimmed mean"),
    "geometric_mean": lazy_gettext("Geometric mean"),
    "log_odds": lazy_gettext("Mean log odds"),
    "extremized_log_odds": lazy_gettext("Extremized mean log odds"),
    "probit": lazy_gettext("Mean probit"),
    "recency_weighted_median": lazy_gettext("Recency-weighted median"),
}
"""Each pool's name on the page."""


def pool_label(pool: str, weighted: bool) -> str:
    """Name a back-test row: the pool, and whether its weights come from track records."""
    if weighted:
        # TRANSLATORS: a pool whose experts are weighted by their track records,
        # e.g. "Median, weighted by track record".
        return gettext("%(pool)s, weighted by track record", pool=POOLS.get(pool, pool))
    return gettext("%(pool)s, equal weights", pool=POOLS.get(pool, pool))


@bp.route("/studies/<slug>/track-record")
@roles_required(*STAFF)
def track_record_page(slug: str):
    """Show the study's experts' track records and the weighting back-test."""
    found, _ = study_or_404(slug)
    score = request.args.get("score", "brier")
    if score not in SCORES:
        abort(400, gettext("The parameter score must be brier or log."))
    from elicit.analysis.track_record import track_record

    report = track_record(
        db.session(),
        found,
        actor(),
        secret=current_app.config["SECRET_KEY"].encode(),
        score=score,
    )
    return render_template(
        "analysing/track_record.html",
        study=found,
        report=report,
        rows=report.rows(),
        scores=SCORES,
        pool_label=pool_label,
    )
