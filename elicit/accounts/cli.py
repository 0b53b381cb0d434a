"""``elicit users``: manage staff accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from elicit.accounts.models import Role
from elicit.accounts.services import (
    create_user,
    find_user,
    normalise_email,
    set_active,
    staff,
)
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


@users.command("list", help="List every staff account: e-mail, name, role and whether active.")
def list_users() -> None:
    """Print the staff accounts as a table, active ones first."""
    with transaction() as session:
        rows = [
            (user.email, user.name, user.role.value, "yes" if user.active else "no")
            for user in staff(session)
        ]
    header = ("E-MAIL", "NAME", "ROLE", "ACTIVE")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _change_active(email: str, active: bool) -> None:
    """Set whether the account ``email`` is active, or exit with status 2 explaining why not."""
    try:
        with transaction() as session:
            user = find_user(session, email)
            if user is None:
                fail(f"no staff account has the address {normalise_email(email)}")
            was_active = user.active
            set_active(session, user, active)
    except DomainError as error:
        fail(error.message)
    if was_active == active:
        click.echo(f"{user.email} was already {'active' if active else 'deactivated'}.")
    else:
        click.echo(f"{'Activated' if active else 'Deactivated'} {user.role.value} {user.email}.")


@users.command("deactivate", help="Deactivate a staff account: it can no longer log in.")
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate the account ``email``; its sessions end at once."""
    _change_active(email, False)


@users.command("activate", help="Make a deactivated staff account active again.")
@click.argument("email")
def activate(email: str) -> None:
    """Reactivate the account ``email``: it logs in with its old password."""
    _change_active(email, True)
