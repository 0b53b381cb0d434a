"""Creating a study in the browser: its settings, a question set, and the questions it asks.

Two steps on one page. The first reads the settings and a question set (one
that comes with elicit, or a file from the facilitator's computer); a set with
problems is refused with every problem listed by place, and nothing is saved.
The second lists the set's questions by section, all chosen, under the
settings (still editable); "Create the study" then creates the study and
imports the chosen questions in one transaction, or shows the page again
with the refusal beside its field.
"""

from __future__ import annotations

from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext

from elicit import PROJECT_ROOT
from elicit.accounts.access import actor, roles_required
from elicit.accounts.models import Role
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.facilitating.blueprint import bp
from elicit.facilitating.study_forms import NewStudyForm
from elicit.formatting import integer
from elicit.studies import question_sets
from elicit.studies.models import Anonymity
from elicit.studies.question_sets import Problem, QuestionSet, QuestionSetError, SourceDocument
from elicit.studies.services import create_study, import_question_sets
from elicit.unit_of_work import refuse

BUNDLED_DIR = PROJECT_ROOT / "question_sets"
"""The question sets that come with elicit, and the catalogue of sources any set may cite."""

FIELD_OF_CODE = {
    "invalid_slug": "slug",
    "duplicate_study": "slug",
    "invalid_title": "title",
    "invalid_time_zone": "time_zone",
    "source_conflict": "source",
}
"""Which field a refusal of :func:`create_study` or :func:`import_question_sets` is about."""

Loaded = tuple[list[QuestionSet], dict[str, SourceDocument]]


def bundled_choices() -> list[tuple[str, str]]:
    """Return the bundled set files as (file name, "title (n questions)") choices."""
    choices = []
    for path in question_sets.set_files(BUNDLED_DIR):
        try:
            sets, _ = question_sets.load(path)
        except QuestionSetError:
            choices.append((path.name, path.name))
            continue
        count = sum(len(s.questions) for s in sets)
        # TRANSLATORS: a question set to choose: its title and how many questions it has.
        label = ngettext(
            "%(title)s (%(count)s question)",
            "%(title)s (%(count)s questions)",
            count,
            title=sets[0].title,
            count=integer(count),
        )
        choices.append((path.name, label))
    return choices


class NoFile(Exception):
    """The upload source was chosen but no file was sent."""


def read_question_set(form: NewStudyForm) -> Loaded:
    """Read and validate the question set the form names, carrying an upload on in the form.

    Raises
    ------
    QuestionSetError
        With every problem of the set.
    NoFile
        If an upload was chosen and none was sent.
    """
    if form.source.data == "bundled":
        form.upload_text.data = form.upload_name.data = ""
        return question_sets.load(BUNDLED_DIR / form.bundled.data)
    upload = form.upload.data
    if upload is not None and upload.filename:
        data = upload.read(question_sets.UPLOAD_LIMIT + 1)
        name = Path(upload.filename).name
    elif form.upload_text.data:
        data, name = form.upload_text.data.encode("utf-8"), form.upload_name.data or ""
    else:
        raise NoFile()
    form.upload_text.data, form.upload_name.data = "", name
    loaded = question_sets.load_upload(data, name, sources_dir=BUNDLED_DIR / "sources")
    form.upload_text.data = data.decode("utf-8")
    return loaded


def _page(
    form: NewStudyForm,
    *,
    loaded: Loaded | None = None,
    chosen: set[str] | None = None,
    problems: list[Problem] | None = None,
    question_errors: list[str] | None = None,
    status: int = 200,
):
    """Render the page: the first step, or with ``loaded`` sets the step that chooses questions."""
    sets = loaded[0] if loaded else []
    offered = [question for s in sets for question in s.questions]
    return render_template(
        "facilitating/new_study.html",
        form=form,
        sets=sets,
        offered=offered,
        chosen=chosen if chosen is not None else {q.key for q in offered},
        problems=problems or [],
        question_errors=question_errors or [],
        upload_limit=question_sets.UPLOAD_LIMIT // 1024,
    ), status


@bp.route("/studies/new", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def new_study():
    """Show the new-study page; read its question set; create the study with the chosen questions.

    The button pressed (``action``) says which: ``choose`` reads the settings
    and the set, ``create`` creates the study, ``back`` returns to the first
    step with everything typed kept.
    """
    form = NewStudyForm(bundled_choices=bundled_choices())
    if request.method == "GET":
        return _page(form)
    action = request.form.get("action", "choose")
    if not form.validate_on_submit():
        return _page(form, status=400)
    if action == "back":
        return _page(form)
    try:
        loaded = read_question_set(form)
    except QuestionSetError as error:
        return _page(form, problems=error.problems, status=400)
    except NoFile:
        form.upload.errors = [gettext("Choose a question-set file to upload.")]
        return _page(form, status=400)
    if action != "create":
        return _page(form, loaded=loaded)
    chosen = request.form.getlist("questions")
    session = db.session()
    try:
        study = create_study(
            session,
            slug=form.slug.data,
            title=form.title.data,
            owner=actor(),
            description=form.description.data or "",
            anonymity=Anonymity(form.anonymity.data),
            time_zone=form.time_zone.data,
        )
        added = import_question_sets(session, study, *loaded, actor=actor(), only=chosen)
    except DomainError as error:
        refuse()
        name = FIELD_OF_CODE.get(error.code)
        if name is not None:
            form[name].errors = [*form[name].errors, error.message]
            return _page(form, loaded=loaded, chosen=set(chosen), status=400)
        return _page(
            form, loaded=loaded, chosen=set(chosen), question_errors=[error.message], status=400
        )
    flash(
        ngettext(
            "The study is created with %(count)s question.",
            "The study is created with %(count)s questions.",
            len(added),
            count=integer(len(added)),
        ),
        "success",
    )
    return redirect(url_for("facilitating.study", slug=study.slug))
