"""``elicit demo``: create the demo study once, and print how to get in every time."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from elicit import PROJECT_ROOT
from elicit.accounts.services import find_user
from elicit.config import write_private
from elicit.console import fail
from elicit.demo import services
from elicit.panels.services import invitation_url
from elicit.studies.cli import fail_with_problems
from elicit.studies.question_sets import QuestionSetError
from elicit.studies.services import find_study
from elicit.unit_of_work import transaction


def _secrets_file() -> Path:
    """Where the demo's password and invitation token are kept: the instance folder, mode 0600.

    The database keeps only their hashes, so this file is the one place a later
    ``make run`` can read them back from to print them again.
    """
    return Path(current_app.instance_path) / "demo.json"


def _print_access(access: dict[str, str]) -> None:
    """Print the facilitator login, one expert's invitation link and the analyst login."""
    base = current_app.config["BASE_URL"]
    click.echo("")
    click.echo(f"  Facilitator login:  {base}/login")
    click.echo(f"    e-mail:   {access['email']}")
    click.echo(f"    password: {access['password']}")
    link = invitation_url(base, access["invitation_token"])
    click.echo(f"  Expert invitation link (expert 'Alder'):  {link}")
    if "analyst_password" in access:
        click.echo(f"  Analyst login (the repliCATS and TU Delft studies):  {base}/login")
        click.echo(f"    e-mail:   {access['analyst_email']}")
        click.echo(f"    password: {access['analyst_password']}")
    click.echo("")


@click.command(
    help="Create the demo study (facilitator account, bundled question sets, a simulated "
    "12-expert panel with round 1 closed and round 2 open), import the repliCATS pilot and "
    "the TU Delft tobacco study shared with a demo analyst, and print the logins and an "
    "invitation link. Run again, it changes nothing and prints the same."
)
@click.option(
    "--question-sets",
    "question_sets_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "question_sets",
    show_default="question_sets/",
    help="Folder of question sets to build the demo study from.",
)
@click.option(
    "--seed",
    type=int,
    default=services.SEED,
    show_default=True,
    help="Seed of the simulated panel's answers.",
)
@with_appcontext
def demo(question_sets_dir: Path, seed: int) -> None:
    """Create the demo study if it is missing; print how to log in either way."""
    secrets_file = _secrets_file()
    with transaction() as session:
        exists = find_study(session, services.SLUG) is not None
        if not exists:
            try:
                result = services.build(session, question_sets_dir, seed=seed)
            except QuestionSetError as error:
                fail_with_problems(error, "the demo was not created")
            except ValueError as error:
                fail(f"{error}; the demo was not created")
            access = {
                "email": result.facilitator.email,
                "password": result.password,
                "invitation_token": result.invitation_token,
            }
        else:
            access = _saved_access(secrets_file)
        changed = not exists
        analyst = find_user(session, services.ANALYST_EMAIL)
        if analyst is None:
            changed = True
            analyst, password = services.create_analyst(session)
            access |= {"analyst_email": analyst.email, "analyst_password": password}
        facilitator = find_user(session, access["email"])
        if facilitator is None:
            fail(f"the demo facilitator {access['email']} is missing; the demo was not changed")
        added = services.load_reference_studies(session, facilitator, analyst)
    if changed:
        write_private(secrets_file, json.dumps(access))
    if exists:
        click.echo("The demo study is already set up.")
    else:
        click.echo(
            f"Created the demo study {result.study.title!r}: {len(result.study.questions)} "
            f"questions, {len(result.study.experts)} experts, round 1 closed, round 2 open."
        )
    for study in added:
        click.echo(f"Imported the study {study.title!r} ({study.slug}), shared with the analyst.")
    _print_access(access)


def _saved_access(secrets_file: Path) -> dict[str, str]:
    """Read the demo's logins back from ``secrets_file``; exit 2 if it cannot be read."""
    try:
        saved = json.loads(secrets_file.read_text())
        access = {k: saved[k] for k in ("email", "password", "invitation_token")}
        access |= {k: saved[k] for k in ("analyst_email", "analyst_password") if k in saved}
    except (OSError, ValueError, KeyError, TypeError) as error:
        fail(
            f"the demo study exists but its login cannot be read from {secrets_file} "
            f"({error}); create a login with `elicit users create`"
        )
    return {k: str(v) for k, v in access.items()}
