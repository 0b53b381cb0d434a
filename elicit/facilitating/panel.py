"""The panel page: who is on a study's panel, how far each has got, and adding one expert.

Under the *anonymous to staff* model the page never shows pseudonyms beside
names, and analysts never see names or e-mail addresses at all (only
pseudonyms, groups and stages): see :func:`_columns`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.panel_forms import ExpertForm, PanelFileForm
from elicit.judgments.progress import Stage, current_round, panel_stages
from elicit.lookup import study_or_404
from elicit.panels.members import add_member
from elicit.panels.models import Expert
from elicit.panels.services import has_working_link
from elicit.studies.models import Anonymity, Study
from elicit.unit_of_work import refuse


def stage_name(stage: Stage) -> str:
    """Name an expert's stage, as the panel page's "Status" column shows it."""
    names = {
        # TRANSLATORS: an expert's status: no working invitation link has been issued.
        Stage.NOT_INVITED: gettext("not invited"),
        # TRANSLATORS: an expert's status: a link was issued but never opened.
        Stage.INVITED: gettext("invited"),
        # TRANSLATORS: an expert's status: the invitation link was opened.
        Stage.OPENED: gettext("opened the link"),
        Stage.CONSENTED: gettext("consented"),
        # TRANSLATORS: an expert's status: typed answers in the current round, not submitted.
        Stage.DRAFT: gettext("draft"),
        # TRANSLATORS: an expert's status: submitted answers in the current round.
        Stage.SUBMITTED: gettext("submitted"),
    }
    return names[stage]


def _columns(study: Study, access: StudyAccess) -> dict[str, bool]:
    """Which identifying columns the user may see: contacts (staff who run) and pseudonyms."""
    contacts = access >= StudyAccess.RUN
    pseudonyms = not contacts or study.anonymity is Anonymity.QUASI_ANONYMOUS
    return {"contacts": contacts, "pseudonyms": pseudonyms}


def render_panel(
    found: Study,
    access: StudyAccess,
    *,
    expert_form: ExpertForm | None = None,
    file_form: PanelFileForm | None = None,
    status: int = 200,
):
    """Render the panel page, with the forms as given (their errors included)."""
    columns = _columns(found, access)
    experts = list(
        db.session.scalars(
            sa.select(Expert)
            .where(Expert.study_id == found.id)
            .options(selectinload(Expert.contact))
        )
    )
    if columns["contacts"]:
        experts.sort(key=lambda e: ((e.contact.name.casefold() if e.contact else ""), e.id))
    else:
        experts.sort(key=lambda e: e.pseudonym)
    linked = set(
        db.session.scalars(
            sa.select(Expert.id).where(Expert.study_id == found.id, has_working_link())
        )
    )
    round_ = current_round(db.session(), found)
    return render_template(
        "facilitating/panel.html",
        study=found,
        experts=experts,
        stages=panel_stages(db.session(), found, round_),
        linked=linked,
        current=round_,
        columns=columns,
        can_run=access >= StudyAccess.RUN,
        expert_form=expert_form or ExpertForm(),
        file_form=file_form or PanelFileForm(),
        stage_name=stage_name,
    ), status


@bp.route("/studies/<slug>/panel")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def panel(slug: str):
    """Show the study's panel: each expert's status, and the panel's controls to who may run it."""
    found, access = study_or_404(slug)
    return render_panel(found, access)


@bp.route("/studies/<slug>/panel/experts", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def add_panel_expert(slug: str):
    """Add one expert; on bad input show the page again with the reason beside the field."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = ExpertForm()
    if form.validate_on_submit():
        try:
            add_member(
                db.session(),
                found,
                name=form.name.data,
                email=form.email.data,
                group=form.group.data or "",
                actor=actor(),
            )
        except DomainError as error:
            refuse()
            field = {"missing_name": form.name, "invalid_group": form.group}.get(
                error.code, form.email
            )
            # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
            field.errors = [*field.errors, gettext("Not added: %(reason)s.", reason=error.message)]
        else:
            flash(gettext("%(name)s is on the panel.", name=form.name.data.strip()), "success")
            return redirect(url_for("facilitating.panel", slug=found.slug))
    return render_panel(found, access, expert_form=form, status=400)
