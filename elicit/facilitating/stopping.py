"""The stopping-rules page: register rules before round 1, then see each round judged by them.

Thresholds on the answers' scale are typed as the facilitator thinks of them:
in percentage points for probability questions (10 means 10 pp) and in the
question's unit for quantities; the service stores probabilities as fractions.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.analysis.stopping import MIN_ANSWERS, evaluate_rules
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import QUESTION_MESSAGE, StoppingRuleForm
from elicit.lookup import study_or_404
from elicit.rounds.models import RoundState
from elicit.stopping.models import RuleKind, StoppingRule
from elicit.stopping.services import (
    add_rule,
    registration,
    remove_rule,
    settled_question_ids,
    study_rules,
)
from elicit.studies.models import Question, Study
from elicit.studies.services import study_has_opened
from elicit.unit_of_work import refuse


def _form(study: Study, form: StoppingRuleForm | None = None) -> StoppingRuleForm:
    """Return ``form`` (or a blank one) offering ``study``'s questions."""
    form = form or StoppingRuleForm(formdata=None)
    form.question.choices = [(str(q.id), f"{q.key}: {q.title}") for q in study.questions]
    return form


def _render(study: Study, access: StudyAccess, form: StoppingRuleForm | None = None, status=200):  # noqa: ANN001
    """Render the page; a refused ``form`` is shown with its errors and typed values."""
    session = db.session()
    reports = [
        evaluate_rules(session, round_)
        for round_ in study.rounds
        if round_.state is not RoundState.DRAFT
    ]
    return render_template(
        "facilitating/stopping.html",
        study=study,
        rules=study_rules(session, study),
        registration=registration(session, study),
        fixed=study_has_opened(study),
        form=_form(study, form),
        reports=reports,
        settled=settled_question_ids(session, study),
        min_answers=MIN_ANSWERS,
        can_run=access >= StudyAccess.RUN,
    ), status


@bp.route("/studies/<slug>/stopping-rules")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def stopping_rules(slug: str):
    """Show the study's stopping rules and how every round so far measured up to them."""
    found, access = study_or_404(slug)
    return _render(found, access)


def _on_scale(question: Question, kind: RuleKind, typed: float | None) -> float | None:
    """Turn a typed IQR or mean-change threshold into the stored scale (pp -> fraction)."""
    widths = (RuleKind.IQR, RuleKind.MEAN_CHANGE)
    if typed is None or not question.is_binary or kind not in widths:
        return typed
    return typed / 100


@bp.route("/studies/<slug>/stopping-rules", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def add_stopping_rule(slug: str):
    """Register a rule for one question (replacing its rule of the same kind)."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = _form(found, StoppingRuleForm())
    question = next((q for q in found.questions if str(q.id) == form.question.data), None)
    if form.validate_on_submit() and question is None:
        form.question.errors = [*form.question.errors, str(QUESTION_MESSAGE)]
    elif form.validate_on_submit() and question is not None:
        kind = RuleKind(form.kind.data)
        band = form.band.number
        try:
            add_rule(
                db.session(),
                question,
                kind,
                _on_scale(question, kind, form.threshold.number) or 0.0,
                band / 100 if band is not None and question.is_binary else band,
                actor=actor(),
            )
        except DomainError as error:
            refuse()
            fields = {"invalid_band": form.band, "rules_fixed": form.kind}
            field = fields.get(error.code, form.threshold)
            field.errors = [*field.errors, error.message]
        else:
            flash(gettext("The rule for %(key)s is registered.", key=question.key), "success")
            return redirect(url_for("facilitating.stopping_rules", slug=found.slug))
    return _render(found, access, form, status=400)


@bp.route("/studies/<slug>/stopping-rules/<int:rule_id>/remove", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def remove_stopping_rule(slug: str, rule_id: int):
    """Take a rule back before round 1 opens."""
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    rule = db.session.get(StoppingRule, rule_id)
    if rule is None or rule.study_id != found.id:
        abort(404)
    form = StoppingRuleForm()
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    try:
        remove_rule(db.session(), rule, actor=actor())
    except DomainError as error:
        refuse()
        flash(gettext("The rule was not removed: %(reason)s.", reason=error.message), "error")
    else:
        flash(gettext("The rule is removed."), "success")
    return redirect(url_for("facilitating.stopping_rules", slug=found.slug))
