"""The dashboard: how a study's rounds are going, for whoever may see the study.

Response rates overall and by panel group, who has not answered the current
round (as the anonymity model allows, see :mod:`elicit.analysis.dashboard`),
and for every question its figures round by round with a small convergence
chart, of the rounds the viewer may see (an analyst: the closed ones,
:mod:`elicit.analysis.visibility`). The page is read-only.
"""

from __future__ import annotations

from flask import render_template

from elicit.accounts.access import StudyAccess, roles_required
from elicit.accounts.models import Role
from elicit.analysis.dashboard import Dashboard, build_dashboard
from elicit.analysis.visibility import round_limit
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.feedback.charts import trend
from elicit.lookup import study_or_404
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Study


@bp.route("/studies/<slug>/dashboard")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def dashboard(slug: str):
    """Show the study's response, who is pending and each question across rounds."""
    found, access = study_or_404(slug)
    questions = list(found.questions)
    board = build_dashboard(
        db.session(),
        found,
        questions,
        show_names=access >= StudyAccess.RUN,
        through_round=round_limit(found, access),
    )
    trends = {}
    for question in questions:
        points = [
            (r.round.number, f.median, f.q25, f.q75)
            for r in board.rounds
            if (f := r.questions.get(question.id)) is not None
        ]
        if points:
            log = question.scale is not None and question.scale.value == "log"
            trends[question.id] = trend(points, question, log=log)
    return render_template(
        "facilitating/dashboard.html",
        study=found,
        board=board,
        questions=questions,
        trends=trends,
        show_names=access >= StudyAccess.RUN,
        hidden=_hidden_round(found, board),
    )


def _hidden_round(study: Study, board: Dashboard) -> Round | None:
    """Return the open round if the dashboard leaves it out (the viewer sees closed rounds only)."""
    shown = {figures.round.id for figures in board.rounds}
    return next((r for r in study.rounds if r.state is RoundState.OPEN and r.id not in shown), None)
