"""The studies an analyst may see, and each study's overview: its rounds, questions and outcomes.

A study the user may not see answers 404 (:func:`elicit.lookup.study_or_404`),
whatever the user's role. Every page here shows the rounds within the user's
round limit only (:mod:`elicit.analysis.visibility`: an analyst sees a round
once it has closed, unless the study lets analysts watch the open one).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_login import current_user

from elicit.accounts.access import roles_required
from elicit.accounts.models import Role
from elicit.analysing.blueprint import bp
from elicit.analysis.visibility import round_limit, visible_rounds
from elicit.extensions import db
from elicit.judgments.models import Judgment
from elicit.lookup import study_or_404
from elicit.panels.models import Expert
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Question, Resolution
from elicit.studies.services import visible_studies

STAFF = (Role.ADMIN, Role.FACILITATOR, Role.ANALYST)


@bp.route("/")
@roles_required(*STAFF)
def index():
    """List the studies the user may see, with their panel size and resolved questions."""
    studies = db.session.scalars(visible_studies(current_user)).all()
    ids = [s.id for s in studies]
    panel = dict(
        db.session.execute(
            sa.select(Expert.study_id, sa.func.count())
            .where(Expert.study_id.in_(ids))
            .group_by(Expert.study_id)
        ).all()
    )
    resolved = dict(
        db.session.execute(
            sa.select(Question.study_id, sa.func.count())
            .join(Resolution, Resolution.question_id == Question.id)
            .where(Question.study_id.in_(ids))
            .group_by(Question.study_id)
        ).all()
    )
    return render_template("analysing/index.html", studies=studies, panel=panel, resolved=resolved)


@bp.route("/studies/<slug>")
@roles_required(*STAFF)
def study(slug: str):
    """Show a study's rounds (with their answer counts) and questions (with their outcomes)."""
    found, access = study_or_404(slug)
    rounds = visible_rounds(found.rounds, round_limit(found, access))
    hidden = next((r for r in found.rounds if r.state is RoundState.OPEN and r not in rounds), None)
    answers = dict(
        db.session.execute(
            sa.select(Round.id, sa.func.count(Judgment.id))
            .join(Judgment, Judgment.round_id == Round.id)
            .where(Round.id.in_([r.id for r in rounds]))
            .group_by(Round.id)
        ).all()
    )
    questions = sorted(found.questions, key=lambda q: q.position)
    return render_template(
        "analysing/study.html",
        study=found,
        rounds=rounds,
        hidden=hidden,
        answers=answers,
        questions=questions,
    )
