"""``elicit export STUDY``: a study's data as the files the analyst's downloads give.

The bytes are those of the web downloads (:mod:`elicit.analysis.exports`): the
whole study as a ZIP with its manifest, or one table as CSV or JSON. A large
study's judgments show a progress bar on standard error while they are written.
The operator gets every round that has opened, as those who run the study
download it; ``--closed-rounds-only`` gives what an analyst downloads
(:mod:`elicit.analysis.visibility`), the open round left out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import with_appcontext

from elicit.analysis.exports import FORMATS, WHAT
from elicit.console import fail

PROGRESS_ROWS = 100_000
"""Judgment rows from which a progress bar is shown."""


@click.command("export")
@click.argument("slug", metavar="STUDY")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["zip", *FORMATS]),
    default="zip",
    show_default=True,
    help="The whole study as a ZIP with manifest.json, or one table as CSV or JSON.",
)
@click.option(
    "--table",
    "what",
    type=click.Choice(WHAT),
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
@click.option(
    "--closed-rounds-only",
    is_flag=True,
    help="Leave out the open round's judgments and what is computed from them, as an "
    "analyst's download does (the manifest lists the rounds included). By default every "
    "round that has opened is exported, the open one as it stands.",
)
@with_appcontext
def export(slug: str, fmt: str, what: str, output: Path | None, closed_rounds_only: bool) -> None:
    """Export a study as a ZIP with its manifest, or one of its tables as CSV or JSON.

    STUDY is the study's slug. The files are the analyst's downloads: the
    judgments (the long CSV `elicit pool` reads, with the study's pseudonymous
    expert ids), the questions, the resolutions, and what is computed from
    them: every round's pooled aggregates and consensus statistics, and the
    last round's scores (each as `elicit pool` or `elicit score` recomputes it).

    Every round that has opened is exported, the open one included, unless
    --closed-rounds-only is given: then the files hold the closed rounds only,
    as an analyst's download does.
    """
    from elicit.analysis import exports
    from elicit.analysis.visibility import last_closed_round
    from elicit.studies.services import find_study
    from elicit.unit_of_work import transaction

    if output is None and fmt == "zip" and sys.stdout.isatty():
        fail("a ZIP is not for a terminal: give --output FILE, or redirect standard output")
    with transaction() as session:
        study = find_study(session, slug)
        if study is None:
            fail(f"no study {slug!r}")
        limit = last_closed_round(study) if closed_rounds_only else None
        counted = fmt == "zip" or what == "judgments"
        rows = exports.judgment_rows(session, study, through_round=limit) if counted else 0
    try:
        with ExitStack() as stack:
            progress: Callable[[int], None] | None = None
            if rows >= PROGRESS_ROWS:
                bar = stack.enter_context(
                    click.progressbar(length=rows, label="judgment rows", file=sys.stderr)
                )
                progress = bar.update
            if fmt == "zip":
                files = exports.study_files(session, study, progress=progress, through_round=limit)
                chunks = exports.study_zip(study, files, through_round=limit)
            else:
                chunks = exports.table(
                    session, study, what, fmt, progress=progress, through_round=limit
                )
            if output is None:
                _write(chunks, sys.stdout.buffer)
            else:
                with output.open("wb") as target:
                    _write(chunks, target)
    finally:
        session.rollback()  # the export only read, in a transaction of its own
    if output is not None:
        click.echo(f"wrote {output}", err=True)


def _write(chunks: Iterator[bytes], target: BinaryIO) -> None:
    """Write every chunk to ``target``."""
    for chunk in chunks:
        target.write(chunk)
    target.flush()
