"""The declarative base, shared column types and the transaction boundary.

Services add and flush; they never commit. Exactly one place commits: the end of
a request (see :func:`init_app`) or a CLI command (see :func:`transaction`). On
any error the whole unit of work is rolled back.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names (needed by Alembic on SQLite)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no time zone, so naive values read from it are marked UTC;
    naive values written are refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Convert an aware datetime to UTC before storing it."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Mark a value read back as UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def checked_enum(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """Store ``enum_class`` by value as a string column with a CHECK constraint named ``name``."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def _configure_sqlite(engine: sa.Engine) -> None:
    """Make SQLite safe for concurrent writers.

    WAL lets readers and one writer work at once, the busy timeout makes a
    writer wait instead of failing, and ``BEGIN IMMEDIATE`` takes the write lock
    when a transaction starts, so two transactions never both read and then
    fail to upgrade to a write ("database is locked"). pysqlite's own
    transaction handling is switched off so SAVEPOINTs work as well.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        """Set the pragmas on every new connection."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        """Start every transaction holding the write lock."""
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    """Tune the engine for its dialect and make each request one transaction.

    A request whose response is not an error (status below 400) commits;
    anything else, including an exception, leaves the session to be rolled back
    when Flask-SQLAlchemy removes it at the end of the app context.
    """
    from elicit.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)

    @app.after_request
    def _commit(response: Response) -> Response:
        """Commit a successful request's work; roll back an error response's."""
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


@contextmanager
def transaction() -> Iterator[sa.orm.Session]:
    """Run a CLI command's work as one transaction: commit on success, roll back on error."""
    from elicit.extensions import db

    session = db.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
