"""``elicit rounds``: record what the clock has already decided about rounds (for cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from elicit.rounds.services import record_due_closings
from elicit.unit_of_work import transaction


@click.group(
    cls=AppGroup, help="Record round closings that are due: `elicit rounds tick`, for cron."
)
def rounds() -> None:
    """Group the round commands."""


@rounds.command(
    "tick",
    help="Record as closed every open round whose closing time has passed. A round is closed "
    "to experts from its closing time whether or not this runs; running it records the "
    "closing (closed at the closing time, in the audit trail). Safe to run at any time and "
    "as often as you like, e.g. every minute from cron.",
)
def tick() -> None:
    """Record each due closing and print one line per round closed."""
    with transaction() as session:
        closed = record_due_closings(session)
        lines = [
            f"Closed round {round_.number} of {round_.study.slug} "
            f"at its closing time, {round_.closed_at:%Y-%m-%d %H:%M} UTC."
            for round_ in closed
        ]
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("No round is due to close.")
