"""What every command shares: how a refusal is printed and the exit status it gives.

Commands live beside their feature (``accounts/cli.py``, ``studies/cli.py``,
...); the ``elicit`` group that finds them is :mod:`elicit.cli`.
"""

from __future__ import annotations

from typing import NoReturn

import click

BAD_INPUT = 2
"""Exit status for input the command refused (nothing was written)."""


def fail(message: str) -> NoReturn:
    """Print ``message`` to standard error and exit with :data:`BAD_INPUT`."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(BAD_INPUT)
