"""A question's page: edit it before it is asked; once asked, withdraw it or add a correction.

The rule that an asked question cannot change lives in
:mod:`elicit.studies.editing`; this page only offers what the rule allows and
shows the service's refusal beside the field it names.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.study_forms import CorrectionForm, QuestionForm, WithdrawForm
from elicit.lookup import study_or_404
from elicit.studies.editing import (
    FieldError,
    QuestionFields,
    add_corrected_question,
    edit_question,
    first_asked_in,
    withdraw_question,
)
from elicit.studies.models import Question, QuestionKind, Scale, Study
from elicit.studies.services import find_question
from elicit.unit_of_work import refuse


def _lookup(slug: str, key: str) -> tuple[Study, Question]:
    """Return the study ``slug``, which the user must be able to change, and its question ``key``.

    Answers 404 for a question the study does not have.
    """
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    question = find_question(db.session(), found, key)
    if question is None:
        abort(404)
    return found, question


def _current(question: Question) -> dict:
    """Return ``question``'s editable fields as form data."""
    data = asdict(QuestionFields.of(question))
    data["scale"] = question.scale.value if question.scale else None
    return data


def _values(form: QuestionForm, kind: QuestionKind) -> QuestionFields:
    """Read the fields of a question of ``kind`` from ``form``; the others stay empty."""
    quantity = kind is QuestionKind.QUANTITY
    scales = {scale.value: scale for scale in Scale}
    return QuestionFields(
        title=form.title.data or "",
        background=(form.background.data or "").strip(),
        resolution_criterion=form.resolution_criterion.data or "",
        resolution_source=form.resolution_source.data or "",
        close_date=form.close_date.data,
        resolve_by=form.resolve_by.data,
        allow_certainty=bool(form.allow_certainty.data) and not quantity,
        unit=(form.unit.data or "").strip() if quantity else None,
        quantiles=form.quantiles.data if quantity else None,
        lower_bound=form.lower_bound.data if quantity else None,
        upper_bound=form.upper_bound.data if quantity else None,
        scale=scales.get(form.scale.data or "") if quantity else None,
    )


def _refused(form, error: DomainError) -> list[str]:
    """Undo the request; put ``error`` beside the field it names, else return it for the page."""
    refuse()
    if isinstance(error, FieldError) and error.field in form:
        field = form[error.field]
        field.errors = [*field.errors, error.message]
        return []
    return [error.message]


def _page(
    study: Study, question: Question, *, status: int = 200, errors: list[str] | None = None, **forms
):
    """Render the question page with the forms its state allows (given ones keep their input)."""
    asked = first_asked_in(question)
    suggestion = f"{question.key}-v2"[:80]
    return render_template(
        "facilitating/question.html",
        study=study,
        question=question,
        asked=asked,
        errors=errors or [],
        edit_form=forms.get("edit_form") or QuestionForm(data=_current(question)),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
        correction_form=forms.get("correction_form")
        or CorrectionForm(data=_current(question) | {"key": suggestion}),
    ), status


@bp.route("/studies/<slug>/questions/<key>", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def question(slug: str, key: str):
    """Show the question's page; on POST, save an edit of a question not yet asked."""
    found, question = _lookup(slug, key)
    form, errors = QuestionForm(), []
    if form.is_submitted():
        if form.validate():
            try:
                edit_question(db.session(), question, _values(form, question.kind), actor=actor())
            except DomainError as error:
                errors = _refused(form, error)
            else:
                flash(gettext("Question %(key)s is saved.", key=question.key), "success")
                return redirect(url_for("facilitating.study", slug=found.slug))
        return _page(found, question, edit_form=form, errors=errors, status=400)
    return _page(found, question)


@bp.route("/studies/<slug>/questions/<key>/withdraw", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def withdraw(slug: str, key: str):
    """Withdraw the question: later rounds do not ask it; its answers are kept and marked."""
    found, question = _lookup(slug, key)
    form, errors = WithdrawForm(), []
    if form.validate_on_submit():
        try:
            withdraw_question(db.session(), question, form.reason.data, actor=actor())
        except DomainError as error:
            errors = _refused(form, error)
        else:
            flash(
                gettext(
                    "Question %(key)s is withdrawn: no round asks it any more, and its answers "
                    "are kept.",
                    key=question.key,
                ),
                "success",
            )
            return redirect(url_for("facilitating.question", slug=found.slug, key=question.key))
    return _page(found, question, withdraw_form=form, errors=errors, status=400)


@bp.route("/studies/<slug>/questions/<key>/correct", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def correct(slug: str, key: str):
    """Add a corrected version of the asked question, which the next round asks first."""
    found, question = _lookup(slug, key)
    form, errors = CorrectionForm(), []
    if form.validate_on_submit():
        try:
            added = add_corrected_question(
                db.session(), question, form.key.data, _values(form, question.kind), actor=actor()
            )
        except DomainError as error:
            errors = _refused(form, error)
        else:
            flash(
                gettext(
                    "Question %(key)s is added; round %(number)s is the first to ask it.",
                    key=added.key,
                    number=added.first_round,
                ),
                "success",
            )
            return redirect(url_for("facilitating.study", slug=found.slug))
    return _page(found, question, correction_form=form, errors=errors, status=400)
