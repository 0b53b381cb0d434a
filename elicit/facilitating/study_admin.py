"""Cloning a study, and archiving and unarchiving it (the owner's, or an admin's, alone).

A clone copies the questions and settings under a new short name and title,
with no experts, rounds or answers, and belongs to whoever made it. An
archived study is read-only until its owner unarchives it: studies are never
deleted.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.study_forms import CloneForm
from elicit.facilitating.views import render_study
from elicit.lookup import study_or_404
from elicit.studies.services import archive_study, clone_study, unarchive_study
from elicit.unit_of_work import refuse

CLONE_FIELD_OF_CODE = {"invalid_slug": "slug", "duplicate_study": "slug", "invalid_title": "title"}


@bp.route("/studies/<slug>/clone", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def clone(slug: str):
    """Copy the study's questions and settings into a new study the user owns."""
    found, access = study_or_404(slug, need=StudyAccess.RUN, archived_ok=True)
    form = CloneForm(prefix="clone")
    if form.validate_on_submit():
        try:
            copy = clone_study(
                db.session(), found, slug=form.slug.data, title=form.title.data, actor=actor()
            )
        except DomainError as error:
            refuse()
            field = form[CLONE_FIELD_OF_CODE.get(error.code, "slug")]
            field.errors = [*field.errors, error.message]
        else:
            flash(
                gettext(
                    "This is a copy of %(title)s, with its questions and settings and no panel, "
                    "rounds or answers.",
                    title=found.title,
                ),
                "success",
            )
            return redirect(url_for("facilitating.study", slug=copy.slug))
    return render_study(found, access, clone_form=form, status=400)


@bp.route("/studies/<slug>/archive", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def archive(slug: str):
    """Archive the study: it becomes read-only and is listed apart. Owner or admin only."""
    found, _ = study_or_404(slug, need=StudyAccess.OWN)
    try:
        archive_study(db.session(), found, actor=actor())
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("The study was not archived: %(reason)s.", reason=error.message), "error")
    else:
        flash(
            gettext("The study is archived: it is kept whole and nothing in it can change."),
            "success",
        )
    return redirect(url_for("facilitating.study", slug=found.slug))


@bp.route("/studies/<slug>/unarchive", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def unarchive(slug: str):
    """Make an archived study changeable again. Owner or admin only."""
    found, _ = study_or_404(slug, need=StudyAccess.OWN, archived_ok=True)
    try:
        unarchive_study(db.session(), found, actor=actor())
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("The study was not unarchived: %(reason)s.", reason=error.message), "error")
    else:
        flash(gettext("The study is no longer archived and can change again."), "success")
    return redirect(url_for("facilitating.study", slug=found.slug))
