"""The upkeep commands: checking the audit chain, erasing contacts, backing up and restoring.

``elicit audit verify``, ``elicit experts erase``, ``elicit retention apply``,
``elicit backup`` and ``elicit restore``; the work is :mod:`elicit.audit`'s,
:mod:`.erasure`'s and :mod:`.backups`'.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from elicit.console import fail
from elicit.extensions import db
from elicit.unit_of_work import transaction

BROKEN = 1
"""Exit status of ``elicit audit verify`` when a link of the chain is broken."""


@click.group(cls=AppGroup, help="Check the audit trail's hash chain: `elicit audit verify`.")
def audit() -> None:
    """Group the audit commands."""


@audit.command(
    "verify",
    help="Check every link of the audit trail's hash chain. Prints OK with the number of "
    "entries and the newest hash (write it down elsewhere: a later check must find the chain "
    "grown from it), or the first broken link: the entry's id and why, with exit status 1.",
)
def verify() -> None:
    """Walk the chain and report it whole or the first broken link."""
    from elicit.audit import verify as walk

    with transaction() as session:
        verdict = walk(session)
    if verdict.ok:
        click.echo(
            f"OK: {verdict.checked} audit entries, every link sound; newest hash {verdict.head}."
        )
        return
    where = f"audit entry {verdict.broken_id}" if verdict.broken_id is not None else "the head"
    click.echo(
        f"BROKEN at {where}: {verdict.reason}. "
        f"The {verdict.checked} entries before it are sound (last hash {verdict.head}).",
        err=True,
    )
    raise SystemExit(BROKEN)


@click.group(
    cls=AppGroup,
    help="Erase an expert's contact details on request (`elicit experts erase`).",
)
def experts() -> None:
    """Group the expert commands."""


@experts.command(
    "erase",
    help="Erase the name, e-mail and affiliation of an expert (by --email, in every study or "
    "in --study's; or by --expert id), blank the e-mails sent to them and withdraw their links. "
    "Their pseudonymous answers stay. Recorded in each study's audit trail.",
)
@click.option("--email", help="The expert's e-mail address (any case).")
@click.option("--expert", "expert_id", type=int, help="The expert's id.")
@click.option("--study", "slug", help="Only in this study (its slug).")
def erase(email: str | None, expert_id: int | None, slug: str | None) -> None:
    """Erase the contacts found, or exit with status 2 saying why nothing was erased."""
    from elicit.maintenance.erasure import erase_contacts, experts_with_email
    from elicit.panels.models import Expert
    from elicit.studies.services import find_study

    if (email is None) == (expert_id is None):
        fail("give either --email or --expert")
    with transaction() as session:
        study = None
        if slug is not None:
            study = find_study(session, slug)
            if study is None:
                fail(f"there is no study {slug!r}")
        if email is not None:
            found = experts_with_email(session, email, study)
        else:
            expert = session.get(Expert, expert_id)
            found = [expert] if expert is not None else []
            if study is not None and expert is not None and expert.study_id != study.id:
                found = []
        if not found:
            fail("no expert with contact details matches")
        lines = [f"{e.study.slug}: {e.pseudonym}" for e in found if e.contact is not None]
        count = erase_contacts(session, found, reason="request")
    for line in lines:
        click.echo(f"Erased the contact details of {line}.")
    if count == 0:
        click.echo("Their contact details were already erased.")


@click.group(
    cls=AppGroup,
    help="Erase contacts of studies archived longer ago than the retention period "
    "(`elicit retention apply`, for cron).",
)
def retention() -> None:
    """Group the retention commands."""


@retention.command(
    "apply",
    help="Erase the contact details of the experts of every study archived more than "
    "ELICIT_CONTACT_RETENTION_DAYS days ago (or --days). Their pseudonymous answers stay. "
    "Safe to run as often as you like, e.g. daily from cron.",
)
@click.option("--days", type=click.IntRange(min=0), help="Overrides the setting.")
def apply(days: int | None) -> None:
    """Erase what the retention period no longer allows to keep."""
    from elicit.maintenance.erasure import erase_contacts, past_retention

    days = days if days is not None else current_app.config.get("CONTACT_RETENTION_DAYS")
    if days is None:
        fail("no retention period: set ELICIT_CONTACT_RETENTION_DAYS or give --days")
    with transaction() as session:
        due = past_retention(session, days)
        studies = sorted({e.study.slug for e in due})
        count = erase_contacts(session, due, reason="retention")
    click.echo(
        f"Erased the contact details of {count} experts of studies archived more than "
        f"{days} days ago" + (f": {', '.join(studies)}." if studies else ".")
    )


@click.command(
    "backup",
    help="Copy the whole database into the file PATH (replaced if it exists), readable by its "
    "owner only: SQLite's online backup, or pg_dump's custom format for PostgreSQL. Safe while "
    "the app runs.",
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Write the backup, or exit with status 2 saying why not."""
    from elicit.maintenance.backups import BackupError
    from elicit.maintenance.backups import backup as copy

    try:
        copy(db.engine.url, path)
    except BackupError as error:
        fail(str(error))
    click.echo(f"Backed up the database to {path}.")


@click.command(
    "restore",
    help="Replace the whole database with the backup in PATH (made by `elicit backup`). "
    "Stop the app and its workers first.",
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="Replace everything in the database with the backup?")
@with_appcontext
def restore(path: Path) -> None:
    """Restore the backup, or exit with status 2 saying why not (nothing changed)."""
    from elicit.maintenance.backups import BackupError
    from elicit.maintenance.backups import restore as put_back

    db.session.remove()
    try:
        put_back(db.engine, path)
    except BackupError as error:
        fail(str(error))
    click.echo(f"Restored the database from {path}.")
