"""``elicit report STUDY``: a study's plots and a one-page HTML summary, written to a folder.

The summary shows the same tables as the analyst's calibration page (the same
template, :file:`templates/analysing/_calibration_tables.html`) from the same
service, :func:`elicit.analysis.calibration.for_study`, and the plots of
:mod:`elicit.analysis.plots` as files beside it, so a report reads exactly as
the page does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from flask import render_template
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from elicit.console import fail
from elicit.studies.models import Study

SUMMARY = "index.html"
"""The summary's file name in the report folder."""


@dataclass(frozen=True)
class Written:
    """The files a report wrote: the summary and each plot."""

    summary: Path
    plots: list[Path]


def write_report(
    session: Session, study: Study, directory: Path, round_: int | None = None, fmt: str = "svg"
) -> Written:
    """Write ``study``'s plots (in ``fmt``) and :data:`SUMMARY` into ``directory``.

    Needs an application context (the summary is a template). Plots the study
    has no data for (no resolved question, say) are left out; the summary says
    why, as the page does.
    """
    from elicit.analysis import calibration, plots

    report = calibration.for_study(session, study, round_)
    directory.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str, str | None]] = [(n, n, None) for n in plots.available(report)]
    figures += [(f"quantity-{key}", "quantity", key) for key in sorted(report.quantities)]
    written, shown = [], []
    for filename, name, question in figures:
        try:
            body = plots.plot(name, report, fmt, question)
        except plots.NoData:
            continue
        path = directory / f"{filename}.{fmt}"
        path.write_bytes(body)
        written.append(path)
        shown.append((path.name, plots.caption(name, question)))
    summary = directory / SUMMARY
    html = render_template(
        "analysing/report.html", study=study, report=report, round_number=round_, figures=shown
    )
    summary.write_text(html, encoding="utf-8")
    return Written(summary, written)


@click.command(
    "report",
    help="Write a study's plots (SVG, or PNG with --format png) and a one-page HTML summary "
    "of its calibration, back-test and Cooke's model (index.html) into a folder.",
)
@click.argument("slug", metavar="STUDY")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write (default: report-STUDY in the current folder).",
)
@click.option(
    "--round",
    "round_",
    type=click.IntRange(min=1),
    help="Score this round (default: each expert's last answer to each question).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True
)
@with_appcontext
def report(slug: str, output: Path | None, round_: int | None, fmt: str) -> None:
    """Write the report of the study ``slug``."""
    from elicit.extensions import db
    from elicit.studies.services import find_study

    session = db.session()
    study = find_study(session, slug)
    if study is None:
        fail(f"no study called {slug!r}")
    if round_ is not None and round_ not in {r.number for r in study.rounds}:
        fail(f"study {slug!r} has no round {round_}")
    directory = output or Path(f"report-{slug}")
    written = write_report(session, study, directory, round_, fmt)
    click.echo(f"Wrote {written.summary} and {len(written.plots)} plot(s) to {directory}.")
