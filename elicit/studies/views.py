"""The facilitator's console: the studies they run and what is in them."""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_login import current_user

from elicit.accounts.models import Role
from elicit.accounts.views import roles_required
from elicit.extensions import db
from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import RoundState
from elicit.rounds.monitoring import panel_summary
from elicit.studies.models import Study

bp = Blueprint("facilitate", __name__, url_prefix="/facilitate")


def _visible_studies():
    """Return a query for the studies the current user may see (admins and analysts: all)."""
    query = sa.select(Study).order_by(Study.created_at.desc())
    if current_user.role is Role.FACILITATOR:
        query = query.where(Study.owner_id == current_user.id)
    return query


@bp.route("/")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def index():
    """List the studies the user runs, with their panel size and round states."""
    studies = db.session.scalars(_visible_studies()).all()
    panel_sizes = dict(
        db.session.execute(
            sa.select(Expert.study_id, sa.func.count()).group_by(Expert.study_id)
        ).all()
    )
    return render_template("facilitate/index.html", studies=studies, panel_sizes=panel_sizes)


@bp.route("/studies/<slug>")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def study(slug: str):
    """Show a study's rounds and questions, with the panel's answers round by round.

    Every round that has opened gets a column, so the facilitator can watch the
    panel converge (or not) from one round to the next.
    """
    found = db.session.scalar(_visible_studies().where(Study.slug == slug))
    if found is None:
        abort(404)
    summaries = [
        (round_, panel_summary(db.session, round_))
        for round_ in found.rounds
        if round_.state is not RoundState.DRAFT
    ]
    answers_per_round = dict(
        db.session.execute(
            sa.select(Judgment.round_id, sa.func.count(sa.distinct(Judgment.expert_id)))
            .where(Judgment.round_id.in_([r.id for r in found.rounds]))
            .group_by(Judgment.round_id)
        ).all()
    )
    sections = [
        (section, list(questions))
        for section, questions in groupby(found.questions, key=lambda q: q.section)
    ]
    return render_template(
        "facilitate/study.html",
        study=found,
        sections=sections,
        summaries=summaries,
        answers_per_round=answers_per_round,
        panel_size=len(found.experts),
    )
