"""The facilitator's console: the studies they run, their rounds and feedback settings.

Views parse the request, call one service and render; every rule lives in the
services (:mod:`elicit.rounds.services`, :mod:`elicit.feedback.services`) and
every role check in :mod:`elicit.accounts.access`. A refused action leaves the
database as it was (:func:`elicit.unit_of_work.refuse`).
"""

from __future__ import annotations

from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.analysis.round_statistics import panel_summary
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import AnonymityForm, FeedbackSettingsForm
from elicit.facilitating.lookup import round_or_404, study_or_404
from elicit.facilitating.study_forms import CloneForm
from elicit.feedback.services import MIN_ANSWERS_LIMIT, update_settings
from elicit.judgments.models import Judgment
from elicit.panels.models import Expert
from elicit.rounds.models import RoundState
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.editing import first_asked_in
from elicit.studies.models import Study
from elicit.studies.services import anonymity_fixed, visible_studies
from elicit.unit_of_work import refuse


@bp.route("/")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def index():
    """List the studies the user may see, with their panel size and round states.

    Archived studies are listed apart, after the others.
    """
    studies = db.session.scalars(visible_studies(current_user)).all()
    panel_sizes = dict(
        db.session.execute(
            sa.select(Expert.study_id, sa.func.count()).group_by(Expert.study_id)
        ).all()
    )
    return render_template(
        "facilitating/index.html",
        studies=[s for s in studies if s.archived_at is None],
        archived=[s for s in studies if s.archived_at is not None],
        panel_sizes=panel_sizes,
        can_create=current_user.role in (Role.ADMIN, Role.FACILITATOR),
    )


def _settings_form(study: Study) -> FeedbackSettingsForm:
    """Return the feedback-settings form filled in with ``study``'s current settings."""
    return FeedbackSettingsForm(
        data={
            "min_answers": study.feedback_min_answers,
            "hide_until_answered": study.hide_feedback_until_answered,
        }
    )


def render_study(
    found: Study,
    access: StudyAccess,
    *,
    settings_form: FeedbackSettingsForm | None = None,
    anonymity_form: AnonymityForm | None = None,
    clone_form: CloneForm | None = None,
    status: int = 200,
):
    """Render the study page; a form given (a refused one, with errors) replaces the saved one."""
    summaries = [
        (round_, panel_summary(db.session(), round_))
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
    open_now = next((r for r in found.rounds if r.state is RoundState.OPEN), None)
    draft = next((r for r in found.rounds if r.state is RoundState.DRAFT), None)
    next_number = draft.number if draft else max((r.number for r in found.rounds), default=0) + 1
    return render_template(
        "facilitating/study.html",
        study=found,
        sections=sections,
        summaries=summaries,
        answers_per_round=answers_per_round,
        panel_size=len(found.experts),
        can_run=access >= StudyAccess.RUN,
        can_change=access >= StudyAccess.RUN and found.archived_at is None,
        can_share=access >= StudyAccess.OWN,
        first_asked={q.id: first_asked_in(q) for q in found.questions},
        study_zone=ZoneInfo(found.time_zone),
        clone_form=clone_form
        or CloneForm(prefix="clone", data={"slug": f"{found.slug}-copy"[:80]}),
        open_round=open_now,
        next_number=next_number,
        settings_form=settings_form or _settings_form(found),
        anonymity_form=anonymity_form or AnonymityForm(data={"anonymity": found.anonymity.value}),
        anonymity_fixed=anonymity_fixed(found),
        min_answers_limit=MIN_ANSWERS_LIMIT,
    ), status


@bp.route("/studies/<slug>")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def study(slug: str):
    """Show a study's rounds and questions, with the panel's answers round by round.

    Every round that has opened gets a column, so the facilitator can watch the
    panel converge (or not) from one round to the next. Whoever may run the
    study also gets the round controls and the feedback settings.
    """
    found, access = study_or_404(slug)
    return render_study(found, access)


@bp.route("/studies/<slug>/rounds/<int:number>/close", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def close(slug: str, number: int):
    """Close round ``number`` and go back to the study page saying what happened.

    The round is named in the URL, so a button on a page that has gone stale
    can never close a later round than the one it showed.
    """
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    round_ = round_or_404(found, number)
    try:
        close_round(db.session(), round_, actor=actor())
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(
            gettext(
                "Round %(number)s was not closed: %(reason)s.", number=number, reason=error.message
            ),
            "error",
        )
    else:
        flash(
            gettext(
                "Round %(number)s is closed: experts can no longer answer in it, and its answers "
                "are the feedback for the next round.",
                number=number,
            ),
            "success",
        )
    return redirect(url_for("facilitating.study", slug=found.slug))


@bp.route("/studies/<slug>/rounds/open-next", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def open_next(slug: str):
    """Open the study's next round and go back to the study page saying what happened."""
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    try:
        round_ = open_next_round(db.session(), found, actor=actor())
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("No new round was opened: %(reason)s.", reason=error.message), "error")
    else:
        flash(
            gettext("Round %(number)s is open: experts can answer now.", number=round_.number),
            "success",
        )
    return redirect(url_for("facilitating.study", slug=found.slug))


@bp.route("/studies/<slug>/feedback-settings", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def feedback_settings(slug: str):
    """Save how the study shows feedback; on invalid input show the page again with the error."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = FeedbackSettingsForm()
    if form.validate_on_submit():
        try:
            update_settings(
                db.session(),
                found,
                min_answers=form.min_answers.data,
                hide_until_answered=form.hide_until_answered.data,
                actor=actor(),
            )
        except DomainError as error:
            refuse()
            form.min_answers.errors = [*form.min_answers.errors, error.message]
        else:
            flash(gettext("The feedback settings are saved."), "success")
            return redirect(url_for("facilitating.study", slug=found.slug, _anchor="feedback"))
    return render_study(found, access, settings_form=form, status=400)
