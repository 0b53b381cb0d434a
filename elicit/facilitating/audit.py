"""The audit trail pages: what staff did in a study, and what admins did outside any study.

A study's trail is for whoever may see the study (analysts included); the
trail of events that belong to no study (staff accounts and the like) is for
admins. Both list the events newest first, a page at a time, filtered by a
GET form, and download the filtered events as CSV; the querying is
:mod:`elicit.auditing`'s, the words :mod:`.audit_words`'. Filters that do not
parse show the page again with status 400 and the error beside the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext

from elicit import auditing, formatting, i18n
from elicit.accounts.access import roles_required
from elicit.accounts.models import Role
from elicit.extensions import db
from elicit.facilitating.audit_words import action_name, detail_lines
from elicit.facilitating.blueprint import bp
from elicit.facilitating.forms import AuditFiltersForm
from elicit.lookup import study_or_404
from elicit.studies.models import Study

FILTER_NAMES = ("action", "who", "since", "until")
"""The query parameters of the filters, kept in the links to other pages and to the CSV."""

PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
"""A page number as a link writes it; anything else is a page that does not exist (404)."""


def _who_label(actor: auditing.Actor) -> str:
    """Name a choice of the "who" filter: the staff member's name and e-mail, or the system."""
    if actor.id is None:
        # TRANSLATORS: who caused an audit trail event that no staff member caused.
        return gettext("system")
    # TRANSLATORS: a staff member in the audit trail's "who" filter: name and e-mail.
    return gettext("%(name)s (%(email)s)", name=actor.name, email=actor.email)


def _read_filters(study_id: int | None) -> tuple[AuditFiltersForm, bool]:
    """Read the filters from the query string; return the form and whether they are valid."""
    session = db.session()
    form = AuditFiltersForm(formdata=request.args)
    # TRANSLATORS: the audit trail's action filter, letting every kind of event through.
    form.action.choices = [("", gettext("Any action"))] + sorted(
        ((code, action_name(code)) for code in auditing.actions(session, study_id)),
        key=lambda choice: choice[1].casefold(),
    )
    # TRANSLATORS: the audit trail's "who" filter, letting everyone's events through.
    form.who.choices = [("", gettext("Anyone"))] + [
        (auditing.SYSTEM if actor.id is None else str(actor.id), _who_label(actor))
        for actor in auditing.actors(session, study_id)
    ]
    return form, form.validate()


def _filters(form: AuditFiltersForm, zone: dt.tzinfo) -> auditing.Filters:
    """Turn a valid filters form into the service's :class:`~elicit.auditing.Filters`."""
    since, until = auditing.day_bounds(form.since.data, form.until.data, zone)
    who = form.who.data
    return auditing.Filters(
        action=form.action.data or None,
        who=auditing.SYSTEM if who == auditing.SYSTEM else (int(who) if who else None),
        since=since,
        until=until,
    )


def _page_number() -> int:
    """Return the page asked for (1 if none); a page number that is not one answers 404."""
    text = request.args.get("page", "1")
    if not PAGE_NUMBER.fullmatch(text):
        abort(404)
    return int(text)


def _trail(study: Study | None, zone: dt.tzinfo, zone_name: str, *, download: bool = False):
    """Show (or download, as CSV) the filtered events of ``study``, or of no study if ``None``."""
    study_id = study.id if study is not None else None
    form, valid = _read_filters(study_id)
    endpoint = "facilitating.study_audit" if study else "facilitating.staff_audit"
    route_args: dict[str, Any] = {"slug": study.slug} if study else {}
    context = {
        "study": study,
        "form": form,
        "zone": zone,
        "zone_name": zone_name,
        "endpoint": endpoint,
        "here": url_for(endpoint, **route_args),
        "action_name": action_name,
        "detail_lines": detail_lines,
    }
    if not valid:
        return render_template("facilitating/audit.html", shown=None, **context), 400
    filters = _filters(form, zone)
    if download:
        text = auditing.csv_text(auditing.entries(db.session(), study_id, filters))
        name = f"audit-{study.slug}.csv" if study else "audit-staff.csv"
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    number = _page_number()
    shown = auditing.page(db.session(), study_id, filters, number)
    if number > shown.pages:
        abort(404)
    kept = {name: value for name in FILTER_NAMES if (value := request.args.get(name, ""))}
    return render_template(
        "facilitating/audit.html", shown=shown, links=route_args | kept, **context
    )


@bp.route("/studies/<slug>/audit")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def study_audit(slug: str):
    """List what staff did in the study, newest first, in the study's time zone."""
    found, _ = study_or_404(slug)
    return _trail(found, formatting.zone(found.time_zone), found.time_zone)


@bp.route("/studies/<slug>/audit.csv")
@roles_required(Role.FACILITATOR, Role.ANALYST)
def study_audit_csv(slug: str):
    """Download the study's filtered events as CSV (see :mod:`elicit.auditing`)."""
    found, _ = study_or_404(slug)
    return _trail(found, formatting.zone(found.time_zone), found.time_zone, download=True)


def _staff_zone() -> tuple[dt.tzinfo, str]:
    """Return the time zone the staff trail is shown in (the app's), and its name."""
    zone = i18n.active_timezone()
    return zone, str(zone)


@bp.route("/audit")
@roles_required(Role.ADMIN)
def staff_audit():
    """List, for admins, the events that belong to no study (staff accounts and the like)."""
    return _trail(None, *_staff_zone())


@bp.route("/audit.csv")
@roles_required(Role.ADMIN)
def staff_audit_csv():
    """Download the filtered events that belong to no study, for admins."""
    return _trail(None, *_staff_zone(), download=True)
