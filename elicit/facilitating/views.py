"""The facilitator's console: the studies they run, their rounds and feedback settings.

Views parse the request, call one service and render; every rule lives in the
services (:mod:`elicit.rounds.services`, :mod:`elicit.feedback.services`) and
every role check in :mod:`elicit.accounts.access`. A refused action leaves the
database as it was (:func:`elicit.unit_of_work.refuse`). The round controls
(opening, closing, deadlines) are in :mod:`.rounds`; they show this page again
when their input is refused (:func:`render_study`).
"""

from __future__ import annotations

from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.analysis.round_statistics import panel_summary
from elicit.analysis.stopping import evaluate_rules, last_opened_round
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import (
    AnonymityForm,
    ExtendExpertForm,
    ExtendRoundForm,
    FeedbackSettingsForm,
    OpenRoundForm,
    RoundSettingsForm,
)
from elicit.facilitating.study_forms import CloneForm
from elicit.feedback.services import MIN_ANSWERS_LIMIT, update_settings
from elicit.judgments.models import Judgment
from elicit.lookup import study_or_404
from elicit.panels.models import Expert
from elicit.rounds.models import RoundExtension, RoundState
from elicit.rounds.services import closing_due
from elicit.studies.editing import first_asked_in
from elicit.studies.models import Study
from elicit.studies.round_settings import time_zone_names
from elicit.studies.services import study_has_opened, visible_studies
from elicit.unit_of_work import refuse

FORM_TITLES = {
    "settings_form": _l("The feedback settings were not saved"),
    "round_settings_form": _l("The round settings were not saved"),
    "anonymity_form": _l("The anonymity model was not saved"),
    "open_form": _l("No new round was opened"),
    "extend_form": _l("The closing time was not changed"),
    "expert_form": _l("No extension was given"),
    "clone_form": _l("The study was not copied"),
}
"""Each form of the study page, and what the error summary says when it was refused."""


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


def _default_forms(study: Study) -> dict[str, FlaskForm]:
    """Return every form of the study page, filled in with ``study``'s current settings."""
    return {
        "settings_form": FeedbackSettingsForm(
            formdata=None,
            data={
                "min_answers": study.feedback_min_answers,
                "hide_until_answered": study.hide_feedback_until_answered,
            },
        ),
        "round_settings_form": RoundSettingsForm(
            formdata=None,
            data={
                "time_zone": study.time_zone,
                "prefill_previous_answers": study.prefill_previous_answers,
                "analysts_see_live_pools": study.analysts_see_live_pools,
                "feedback_labels_per_round": study.feedback_labels_per_round,
            },
        ),
        "anonymity_form": AnonymityForm(formdata=None, data={"anonymity": study.anonymity.value}),
        "open_form": OpenRoundForm(formdata=None),
        "extend_form": ExtendRoundForm(formdata=None),
        "expert_form": ExtendExpertForm(formdata=None),
        "clone_form": CloneForm(
            formdata=None, prefix="clone", data={"slug": f"{study.slug}-copy"[:80]}
        ),
    }


def render_study(found: Study, access: StudyAccess, status: int = 200, **forms: FlaskForm):
    """Render the study page; a form passed in ``forms`` is shown as given, its errors included."""
    forms = {**_default_forms(found), **forms}
    refused = next((name for name in FORM_TITLES if name in forms and forms[name].errors), None)
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
    extensions = (
        db.session.execute(
            sa.select(Expert.pseudonym, RoundExtension.closes_at)
            .join(Expert, Expert.id == RoundExtension.expert_id)
            .where(RoundExtension.round_id == open_now.id)
            .order_by(Expert.pseudonym)
        ).all()
        if open_now is not None
        else []
    )
    last = last_opened_round(found)
    settles = evaluate_rules(db.session(), last).settled if last is not None else []
    return render_template(
        "facilitating/study.html",
        last_round=last,
        settles=settles,
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
        open_round=open_now,
        closing_due=open_now is not None and closing_due(db.session(), open_now),
        extensions=extensions,
        next_number=next_number,
        anonymity_fixed=study_has_opened(found),
        refused=forms[refused] if refused else None,
        refused_title=FORM_TITLES[refused] if refused else None,
        min_answers_limit=MIN_ANSWERS_LIMIT,
        time_zone_names=time_zone_names(),
        **forms,
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
    return render_study(found, access, status=400, settings_form=form)
