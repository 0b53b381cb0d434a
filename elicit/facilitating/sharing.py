"""The sharing page: who a study is shared with, and (for its owner) sharing it and taking it back.

Everyone who may see the study sees the list; only ``OWN`` access (the owner,
or an admin) gets the form and the remove buttons, and only they may post to
them. The rules (an active staff account, analysts only as analysts, not the
owner) live in :mod:`elicit.studies.sharing`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role, StudyMember, StudyRole
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.account_forms import ShareForm
from elicit.facilitating.blueprint import bp
from elicit.lookup import study_or_404
from elicit.studies.models import Study
from elicit.studies.sharing import members, share_study, unshare_study
from elicit.unit_of_work import refuse


def study_role_name(role: StudyRole) -> str:
    """Name what a colleague may do in a study, in the sharing list's "Role" column."""
    if role is StudyRole.CO_FACILITATOR:
        # TRANSLATORS: a role in one study: runs it with its owner.
        return gettext("co-facilitator")
    # TRANSLATORS: a role in one study: sees it and its results, changes nothing.
    return gettext("analyst")


def _render(found: Study, access: StudyAccess, form: ShareForm, status: int = 200):
    """Render the sharing page with ``form`` as given (its errors and typed input included)."""
    return render_template(
        "facilitating/sharing.html",
        study=found,
        members=members(db.session(), found),
        can_run=access >= StudyAccess.RUN,
        can_share=access >= StudyAccess.OWN,
        form=form,
        study_role_name=study_role_name,
    ), status


@bp.route("/studies/<slug>/sharing")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def sharing(slug: str):
    """Show who the study is shared with; its owner also gets the form to share it."""
    found, access = study_or_404(slug)
    return _render(found, access, ShareForm())


@bp.route("/studies/<slug>/sharing", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def share(slug: str):
    """Share the study with a staff account, or give a colleague another role in it.

    A refusal shows the page again (status 400) with the reason beside the
    field it concerns and the typed input kept.
    """
    found, access = study_or_404(slug, need=StudyAccess.OWN)
    form = ShareForm()
    if form.validate_on_submit():
        role = StudyRole(form.role.data)
        try:
            member = share_study(db.session(), found, form.email.data, role, actor=actor())
        except DomainError as error:
            refuse()
            field = form.role if error.code == "role_not_allowed" else form.email
            # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
            field.errors = [*field.errors, gettext("Not shared: %(reason)s.", reason=error.message)]
        else:
            name = member.user.name
            flash(
                # TRANSLATORS: %(name)s is a staff member's name.
                gettext("%(name)s is now a co-facilitator of this study.", name=name)
                if member.role is StudyRole.CO_FACILITATOR
                # TRANSLATORS: %(name)s is a staff member's name.
                else gettext("%(name)s is now an analyst of this study.", name=name),
                "success",
            )
            return redirect(url_for("facilitating.sharing", slug=found.slug))
    return _render(found, access, form, status=400)


@bp.route("/studies/<slug>/sharing/<int:member_id>/remove", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def unshare(slug: str, member_id: int):
    """Take the study back from one colleague: from now on it answers them 404."""
    found, _ = study_or_404(slug, need=StudyAccess.OWN)
    member = db.session.get(StudyMember, member_id)
    if member is None or member.study_id != found.id:
        abort(404)
    name = member.user.name
    unshare_study(db.session(), found, member, actor=actor())
    # TRANSLATORS: %(name)s is a staff member's name.
    flash(gettext("The study is no longer shared with %(name)s.", name=name), "success")
    return redirect(url_for("facilitating.sharing", slug=found.slug))
