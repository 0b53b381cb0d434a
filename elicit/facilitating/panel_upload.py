"""Adding experts from a panel file: check every row first, add the good ones on confirmation.

The upload only reads the file and shows what it holds: every bad row with
its line and reason, and the rows that would be added. The preview carries
the file's bytes (base64) in a hidden field; confirming reads them again with
the same rules against the panel as it is then, so nothing the browser sends
back is trusted, and no file is kept on the server in between.
"""

from __future__ import annotations

import base64
import binascii

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext

from elicit.accounts.access import StudyAccess, actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.panel import render_panel
from elicit.facilitating.panel_forms import ConfirmPanelForm, PanelFileForm
from elicit.lookup import study_or_404
from elicit.panels.members import add_rows, panel_emails
from elicit.panels.roster import MAX_BYTES, read_roster
from elicit.studies.models import Study
from elicit.unit_of_work import refuse


def _preview(found: Study, data: bytes):
    """Show what the panel file ``data`` holds, with a form to add its good rows.

    A file without a single good row is bad input (400); one with some good
    rows is a preview (200), its bad rows listed above them.
    """
    roster = read_roster(data, panel_emails(db.session(), found))
    form = ConfirmPanelForm(data={"content": base64.b64encode(data).decode("ascii")})
    page = render_template(
        "facilitating/panel_preview.html", study=found, roster=roster, form=form, can_run=True
    )
    return page, 200 if roster.rows else 400


@bp.route("/studies/<slug>/panel/upload", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def upload_panel(slug: str):
    """Read an uploaded panel file and preview it; nothing is saved."""
    found, access = study_or_404(slug, need=StudyAccess.RUN)
    form = PanelFileForm()
    if not form.validate_on_submit():
        return render_panel(found, access, file_form=form, status=400)
    data = form.file.data.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        form.file.errors = [
            gettext("The file is larger than 1 MB. Split it and upload each part in turn.")
        ]
        return render_panel(found, access, file_form=form, status=413)
    return _preview(found, data)


@bp.route("/studies/<slug>/panel/upload/confirm", methods=["POST"])
@roles_required(Role.FACILITATOR, Role.ANALYST)
def confirm_panel(slug: str):
    """Add the good rows of the previewed file, read again against the panel as it is now."""
    found, _ = study_or_404(slug, need=StudyAccess.RUN)
    form = ConfirmPanelForm()
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not form.validate_on_submit() or not data or len(data) > MAX_BYTES:
        flash(gettext("The checked file did not come back whole: upload it again."), "error")
        return redirect(url_for("facilitating.panel", slug=found.slug))
    roster = read_roster(data, panel_emails(db.session(), found))
    if not roster.rows:
        return _preview(found, data)
    try:
        added = add_rows(db.session(), found, roster.rows, actor=actor())
    except DomainError as error:
        refuse()
        # TRANSLATORS: %(reason)s is a clause in lower case without a full stop.
        flash(gettext("No expert was added: %(reason)s.", reason=error.message), "error")
        return redirect(url_for("facilitating.panel", slug=found.slug))
    message = ngettext(
        "%(num)s expert was added to the panel.",
        "%(num)s experts were added to the panel.",
        len(added),
    )
    if roster.problems:
        skipped = ngettext(
            "%(num)s row was left out.", "%(num)s rows were left out.", len(roster.problems)
        )
        message = f"{message} {skipped}"
    flash(message, "success")
    return redirect(url_for("facilitating.panel", slug=found.slug))
