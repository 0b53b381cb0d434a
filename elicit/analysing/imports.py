"""Importing an existing study from the browser: ``/analyse/import``, check first, then confirm.

The page takes one layout's files (long CSV, EXCALIBUR ``.dtt``/``.rls``, or the repliCATS
pilot's CSV files) and the new study's short name. Sending them only checks: every bad line is
listed beside its file and nothing is saved; a clean check shows what would be created and keeps
the files for an hour (:mod:`elicit.imports.staging`) for the confirmation, which checks them
again and creates the study (:func:`elicit.imports.services.import_study`), rounds closed.
Any staff member may import. A facilitator or admin owns the new study; an analyst, who cannot
own one, names the facilitator or admin who will, and the study is shared with the analyst.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from elicit import formatting
from elicit.accounts.access import actor, roles_required
from elicit.accounts.models import Role, StudyRole, User
from elicit.accounts.services import find_user
from elicit.analysing.blueprint import bp
from elicit.analysing.import_forms import ConfirmImportForm, ImportForm
from elicit.analysing.views import STAFF
from elicit.extensions import db
from elicit.imports import staging
from elicit.imports.dataset import split_problem
from elicit.imports.services import ImportReport, import_study
from elicit.studies.question_sets import SLUG
from elicit.studies.services import find_study
from elicit.studies.sharing import share_study
from elicit.unit_of_work import refuse
from elicit.web import PLAIN_ERRORS, error_response

CSV_ROLES = {"judgments", "outcomes", "ratings", "justifications"}
"""The files that are CSV, and so must be UTF-8 (EXCALIBUR writes Windows-1252)."""

HINT = "hint: "
"""How a reader's advice on the problems begins (:class:`elicit.analysis.csvfile.FormatError`)."""


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_files():
    """Show the import form; check the files sent, keeping them for the confirmation if clean."""
    form = ImportForm()
    if request.method == "GET":
        return _page(form)
    valid = form.validate_on_submit()
    owner = _owner(form)
    _check_slug(form)
    files = _read_uploads(form) if valid else {}
    if not valid or any(field.errors for field in form):
        return _page(form, status=400)
    settings = {
        "layout": form.layout.data,
        "slug": form.slug.data,
        "title": form.title.data or None,
        "percent": bool(form.long_percent.data) and form.layout.data == "long",
        "owner_id": owner.id if owner else None,
        "owner": form.owner.data or "",
    }
    staged = staging.stage(_root(), actor().id, files, settings)
    report = _check(staged, owner, dry_run=True)
    if report.problems:
        staging.discard(staged)
        _blame_files(form, staged, report)
        return _page(form, report=report, staged=staged, status=400)
    confirm = ConfirmImportForm(formdata=None, data={"token": staged.token})
    return _page(form, report=report, staged=staged, confirm=confirm)


@bp.route("/import/confirm", methods=["POST"])
@roles_required(*STAFF)
def confirm_import():
    """Import the checked files, read and checked again; show every problem if any appeared."""
    form = ConfirmImportForm()
    user = actor()
    staged = staging.load(_root(), form.token.data or "", user.id)
    if not form.validate_on_submit() or staged is None:
        flash(
            gettext(
                "The checked files are no longer kept (they are kept for an hour, until "
                "imported): choose them and check them again."
            ),
            "error",
        )
        return redirect(url_for("analysing.import_files"))
    settings = staged.settings
    owner = db.session.get(User, settings["owner_id"]) if settings["owner_id"] else user
    report = _check(staged, owner, dry_run=False)
    staging.discard(staged)
    page = ImportForm(formdata=None, data={**settings, "long_percent": settings["percent"]})
    if report.study is None:
        refuse()
        return _page(page, report=report, staged=staged, status=400)
    if user.role is Role.ANALYST:
        share_study(db.session(), report.study, user.email, StudyRole.ANALYST, actor=user)
    counts = report.dataset.counts()
    flash(
        gettext(
            "Imported %(title)s: %(experts)s experts, %(questions)s questions, "
            "%(judgments)s judgments, %(resolutions)s resolutions.",
            title=report.study.title,
            **{name: formatting.integer(counts[name]) for name in counts},
        ),
        "success",
    )
    return redirect(url_for("analysing.study", slug=report.study.slug))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """Say on the import page that the files are too large; elsewhere, the usual error page."""
    staff = current_user.is_authenticated and current_user.role in STAFF
    if request.endpoint != "analysing.import_files" or not staff:
        return error_response(413, "request_entity_too_large", str(PLAIN_ERRORS[413]))
    form = ImportForm(formdata=None)
    form.layout.errors = [
        gettext(
            "The files are larger than %(limit)s MB together, more than can be sent at once.",
            limit=formatting.integer(_limit_mb() or 0),
        )
    ]
    return _page(form, status=413)


