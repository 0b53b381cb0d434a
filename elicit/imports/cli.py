"""``elicit import``: create a study from an existing study's files, or say every bad line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from elicit.accounts.services import find_user
from elicit.console import fail
from elicit.imports import formats
from elicit.imports.dataset import Dataset
from elicit.imports.services import import_study
from elicit.unit_of_work import transaction

_file_or_folder = click.Path(exists=True, path_type=Path)


def read(layout: str, paths: tuple[Path, ...], *, percent: bool) -> Dataset:
    """Read ``paths`` in ``layout``; exit 2 if the paths do not fit the layout."""
    if layout == "long":
        if len(paths) > 2 or any(p.is_dir() for p in paths):
            fail("long takes JUDGMENTS.csv and, optionally, OUTCOMES.csv")
        return formats.read_long(paths[0], paths[1] if len(paths) > 1 else None, percent=percent)
    if percent:
        fail("--percent applies to the long CSV only")
    if layout == "excalibur":
        if len(paths) > 2 or paths[0].suffix.lower() != ".dtt":
            fail("excalibur takes STUDY.dtt and, optionally, STUDY.rls (else found beside it)")
        return formats.read_excalibur(paths[0], paths[1] if len(paths) > 1 else None)
    ratings, justifications, outcomes = formats.replicats_files(list(paths))
    if ratings is None:
        fail(
            "replicats takes a folder holding data_ratings.csv (and data_justifications.csv, "
            "data_outcomes.csv), or those files"
        )
    return formats.read_replicats(ratings, justifications, outcomes)


@click.command(
    "import",
    help="Create a study, its rounds closed, from an existing study's files: the long CSV, "
    "EXCALIBUR .dtt/.rls or the repliCATS layout. LAYOUT long takes JUDGMENTS.csv "
    "[OUTCOMES.csv] (the long CSV of `elicit pool`); excalibur STUDY.dtt [STUDY.rls]; "
    "replicats a folder with data_ratings.csv, data_justifications.csv and data_outcomes.csv "
    "(or those files). Every bad line is listed, and then nothing is saved; --dry-run only "
    "checks.",
)
@click.argument("layout", type=click.Choice(formats.LAYOUTS))
@click.argument("paths", nargs=-1, required=True, type=_file_or_folder)
@click.option("--study", "slug", required=True, help="The new study's short name (slug).")
@click.option("--owner", required=True, help="E-mail of the facilitator who will own it.")
@click.option("--title", help="The study's title (default: from the files).")
@click.option(
    "--percent",
    is_flag=True,
    help="long: probabilities in the file are percentages (0-100).",
)
@click.option("--dry-run", is_flag=True, help="Check and report only; save nothing.")
@with_appcontext
def import_command(
    layout: str,
    paths: tuple[Path, ...],
    slug: str,
    owner: str,
    title: str | None,
    percent: bool,
    dry_run: bool,
) -> None:
    """Import the files as one new study, in one transaction."""
    dataset = read(layout, paths, percent=percent)
    with transaction() as session:
        user = find_user(session, owner)
        if user is None:
            fail(f"there is no user {owner!r}")
        report = import_study(session, dataset, slug=slug, owner=user, title=title, dry_run=dry_run)
    for line in dataset.summary():
        click.echo(line)
    if report.problems:
        for problem in report.problems:
            click.echo(problem, err=True)
        fail(f"{len(report.problems)} problem(s) found; nothing was imported")
    if report.study is None:
        click.echo("Dry run: no problems found; nothing was saved.")
    else:
        click.echo(f"Created study {slug!r} with its rounds closed.")
