"""Copying the whole database to a file, and back.

SQLite is copied with its online backup API (:meth:`sqlite3.Connection.backup`),
which takes a consistent snapshot while the app keeps running; the copy is a
single self-contained file (rollback journal, no ``-wal`` beside it).
PostgreSQL is copied with ``pg_dump --format=custom`` and put back with
``pg_restore --clean --if-exists --single-transaction --no-owner``, so a
restore replaces the database's tables all at once or not at all; the
client programs must be on ``PATH`` and of the server's major version or newer.

A backup holds everything, contact details included, so it is created
readable by its owner only (mode 0600), written beside its destination and
renamed into place when complete: a file at ``PATH`` is always a whole backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

PG_ENVIRONMENT = {
    "host": "PGHOST",
    "port": "PGPORT",
    "username": "PGUSER",
    "password": "PGPASSWORD",
    "database": "PGDATABASE",
}
"""Which libpq environment variable carries each part of a PostgreSQL URL (no password in argv)."""


class BackupError(RuntimeError):
    """A backup or restore that could not be made; the message says why."""


def _private_partial(path: Path) -> Path:
    """Create an empty file beside ``path``, readable by its owner only, to write the copy into."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return partial


def _sqlite_file(url: sa.URL) -> Path:
    """Return the file of a SQLite database URL (not an in-memory database)."""
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up or restore")
    return Path(url.database)


def _pg_environment(url: sa.URL) -> dict[str, str]:
    """Return the environment that points ``pg_dump``/``pg_restore`` at ``url``'s database."""
    environment = dict(os.environ)
    for part, variable in PG_ENVIRONMENT.items():
        value = getattr(url, part)
        if value is not None:
            environment[variable] = str(value)
    if "sslmode" in url.query:
        environment["PGSSLMODE"] = str(url.query["sslmode"])
    return environment


def _program(name: str) -> str:
    """Return the path of PostgreSQL's ``name`` program, or say it must be installed."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install PostgreSQL's client programs "
            "(the server's major version or newer)"
        )
    return found


def _run(arguments: list[str], url: sa.URL) -> None:
    """Run a PostgreSQL client program on ``url``'s database; its error output becomes the error."""
    completed = subprocess.run(
        arguments, env=_pg_environment(url), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BackupError(f"{Path(arguments[0]).name} failed: {completed.stderr.strip()}")


def backup(url: sa.URL, path: Path) -> None:
    """Copy the database at ``url`` into the file ``path`` (replaced if it exists), mode 0600.

    Raises
    ------
    BackupError
        If the database cannot be copied (its message says why).
    """
    path = Path(path)
    partial = _private_partial(path)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url), partial)
        elif url.get_backend_name() == "postgresql":
            _run([_program("pg_dump"), "--format=custom", "--file", str(partial)], url)
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()} database")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` into ``target`` with the online backup API."""
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    with sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True) as reader:
        copy = sqlite3.connect(target)
        try:
            reader.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    reader.close()


def restore(engine: sa.Engine, path: Path) -> None:
    """Replace the whole content of ``engine``'s database with the backup in ``path``.

    The engine's pooled connections are closed first. A file that is not a
    whole backup of an elicit database is refused before anything changes.

    Raises
    ------
    BackupError
        If ``path`` is not a usable backup or the restore fails (nothing changed).
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    url = engine.url
    engine.dispose()
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(path, _sqlite_file(url))
    elif url.get_backend_name() == "postgresql":
        _run(
            [
                _program("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                "--dbname",
                str(url.database),
                str(path),
            ],
            url,
        )
    else:
        raise BackupError(f"cannot restore a {url.get_backend_name()} database")


def _sqlite_restore(source: Path, target: Path) -> None:
    """Copy the SQLite backup ``source`` over the database ``target`` (checked first).

    A database restored where there was none is created readable by its owner only.
    """
    try:
        with sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True) as backup_file:
            check = backup_file.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {
                row[0]
                for row in backup_file.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if check != "ok" or "alembic_version" not in tables:
                raise BackupError(f"{source} is not a whole backup of an elicit database")
            if not target.exists():
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            database = sqlite3.connect(target)
            try:
                backup_file.backup(database)
            finally:
                database.close()
        backup_file.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite backup: {error}") from None