def _page(form: ImportForm, *, status: int = 200, **shown):
    """Render the import page: the form and, after a check, its report."""
    report: ImportReport | None = shown.get("report")
    staged: staging.Staged | None = shown.get("staged")
    lines = [staged.relative(p) if staged else p for p in report.problems] if report else []
    notes = [staged.relative(n) if staged else n for n in report.dataset.notes] if report else []
    percent = gettext("tick “%(label)s”", label=form.long_percent.label.text)
    return render_template(
        "analysing/import.html",
        form=form,
        report=report,
        counts=report.dataset.counts() if report else None,
        problems=[split_problem(line) for line in lines if not line.startswith(HINT)],
        hints=[
            line.removeprefix(HINT).replace("add --percent", percent)
            for line in lines
            if line.startswith(HINT)
        ],
        notes=notes,
        confirm=shown.get("confirm"),
        needs_owner=actor().role is Role.ANALYST,
        limit_mb=_limit_mb(),
    ), status


def _limit_mb() -> int | None:
    """Return how many MB a request may carry (``MAX_CONTENT_LENGTH``), None if unlimited."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return None if limit is None else max(1, limit // (1 << 20))


def _root() -> Path:
    """Return the folder checked files wait in."""
    return Path(current_app.instance_path) / "imports"


def _owner(form: ImportForm) -> User | None:
    """Return who will own the study: the importer, or for an analyst the staff member named."""
    user = actor()
    if user.role is not Role.ANALYST:
        return user
    email = (form.owner.data or "").strip()
    owner = find_user(db.session(), email) if email else None
    if not email:
        form.owner.errors = [
            gettext("Enter the e-mail address of the facilitator who will own it.")
        ]
    elif owner is None or not owner.active or owner.role not in (Role.FACILITATOR, Role.ADMIN):
        form.owner.errors = [
            gettext("No active facilitator or administrator account has this address.")
        ]
        return None
    return owner


def _check_slug(form: ImportForm) -> None:
    """Refuse a malformed short name, or one another study has."""
    slug = form.slug.data or ""
    if form.slug.errors or not slug:
        return
    if not SLUG.match(slug):
        form.slug.errors = [
            gettext("Enter a short name of 3 to 80 lower-case letters, digits or hyphens.")
        ]
    elif find_study(db.session(), slug) is not None:
        form.slug.errors = [gettext("A study with this short name exists; choose another.")]


def _read_uploads(form: ImportForm) -> dict[str, tuple[str, bytes]]:
    """Return each chosen file as (name, bytes); a CSV file that is not UTF-8 is refused."""
    files = {}
    for role, field in form.chosen_files().items():
        data = field.data.read()
        if role in CSV_ROLES:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                field.errors = [
                    gettext(
                        "This file is not UTF-8 text (line %(line)s is not): save it as CSV "
                        "UTF-8 and choose it again.",
                        line=formatting.integer(data.count(b"\n", 0, error.start) + 1),
                    )
                ]
        files[role] = (field.data.filename, data)
    return files


def _check(staged: staging.Staged, owner: User | None, *, dry_run: bool) -> ImportReport:
    """Read the staged files and check them, importing them too unless ``dry_run``."""
    settings = staged.settings
    from elicit.imports import formats  # NumPy, loaded when a file is checked

    dataset = formats.read_files(settings["layout"], staged.files, percent=settings["percent"])
    return import_study(
        db.session(),
        dataset,
        slug=settings["slug"],
        owner=owner or actor(),
        title=settings["title"],
        dry_run=dry_run,
        actor=actor(),
    )


def _blame_files(form: ImportForm, staged: staging.Staged, report: ImportReport) -> None:
    """Put beside each file field how many of the problems are in its file."""
    layout = staged.settings["layout"]
    for role, path in staged.files.items():
        count = sum(problem.startswith(f"{path}:") for problem in report.problems)
        if count:
            form[f"{layout}_{role}"].errors = [
                # TRANSLATORS: %(name)s is the name of an uploaded file (data_ratings.csv).
                ngettext(
                    "%(num)s problem in %(name)s; see the list of problems.",
                    "%(num)s problems in %(name)s; see the list of problems.",
                    count,
                    name=path.name,
                )
            ]
