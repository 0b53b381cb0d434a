"""The round controls: open with a closing time, extend it, close after a confirmation.

A closing time is typed as a wall-clock time in the study's time zone and
stored in UTC (:func:`elicit.studies.round_settings.to_utc`). Input that is
refused shows the study page again (400) with the message beside the field;
a round action the life cycle refuses (a round already closed, another still
open) is flashed, as before. Every refusal leaves the database as it was.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.analysis.stopping import leave_out_settled
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import ExtendExpertForm, ExtendRoundForm, OpenRoundForm
from elicit.facilitating.views import render_study
from elicit.judgments.progress import pending_experts
from elicit.lookup import round_or_404, study_or_404
from elicit.panels.models import Expert
from elicit.rounds.models import Round, RoundState
from elicit.rounds.services import (
    close_round,
    closing_due,
    closing_time,
    extend_for_expert,
    extend_round,
    open_next_round,
)
from elicit.studies.models import Study
from elicit.studies.round_settings import to_utc
from elicit.unit_of_work import refuse

FIELD_REFUSALS = frozenset(
    {"closing_time_past", "closing_time_earlier", "closing_time_passed", "nonexistent_time"}
)
"""Refusals about the typed closing time, shown beside its field rather than flashed."""


def sentence(clause: str) -> str:
    """Turn a service's refusal (a lower-case clause) into a sentence shown beside a field."""
    return f"{clause[:1].upper()}{clause[1:]}."


def _closing_time(study: Study, typed: datetime | None) -> datetime | None:
    """Return the typed wall-clock time in ``study``'s zone as UTC (``None`` stays ``None``)."""
    return to_utc(study, typed) if typed is not None else None


def _back(study: Study):
    """Redirect to ``study``'s page."""
    return redirect(url_for("facilitating.study", slug=study.slug))


@bp.post("/studies/<slug>/rounds/open-next")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def open_next(slug: str):
    """Open the study's next round, until the closing time typed (if any).

    A closing time that cannot be read, does not exist or has passed shows
    the page again with the reason beside it; a round the life cycle cannot
    open is flashed.
    """
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = OpenRoundForm()
    if not form.validate_on_submit():
        return render_study(found, access, status=400, open_form=form)
    try:
        closes_at = _closing_time(found, form.closes_at.data)
        if form.leave_out_settled.data:
            settled = leave_out_settled(db.session(), found, actor=actor())
        round_ = open_next_round(db.session(), found, actor=actor(), closes_at=closes_at)
    except DomainError as error:
        refuse()
        if error.code in FIELD_REFUSALS:
            form.closes_at.errors = [sentence(error.message)]
            return render_study(found, access, status=400, open_form=form)
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("No new round was opened: %(reason)s.", reason=error.message), "error")
        return _back(found)
    flash(
        gettext("Round %(number)s is open: experts can answer now.", number=round_.number),
        "success",
    )
    if form.leave_out_settled.data:
        flash(
            ngettext(
                "%(num)d question settled by its stopping rules is no longer asked.",
                "%(num)d questions settled by their stopping rules are no longer asked.",
                len(settled),
            ),
            "success",
        )
    return _back(found)


def _confirm_close(found: Study, round_: Round):
    """Ask before closing ``round_``, listing who has not submitted (by pseudonym)."""
    if round_.state is not RoundState.OPEN:
        number = round_.number
        flash(
            gettext(
                "Round %(number)s was not closed: %(reason)s.",
                number=number,
                reason=gettext("round %(number)s is not open", number=number),
            ),
            "error",
        )
        return _back(found)
    pending = pending_experts(db.session(), round_)
    return render_template(
        "facilitating/close_round.html",
        study=found,
        round=round_,
        pending=pending,
        drafts=sum(p.drafts for p in pending),
        panel_size=len(found.experts),
        closes_at=closing_time(db.session(), round_),
        closing_due=closing_due(db.session(), round_),
    )


@bp.route("/studies/<slug>/rounds/<int:number>/close", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def close(slug: str, number: int):
    """Close round ``number``: GET asks for confirmation (who is pending), POST closes it.

    The round is named in the URL, so a button on a page that has gone stale
    can never close a later round than the one it showed.
    """
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    round_ = round_or_404(found, number)
    if request.method == "GET":
        return _confirm_close(found, round_)
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
    return _back(found)


def _open_round(study: Study) -> Round:
    """Return ``study``'s open round, or refuse with the reason (flashed by the caller)."""
    found = db.session.scalar(
        sa.select(Round).where(Round.study_id == study.id, Round.state == RoundState.OPEN)
    )
    if found is None:
        raise DomainError("round_not_open", gettext("no round is open"))
    return found


@bp.post("/studies/<slug>/rounds/extend")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def extend(slug: str):
    """Move the open round's closing time later for everyone (or give it one)."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = ExtendRoundForm()
    if form.validate_on_submit() and form.extend_to.data is not None:
        try:
            round_ = _open_round(found)
            extend_round(db.session(), round_, to_utc(found, form.extend_to.data), actor=actor())
        except DomainError as error:
            refuse()
            form.extend_to.errors = [sentence(error.message)]
        else:
            flash(
                gettext(
                    "Round %(number)s now closes at the new time for everyone.",
                    number=round_.number,
                ),
                "success",
            )
            return _back(found)
    return render_study(found, access, status=400, extend_form=form)


@bp.post("/studies/<slug>/rounds/extend-expert")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def extend_expert(slug: str):
    """Give one expert, named by pseudonym, until a later closing time in the open round."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = ExtendExpertForm()
    if form.validate_on_submit() and form.expert_until.data is not None:
        pseudonym = form.pseudonym.data.strip()
        expert = db.session.scalar(
            sa.select(Expert).where(Expert.study_id == found.id, Expert.pseudonym == pseudonym)
        )
        if expert is None:
            form.pseudonym.errors = [
                gettext("No expert on this panel is called “%(name)s”.", name=pseudonym)
            ]
        else:
            try:
                round_ = _open_round(found)
                extend_for_expert(
                    db.session(),
                    round_,
                    expert,
                    to_utc(found, form.expert_until.data),
                    actor=actor(),
                )
            except DomainError as error:
                refuse()
                form.expert_until.errors = [sentence(error.message)]
            else:
                flash(
                    gettext(
                        "%(expert)s has until the new closing time in round %(number)s.",
                        expert=expert.pseudonym,
                        number=round_.number,
                    ),
                    "success",
                )
                return _back(found)
    return render_study(found, access, status=400, expert_form=form)
