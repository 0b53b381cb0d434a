"""``elicit questions``: validate question-set files, import them, resolve questions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup

from elicit.accounts.services import find_user
from elicit.console import fail
from elicit.errors import DomainError
from elicit.studies import question_sets
from elicit.studies.models import Outcome
from elicit.studies.services import (
    create_study,
    find_question,
    find_study,
    import_question_sets,
    resolve_question,
)
from elicit.unit_of_work import transaction

_path = click.Path(exists=False, path_type=Path)
_folder = click.Path(file_okay=False, path_type=Path)

sources_option = click.option(
    "--sources",
    "texts_dir",
    type=_folder,
    help="A folder with plain-text copies of the cited documents: check every quote against "
    "them (a copy whose SHA-256 differs is refused).",
)
catalogue_option = click.option(
    "--catalogue",
    "sources_dir",
    type=_folder,
    help="The folder of source citations (default: sources/ beside the set files).",
)


def fail_with_problems(error: question_sets.QuestionSetError, consequence: str) -> NoReturn:
    """Print every problem of ``error`` on its own line, then exit with status 2."""
    for problem in error.problems:
        click.echo(str(problem), err=True)
    fail(f"{len(error.problems)} problem(s) found; {consequence}")


def _load_or_exit(path: Path, sources_dir: Path | None, texts_dir: Path | None):
    """Validate the sets at ``path``; on problems print each and exit with status 2."""
    if texts_dir is not None and not texts_dir.is_dir():
        fail(f"--sources {texts_dir}: no such folder")
    try:
        return question_sets.load(path, sources_dir=sources_dir, texts_dir=texts_dir)
    except question_sets.QuestionSetError as error:
        fail_with_problems(error, "nothing was imported")


@click.group(cls=AppGroup, help="Validate and import question sets (see question_sets/README.md).")
def questions() -> None:
    """Group the question-set commands."""


@questions.command("validate", help="Check question-set files and report every problem.")
@click.argument("path", type=_path)
@sources_option
@catalogue_option
def validate(path: Path, texts_dir: Path | None, sources_dir: Path | None) -> None:
    """Validate the set file or folder at PATH."""
    sets, _ = _load_or_exit(path, sources_dir, texts_dir)
    count = sum(len(s.questions) for s in sets)
    checked = " and every quote against its source" if texts_dir else ""
    click.echo(f"{len(sets)} set(s), {count} question(s): valid{checked}.")


@questions.command(
    "import",
    help="Import question sets into a study, all or nothing. Creates the study if it does "
    "not exist yet (then --owner is needed).",
)
@click.argument("path", type=_path)
@click.option("--study", "slug", required=True, help="The study's short name (slug).")
@click.option("--owner", help="E-mail of the facilitator who owns a new study.")
@click.option("--title", help="Title of a new study (default: the slug).")
@sources_option
@catalogue_option
def import_(
    path: Path,
    slug: str,
    owner: str | None,
    title: str | None,
    texts_dir: Path | None,
    sources_dir: Path | None,
) -> None:
    """Import the set file or folder at PATH into study SLUG in one transaction."""
    sets, sources = _load_or_exit(path, sources_dir, texts_dir)
    try:
        with transaction() as session:
            study = find_study(session, slug)
            if study is None:
                if not owner:
                    fail(f"there is no study {slug!r}; give --owner to create it")
                user = find_user(session, owner)
                if user is None:
                    fail(f"there is no user {owner!r}")
                study = create_study(session, slug=slug, title=title or slug, owner=user)
            elif owner or title:
                click.echo(
                    f"note: study {slug!r} exists; --owner and --title apply only to a new study "
                    "and were not used",
                    err=True,
                )
            added = import_question_sets(session, study, sets, sources)
    except DomainError as error:
        fail(f"{error.message}; nothing was imported")
    click.echo(f"Imported {len(added)} question(s) into study {slug!r}.")


@questions.command("resolve", help="Record how a question turned out, so it can be scored.")
@click.argument("slug")
@click.argument("key")
@click.option(
    "--outcome", type=click.Choice([o.value for o in Outcome]), help="For binary questions."
)
@click.option("--value", type=float, help="For quantity questions: the realized value.")
@click.option("--source", required=True, help="Where the resolution was found (URL or citation).")
@click.option(
    "--on",
    "resolved_on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The day it resolved (default: today).",
)
@click.option("--by", "email", required=True, help="E-mail of the facilitator resolving it.")
def resolve(
    slug: str,
    key: str,
    outcome: str | None,
    value: float | None,
    source: str,
    resolved_on,  # noqa: ANN001
    email: str,
) -> None:
    """Resolve question KEY of study SLUG."""
    try:
        with transaction() as session:
            study = find_study(session, slug)
            if study is None:
                fail(f"there is no study {slug!r}")
            question = find_question(session, study, key)
            if question is None:
                fail(f"study {slug!r} has no question {key!r}")
            user = find_user(session, email)
            if user is None:
                fail(f"there is no user {email!r}")
            resolve_question(
                session,
                question,
                outcome=Outcome(outcome) if outcome else None,
                value=value,
                source=source,
                resolved_on=resolved_on.date() if resolved_on else date.today(),
                actor=user,
            )
    except DomainError as error:
        fail(error.message)
    click.echo(f"Resolved {key} in study {slug!r}.")
