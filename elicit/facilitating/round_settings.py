"""The study's round settings: the time zone of its closing times, and pre-filled answers."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import RoundSettingsForm
from elicit.facilitating.rounds import sentence
from elicit.facilitating.views import render_study
from elicit.lookup import study_or_404
from elicit.studies.round_settings import update_round_settings
from elicit.unit_of_work import refuse


@bp.post("/studies/<slug>/round-settings")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def round_settings(slug: str):
    """Save the study's time zone and pre-fill option; a zone that is not known shows why."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = RoundSettingsForm()
    if form.validate_on_submit():
        try:
            update_round_settings(
                db.session(),
                found,
                time_zone=form.time_zone.data,
                prefill_previous_answers=form.prefill_previous_answers.data,
                analysts_see_live_pools=form.analysts_see_live_pools.data,
                feedback_labels_per_round=form.feedback_labels_per_round.data,
                actor=actor(),
            )
        except DomainError as error:
            refuse()
            form.time_zone.errors = [sentence(error.message)]
        else:
            flash(gettext("The round settings are saved."), "success")
            return redirect(url_for("facilitating.study", slug=found.slug, _anchor="rounds"))
    return render_study(found, access, status=400, round_settings_form=form)
