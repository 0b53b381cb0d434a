"""``elicit export STUDY``: a study's data as the files the analyst's downloads give.

The bytes are those of the web downloads (:mod:`elicit.analysis.exports`): the
whole study as a ZIP with its manifest, or one table as CSV or JSON. A large
study's judgments show a progress bar on standard error while they are written.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import with_appcontext

from elicit.console import fail

PROGRESS_ROWS = 100_000
"""Judgment rows from which a progress bar is shown."""


@click.command("export")
@click.argument("slug", metavar="STUDY")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["zip", "csv", "json"]),
    default="zip",
    show_default=True,
    help="The whole study as a ZIP with manifest.json, or one table as CSV or JSON.",
)
@click.option(
    "--table",
    "what",
    type=click.Choice(["judgments", "questions", "resolutions"]),
    default="judgments",
    show_default=True,
    help="The table to write as CSV or JSON (the ZIP holds them all).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write here instead of standard output.",
)
@with_appcontext
def export(slug: str, fmt: str, what: str, output: Path | None) -> None:
    """Export STUDY (its slug): judgments with pseudonymous expert ids, questions, resolutions."""
    from elicit.analysis import exports
    from elicit.extensions import db
    from elicit.studies.services import find_study

    session = db.session()
    study = find_study(session, slug)
    if study is None:
        fail(f"no study {slug!r}")
    if output is None and fmt == "zip" and sys.stdout.isatty():
        fail("a ZIP is not for a terminal: give --output FILE, or redirect standard output")
    rows = exports.judgment_rows(session, study) if fmt == "zip" or what == "judgments" else 0
    with ExitStack() as stack:
        progress = None
        if rows >= PROGRESS_ROWS:
            bar = stack.enter_context(
                click.progressbar(length=rows, label="judgment rows", file=sys.stderr)
            )
            progress = bar.update
        if fmt == "zip":
            chunks = exports.study_zip(
                study, exports.study_files(session, study, progress=progress)
            )
        else:
            chunks = exports.table(session, study, what, fmt, progress=progress)
        target = (
            stack.enter_context(output.open("wb")) if output else click.get_binary_stream("stdout")
        )
        _write(chunks, target)
    session.rollback()
    if output is not None:
        click.echo(f"wrote {output}", err=True)


def _write(chunks: Iterator[bytes], target: BinaryIO) -> None:
    """Write every chunk to ``target``."""
    for chunk in chunks:
        target.write(chunk)
    target.flush()
