"""Where work is committed: once per request, once per command, all or nothing.

Services add and flush; they never commit. Exactly one place commits: the end
of a request (:func:`init_app`) or of a CLI command (:func:`transaction`). On
any error, and on any refusal (:func:`refuse`), the whole unit of work is
rolled back, so a request refused with a domain error leaves the database as
it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask, Response, g
from sqlalchemy.orm import Session, scoped_session

from elicit.extensions import db

_REFUSED = "elicit_request_refused"
_KEPT = "elicit_request_kept"

READ_ONLY = "elicit_read_only"
"""An execution option: a transaction begun with it only reads (a long export streaming).

On SQLite it starts deferred, so in WAL mode it reads a snapshot without the
write lock, and a slow download never holds up the experts' answers.
"""


def read_only_connection(session: Session | scoped_session) -> sa.Connection:
    """Return ``session``'s connection, beginning a read-only transaction if none is open.

    Inside an open transaction (a request or command that already read or
    wrote), that transaction's connection is returned as it is.
    """
    current = session() if isinstance(session, scoped_session) else session
    if current.in_transaction():
        return current.connection()
    return current.connection(execution_options={READ_ONLY: True})


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
        """Begin each transaction holding the write lock, but not one marked :data:`READ_ONLY`."""
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    """Tune the engine for its dialect and make each request one transaction.

    A request whose response is not an error (status below 400), or that
    asked to :func:`keep` its work, and that was not refused commits; anything
    else, including an exception, is rolled back.
    """
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)

    @app.after_request
    def _commit(response: Response) -> Response:
        """Commit a successful request's work; roll back an error's or a refusal's."""
        if (response.status_code < 400 or g.get(_KEPT)) and not g.get(_REFUSED):
            db.session.commit()
        else:
            db.session.rollback()
        return response


def refuse() -> None:
    """Undo everything the current request has done, and commit nothing more of it.

    A view calls this when a service refused the request (a
    :class:`~elicit.errors.DomainError`) but the answer is still a success
    status, such as a redirect back with a message: the refusal must leave the
    database as it was, whatever the services flushed before refusing.
    """
    db.session.rollback()
    g.setdefault(_REFUSED, True)


def keep() -> None:
    """Commit the current request's work even though it answers with an error status.

    For what must be recorded because a request failed, such as a failed
    login counted toward its account's lockout (answered 401).
    """
    g.setdefault(_KEPT, True)


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a CLI command's work as one transaction: commit on success, roll back on error."""
    session = db.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
