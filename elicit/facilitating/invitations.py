"""Invitation links from the panel page: issue and download, withdraw, or send by e-mail.

A link's token exists in clear only when it is issued, so links are handed
over then: downloaded as CSV in the response to the very POST that issues
them (name, e-mail, link), or written into an e-mail in the outbox in the
same transaction. Links are built on the configured ``BASE_URL``, never on
the request's Host header.
"""

from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext, ngettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.lookup import study_or_404
from elicit.mail.outbox import send_invitation, send_reminders, uninvited
from elicit.panels.models import Expert
from elicit.panels.services import (
    invitation_url,
    issue_invitation,
    reissue_invitation,
    revoke_links,
)
from elicit.studies.models import Study
from elicit.unit_of_work import refuse


def _checked(slug: str) -> Study:
    """Return the study ``slug`` for a change: 404 to who may not see it, 403 to who may not run it.

    The CSRF token was checked before the view ran (Flask-WTF's ``CSRFProtect``).
    """
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    return found


def _expert_or_404(study: Study, expert_id: int) -> Expert:
    """Return the expert ``expert_id`` of ``study``; 404 if there is none in this study."""
    expert = db.session.get(Expert, expert_id)
    if expert is None or expert.study_id != study.id:
        abort(404)
    return expert


def _links_csv(study: Study, issued: list[tuple[Expert, str]]) -> Response:
    """Answer with a CSV file of the links just issued: name, email, link."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "email", "link"])
    base_url = current_app.config["BASE_URL"]
    for expert, token in issued:
        contact = expert.contact
        writer.writerow(
            [
                contact.name if contact else "",
                contact.email if contact else "",
                invitation_url(base_url, token),
            ]
        )
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{study.slug}-links.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/studies/<slug>/panel/links.csv", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def download_links(slug: str):
    """Issue a link to every expert without a working one, and download them all as CSV."""
    found = _checked(slug)
    experts = uninvited(db.session(), found)
    if not experts:
        flash(gettext("Every expert already has a working link; nothing was issued."), "error")
        return redirect(url_for("facilitating.panel", slug=found.slug))
    issued = [(expert, issue_invitation(db.session(), expert, actor=actor())) for expert in experts]
    return _links_csv(found, issued)


@bp.route("/studies/<slug>/panel/experts/<int:expert_id>/link.csv", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def reissue_link(slug: str, expert_id: int):
    """Withdraw the expert's links, issue a new one and download it as CSV."""
    found = _checked(slug)
    expert = _expert_or_404(found, expert_id)
    token = reissue_invitation(db.session(), expert, actor=actor())
    return _links_csv(found, [(expert, token)])


@bp.route("/studies/<slug>/panel/experts/<int:expert_id>/revoke", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def revoke_link(slug: str, expert_id: int):
    """Withdraw every working link of the expert; their open sessions end with it."""
    found = _checked(slug)
    expert = _expert_or_404(found, expert_id)
    try:
        revoke_links(db.session(), expert, actor=actor())
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("No link was withdrawn: %(reason)s.", reason=error.message), "error")
    else:
        flash(gettext("The link is withdrawn: it no longer lets anyone in."), "success")
    return redirect(url_for("facilitating.panel", slug=found.slug))


def _queued(count: int) -> None:
    """Say how many messages were queued and where they can be followed."""
    flash(
        ngettext("%(num)s message is in the outbox.", "%(num)s messages are in the outbox.", count),
        "success",
    )


@bp.route("/studies/<slug>/panel/experts/<int:expert_id>/email", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def email_link(slug: str, expert_id: int):
    """Issue the expert a new link (withdrawing the old) and queue the invitation e-mail."""
    found = _checked(slug)
    expert = _expert_or_404(found, expert_id)
    try:
        send_invitation(
            db.session(), expert, base_url=current_app.config["BASE_URL"], actor=actor()
        )
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("No invitation was sent: %(reason)s.", reason=error.message), "error")
    else:
        _queued(1)
    return redirect(url_for("facilitating.panel", slug=found.slug))


@bp.route("/studies/<slug>/panel/invite", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def email_invitations(slug: str):
    """Queue an invitation e-mail, with a new link, to every expert without a working link."""
    found = _checked(slug)
    base_url = current_app.config["BASE_URL"]
    experts = [e for e in uninvited(db.session(), found) if e.contact is not None]
    for expert in experts:
        send_invitation(db.session(), expert, base_url=base_url, actor=actor())
    _queued(len(experts))
    return redirect(url_for("facilitating.panel", slug=found.slug))


@bp.route("/studies/<slug>/panel/remind", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def email_reminders(slug: str):
    """Queue a reminder to every expert with a link who has not submitted the open round."""
    found = _checked(slug)
    try:
        messages = send_reminders(
            db.session(), found, base_url=current_app.config["BASE_URL"], actor=actor()
        )
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("No reminder was sent: %(reason)s.", reason=error.message), "error")
    else:
        _queued(len(messages))
    return redirect(url_for("facilitating.panel", slug=found.slug))
