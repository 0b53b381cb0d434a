"""``elicit mail send``: deliver the queued e-mail once (for cron), or every few seconds."""

from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import AppGroup

from elicit.extensions import db
from elicit.mail.sender import SmtpMailer, SmtpSettings, send_queued


@click.group(
    cls=AppGroup,
    help="Deliver queued invitations and reminders over SMTP (`elicit mail send`, for cron).",
)
def mail() -> None:
    """Group the mail commands."""


@mail.command("send", help="Send every queued message over SMTP (ELICIT_SMTP_*), then exit.")
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    default=None,
    help="Keep running, sending the queue every this many seconds (what `make run` uses).",
)
@click.option(
    "--while-running",
    "parent",
    type=int,
    default=None,
    help="With --every: stop once the process with this id has ended (`make run` passes its own).",
)
def send(every: float | None, parent: int | None) -> None:
    """Run the sender over the queue once, or in a loop with ``--every``."""
    settings = SmtpSettings.from_config(current_app.config)
    if settings is None:
        click.echo(
            "No SMTP server is configured (ELICIT_SMTP_HOST): messages stay queued and are "
            "listed on each study's outbox page."
        )
        return
    mailer = SmtpMailer(settings)
    while True:
        report = send_queued(db.session(), mailer)
        if every is None or report.sent or report.failed:
            click.echo(
                f"Sent {len(report.sent)}, failed {len(report.failed)}, "
                f"to retry {len(report.retrying)}."
            )
        if every is None:
            return
        db.session.remove()
        time.sleep(every)
        if parent is not None and not _running(parent):
            return


def _running(pid: int) -> bool:
    """Whether the process ``pid`` still exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
