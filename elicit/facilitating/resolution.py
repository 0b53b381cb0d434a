"""The resolution page: record how questions turned out, and calibration answers published late.

The page lists questions past their resolve-by date first (the queue), then
the unresolved ones not yet due (an event can settle a question early), the
calibration questions still waiting for their realization, and what has
resolved. Whoever may run the study records outcomes; analysts only look.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import RealizationForm, ResolveForm
from elicit.lookup import study_or_404
from elicit.studies.models import Outcome, Question, Study
from elicit.studies.services import (
    find_question,
    record_realization,
    resolution_queue,
    resolve_question,
)
from elicit.unit_of_work import refuse


def _today(study: Study) -> date:
    """Today's date where the study is run (its time zone), which decides what is due."""
    try:
        zone = ZoneInfo(study.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


def _prefix(question: Question) -> str:
    """Return the prefix that keeps each question's form fields apart on the one page."""
    return f"q{question.id}"


def _render(study: Study, access: StudyAccess, refused=None, status: int = 200):  # noqa: ANN001
    """Render the page; ``refused`` is a form sent back with its errors, shown in its place."""
    today = _today(study)
    queue = resolution_queue(db.session(), study, today)
    forms = {}
    for question in queue.due + queue.upcoming:
        forms[question.id] = ResolveForm(
            prefix=_prefix(question), formdata=None, data={"resolved_on": today}
        )
    for question in queue.unrealized:
        forms[question.id] = RealizationForm(prefix=_prefix(question), formdata=None)
    if refused is not None:
        forms[refused[0].id] = refused[1]
    return render_template(
        "facilitating/resolution.html",
        study=study,
        queue=queue,
        forms=forms,
        refused=refused[0] if refused else None,
        today=today,
        can_run=access >= StudyAccess.RUN,
    ), status


def _question_or_404(study: Study, key: str) -> Question:
    """Return question ``key`` of ``study``, else answer 404."""
    question = find_question(db.session(), study, key)
    if question is None:
        abort(404)
    return question


@bp.route("/studies/<slug>/resolution")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def resolution(slug: str):
    """List the study's questions by what they need: an outcome, a realization, or nothing."""
    found, access = study_or_404(slug)
    return _render(found, access)


@bp.route("/studies/<slug>/questions/<key>/resolve", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def resolve(slug: str, key: str):
    """Record one question's outcome or value, its source and date."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    question = _question_or_404(found, key)
    form = ResolveForm(prefix=_prefix(question))
    if form.validate_on_submit():
        try:
            resolve_question(
                db.session(),
                question,
                outcome=Outcome(form.outcome.data) if form.outcome.data else None,
                value=form.value.number,
                source=form.source.data,
                resolved_on=form.resolved_on.data,
                actor=actor(),
            )
        except DomainError as error:
            refuse()
            if error.code == "missing_source":
                field = form.source
            else:
                field = form.outcome if question.is_binary else form.value
            field.errors = [*field.errors, error.message]
        else:
            flash(gettext("Question %(key)s is resolved.", key=question.key), "success")
            return redirect(url_for("facilitating.resolution", slug=found.slug))
    return _render(found, access, refused=(question, form), status=400)


@bp.route("/studies/<slug>/questions/<key>/realization", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def realization(slug: str, key: str):
    """Record the realization of a calibration question created without it."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    question = _question_or_404(found, key)
    form = RealizationForm(prefix=_prefix(question))
    if form.validate_on_submit() and form.realization.number is not None:
        try:
            record_realization(db.session(), question, form.realization.number, actor=actor())
        except DomainError as error:
            refuse()
            form.realization.errors = [*form.realization.errors, error.message]
        else:
            flash(gettext("The realization of %(key)s is recorded.", key=question.key), "success")
            return redirect(url_for("facilitating.resolution", slug=found.slug))
    return _render(found, access, refused=(question, form), status=400)
