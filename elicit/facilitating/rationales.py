"""The rationales page: every reason given in a round, and hiding one from the panel's feedback."""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.analysis.visibility import round_limit, within
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import RationaleVisibilityForm
from elicit.feedback.services import set_rationale_hidden
from elicit.judgments.models import Judgment
from elicit.lookup import round_or_404, study_or_404
from elicit.panels.models import Expert
from elicit.studies.models import Question


@bp.route("/studies/<slug>/rounds/<int:number>/rationales")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def rationales(slug: str, number: int):
    """List every rationale given in round ``number``, question by question.

    Whoever may run the study can hide each one from the panel's feedback, or
    show it again; the answer itself still counts either way.
    """
    found, access = study_or_404(slug)
    round_ = round_or_404(found, number)
    if not within(round_.number, round_limit(found, access)):
        abort(403, gettext("Analysts see a round's answers once it closes."))
    rows = db.session.execute(
        sa.select(Question, Judgment, Expert.pseudonym)
        .join(Judgment, Judgment.question_id == Question.id)
        .join(Expert, Expert.id == Judgment.expert_id)
        .where(Judgment.round_id == round_.id, sa.func.trim(Judgment.rationale) != "")
        .order_by(Question.position, Expert.pseudonym)
    ).all()
    by_question = [
        (question, [(judgment, pseudonym) for _, judgment, pseudonym in group])
        for question, group in groupby(rows, key=lambda row: row[0])
    ]
    return render_template(
        "facilitating/rationales.html",
        study=found,
        round=round_,
        by_question=by_question,
        can_run=access >= StudyAccess.RUN,
    )


@bp.route("/studies/<slug>/judgments/<int:judgment_id>/rationale", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def rationale_visibility(slug: str, judgment_id: int):
    """Hide a judgment's rationale from the panel's feedback (``hidden=1``) or show it (``0``)."""
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    judgment = db.session.get(Judgment, judgment_id)
    if judgment is None or judgment.round.study_id != found.id:
        abort(404)
    form = RationaleVisibilityForm()
    if not form.validate_on_submit():
        abort(400, gettext("Send hidden=1 to hide the rationale or hidden=0 to show it."))
    hidden = form.hidden.data == "1"
    set_rationale_hidden(db.session(), judgment, hidden, actor=actor())
    who = {"expert": judgment.expert.pseudonym, "question": judgment.question.key}
    # TRANSLATORS: %(expert)s is a pseudonym (Alder), %(question)s a question's id (q1).
    flash(
        gettext(
            "%(expert)s's rationale on question %(question)s is now hidden from the panel's "
            "feedback.",
            **who,
        )
        if hidden
        else gettext(
            "%(expert)s's rationale on question %(question)s is shown in the panel's "
            "feedback again.",
            **who,
        ),
        "success",
    )
    return redirect(
        url_for(
            "facilitating.rationales",
            slug=found.slug,
            number=judgment.round.number,
            _anchor=f"judgment-{judgment.id}",
        )
    )
