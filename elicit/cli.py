"""The ``elicit`` command: one group whose subcommands load only when they are run.

``elicit --help`` lists every command from the table below without importing
any of them, and ``elicit pool`` imports the offline commands alone: Flask is
not even imported for them, and no application is created, no migration tool,
NumPy or SciPy is loaded until a command needs it. Commands that work on the
database create the application when they run (Flask's
:func:`~flask.cli.with_appcontext`, reading the :class:`~flask.cli.ScriptInfo`
this group provides); the offline commands never do.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask.cli import ScriptInfo


@dataclass(frozen=True)
class Entry:
    """Where a command lives (``module:attribute``) and the one line ``--help`` shows for it."""

    target: str
    summary: str
    app: bool = True
    migrations: bool = False


COMMANDS: dict[str, Entry] = {
    "run": Entry("flask.cli:run_command", "Run a development server."),
    "shell": Entry("flask.cli:shell_command", "Run a shell in the app context."),
    "routes": Entry("flask.cli:routes_command", "Show the routes for the app."),
    "db": Entry("flask_migrate.cli:db", "Perform database migrations.", migrations=True),
    "users": Entry(
        "elicit.accounts.cli:users", "Manage staff accounts (admins, facilitators, analysts)."
    ),
    "rounds": Entry(
        "elicit.rounds.cli:rounds",
        "Record round closings that are due: `elicit rounds tick`, for cron.",
    ),
    "questions": Entry(
        "elicit.studies.cli:questions",
        "Validate and import question sets (see question_sets/README.md).",
    ),
    "demo": Entry(
        "elicit.demo.cli:demo",
        "Create the demo study (facilitator account, bundled question sets, a simulated "
        "12-expert panel with round 1 closed and round 2 open), import the repliCATS pilot and "
        "the TU Delft tobacco study shared with a demo analyst, and print the logins and an "
        "invitation link.",
    ),
    "import": Entry(
        "elicit.imports.cli:import_command",
        "Create a study, its rounds closed, from an existing study's files: the long CSV, "
        "EXCALIBUR .dtt/.rls or the repliCATS layout.",
    ),
    "mail": Entry(
        "elicit.mail.cli:mail",
        "Deliver queued invitations and reminders over SMTP (`elicit mail send`, for cron).",
    ),
    "export": Entry(
        "elicit.analysis.export_cli:export",
        "Export a study as a ZIP with its manifest, or one of its tables as CSV or JSON.",
    ),
    "audit": Entry(
        "elicit.maintenance.cli:audit",
        "Check the audit trail's hash chain: `elicit audit verify`.",
    ),
    "experts": Entry(
        "elicit.maintenance.cli:experts",
        "Erase an expert's contact details on request (`elicit experts erase`).",
    ),
    "retention": Entry(
        "elicit.maintenance.cli:retention",
        "Erase contacts of studies archived longer ago than the retention period "
        "(`elicit retention apply`, for cron).",
    ),
    "backup": Entry(
        "elicit.maintenance.cli:backup",
        "Copy the whole database into the file PATH (replaced if it exists), readable by its "
        "owner only: SQLite's online backup, or pg_dump's custom format for PostgreSQL.",
    ),
    "restore": Entry(
        "elicit.maintenance.cli:restore",
        "Replace the whole database with the backup in PATH (made by `elicit backup`).",
    ),
    "pool": Entry(
        "elicit.analysis.cli:pool",
        "Pool binary, three-point and quantity judgments, every method or those named.",
        app=False,
    ),
    "fit": Entry(
        "elicit.analysis.cli:fit",
        "Fit distributions to every expert's quantiles (SHELF's families, least squares on the "
        "CDF) and pool them per question (linear pool of the best fits, and quantile averaging).",
        app=False,
    ),
    "score": Entry(
        "elicit.analysis.cli:score",
        "Score every expert and every pooling method on resolved binary questions (Brier score "
        "and its decomposition, log score, AUC, peer score); a three-point judgment's best "
        "estimate is its probability, and a file of three-point judgments alone back-tests the "
        "aggreCAT pools too.",
        app=False,
    ),
    "report": Entry(
        "elicit.analysis.report:report",
        "Write a study's plots (SVG, or PNG with --format png) and a one-page HTML summary of "
        "its calibration, back-test and Cooke's model (index.html) into a folder.",
    ),
    "cooke": Entry(
        "elicit.analysis.cli:cooke_command",
        "Cooke's classical model on an EXCALIBUR study: DTT is the experts' quantiles "
        "(STUDY.dtt), RLS the realizations (STUDY.rls; found beside the .dtt if not given).",
        app=False,
    ),
}
"""Every ``elicit`` command, loaded on first use."""


def load_command(name: str) -> click.Command:
    """Import and return the command called ``name`` in :data:`COMMANDS`."""
    module, _, attribute = COMMANDS[name].target.partition(":")
    command: click.Command = getattr(importlib.import_module(module), attribute)
    return command


def _with_migrations(info: ScriptInfo) -> None:
    """Make the app ``info`` creates carry Flask-Migrate, which only the ``db`` commands use."""
    from elicit.extensions import init_migrations

    create = info.create_app
    if create is not None and not getattr(create, "with_migrations", False):

        def create_with_migrations() -> Any:
            """Create the app, then attach the migrations to it."""
            return init_migrations(create())

        create_with_migrations.with_migrations = True  # type: ignore[attr-defined]
        info.create_app = create_with_migrations


class LazyGroup(click.Group):
    """A command group reading its commands from :data:`COMMANDS` when they are needed.

    Before a command that needs the application is loaded, the context gets
    the :class:`~flask.cli.ScriptInfo` that Flask's commands and
    :func:`~flask.cli.with_appcontext` create the app from (a caller, such as
    a test, may pass its own as ``obj``).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Name every command, without importing any."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command ``cmd_name`` (``None`` if there is no such command)."""
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if entry.app:
            from flask.cli import ScriptInfo

            if not isinstance(ctx.obj, ScriptInfo):
                ctx.obj = ScriptInfo(create_app=_create_app)
            if entry.migrations:
                _with_migrations(ctx.obj)
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with their summaries from :data:`COMMANDS` (nothing is imported)."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _create_app() -> Any:
    """Create the application (imported here so ``elicit --help`` never builds one)."""
    from elicit.app import create_app

    return create_app()


@click.group(cls=LazyGroup, help="elicit: structured expert elicitation.")
@click.version_option(package_name="elicit", message="elicit %(version)s")
def main() -> None:
    """Run elicit's commands."""
