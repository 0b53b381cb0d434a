"""The ``elicit`` command: Flask's CLI group bound to :func:`elicit.create_app`.

``elicit run``, ``elicit db upgrade`` (Flask-Migrate), ``elicit questions ...``,
``elicit users create`` and ``elicit demo`` are the same commands as
``flask --app wsgi ...``; features register theirs in :func:`elicit.create_app`.
"""

from __future__ import annotations

from typing import NoReturn

import click
from flask.cli import FlaskGroup

from elicit import create_app

BAD_INPUT = 2
"""Exit status for input the command refused (nothing was written)."""


def fail(message: str) -> NoReturn:
    """Print ``message`` to standard error and exit with :data:`BAD_INPUT`."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(BAD_INPUT)


@click.group(
    cls=FlaskGroup,
    create_app=lambda: create_app(),
    help="elicit: structured expert elicitation. Every command also works as "
    "'flask --app wsgi COMMAND'.",
)
def main() -> None:
    """Run elicit's commands."""
