"""Choosing a study's anonymity model before round 1 opens (see ``studies.models.Anonymity``)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import AnonymityForm
from elicit.facilitating.views import render_study
from elicit.lookup import study_or_404
from elicit.studies.models import Anonymity
from elicit.studies.services import set_anonymity
from elicit.unit_of_work import refuse


@bp.route("/studies/<slug>/anonymity", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def anonymity(slug: str):
    """Save the study's anonymity model; refused once round 1 has opened."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = AnonymityForm()
    if form.validate_on_submit():
        try:
            set_anonymity(db.session(), found, Anonymity(form.anonymity.data), actor=actor())
        except DomainError as error:
            refuse()
            form.anonymity.errors = [*form.anonymity.errors, error.message]
        else:
            flash(gettext("The anonymity model is saved."), "success")
            return redirect(url_for("facilitating.study", slug=found.slug, _anchor="anonymity"))
    return render_study(found, access, anonymity_form=form, status=400)
