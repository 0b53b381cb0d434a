"""``elicit users``: manage staff accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from elicit.accounts.models import Role
from elicit.accounts.services import create_user
from elicit.console import fail
from elicit.errors import DomainError
from elicit.unit_of_work import transaction


@click.group(cls=AppGroup, help="Manage staff accounts (admins, facilitators, analysts).")
def users() -> None:
    """Group the user commands."""


@users.command("create", help="Create a staff user who logs in with a password.")
@click.option("--email", required=True, help="Login e-mail address.")
@click.option("--name", required=True, help="Full name shown to other staff.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.FACILITATOR.value,
    show_default=True,
    help="What the user may do.",
)
@click.password_option(
    help="At least 10 characters; prompted for (twice) if not given.",
)
def create(email: str, name: str, role: str, password: str) -> None:
    """Create a staff user, or exit with status 2 explaining why not."""
    try:
        with transaction() as session:
            user = create_user(session, email=email, name=name, role=role, password=password)
    except DomainError as error:
        fail(error.message)
    click.echo(f"Created {user.role.value} {user.email}.")
