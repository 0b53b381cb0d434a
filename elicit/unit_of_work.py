"""Where work is committed: once per request, once per command, all or nothing.

Services add and flush; they never commit. Exactly one place commits: the end
of a request (:func:`init_app`) or of a CLI command (:func:`transaction`). On
any error, and on any refusal (:func:`refuse`), the whole unit of work is
rolled back, so a request refused with a domain error leaves the database as
it was.

GET and HEAD requests only read (:func:`read_only_request`): on SQLite their
transactions begin deferred, so in WAL mode they read a snapshot without
taking the write lock, and a page being rendered never holds up an expert's
answer. Requests that write begin ``BEGIN IMMEDIATE``, except the expert's
busiest posts (:func:`reads_first`): they read and parse in a snapshot, then
take the write lock only for the part that writes (:func:`lock_for_writing`),
so SQLite's one writer at a time holds the lock for a fraction of the
request. The few things a GET
must record (opening an invitation link) are written in a short transaction
of their own (:func:`write_transaction`); a GET that flushes anything else is
a bug, refused while testing (:class:`WriteInReadOnlyRequest`) and logged
otherwise.

A write that cannot get its lock in time (:func:`is_busy`) is answered 503
with ``Retry-After`` (:mod:`elicit.web`), after :func:`read_only_from_now`,
so the error page can still read what it shows.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, scoped_session

from elicit.extensions import db

logger = logging.getLogger(__name__)

_REFUSED = "elicit_request_refused"
_KEPT = "elicit_request_kept"
_WRITING = "elicit_writing"
_READING_ONLY = "elicit_reading_only"
_READS_FIRST = "elicit_reads_first"
_DEFERRED = "elicit_deferred"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Request methods that only read: their transactions take no write lock."""

RETRY_AFTER_SECONDS = 5
"""What a 503 for a busy database asks the client to wait before trying again."""

_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_POSTGRES_BUSY = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available: lock_timeout passed
    "53300",  # too_many_connections
    "57P01",  # admin_shutdown: the server is restarting
    "57P03",  # cannot_connect_now: the server is starting
}


class WriteInReadOnlyRequest(RuntimeError):
    """A GET or HEAD request wrote outside :func:`write_transaction` (raised while testing)."""


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


def read_only_request() -> bool:
    """Whether the current request only reads, so its transactions take no write lock.

    True in a GET, HEAD or OPTIONS request (outside :func:`write_transaction`) and in any
    request after :func:`read_only_from_now`; false outside a request (CLI
    commands and jobs write).
    """
    if not has_request_context() or g.get(_WRITING):
        return False
    return request.method in SAFE_METHODS or bool(g.get(_READING_ONLY)) or _reads_first()


def _reads_first() -> bool:
    """Whether the current request's view is marked :func:`reads_first`."""
    return getattr(current_app.view_functions.get(request.endpoint or ""), _READS_FIRST, False)


def reads_first(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``view`` as one that reads until it calls :func:`lock_for_writing`, then writes.

    Until then its request counts as one that only reads (:func:`read_only_request`):
    on SQLite its transaction begins deferred, and any write before the lock
    is refused while testing, as in a GET. Put it under ``route``.
    """
    setattr(view, _READS_FIRST, True)
    return view


def lock_for_writing(session: Session) -> bool:
    """Take the write lock in a request that read first (:func:`reads_first`); else do nothing.

    On SQLite the read snapshot ends and ``BEGIN IMMEDIATE`` takes the write
    lock on the same connection: from here on every statement reads the
    current database and no other writer can come between. Objects loaded
    before keep the values they were loaded with, so a service re-reads under
    the lock what its decision rests on (as :func:`elicit.rounds.services.hold_round`
    does). On PostgreSQL, whose writers lock rows, the transaction goes on;
    on both, writing is allowed from here on. A lock not got within the busy
    timeout raises the error :func:`is_busy` recognises (503).

    Returns whether what the request read before may have changed meanwhile
    (a new snapshot began, after waiting for the lock), so that the caller
    checks again what it read (as :func:`elicit.answering.fields.still_asked`
    does); on PostgreSQL every statement already read the newest committed
    rows and nothing waited since, so there is nothing to check again.
    """
    if not has_request_context() or g.get(_WRITING) or g.get(_READING_ONLY) or not _reads_first():
        return False
    renewed = False
    if session.in_transaction():
        connection = session.connection()
        if connection.info.get(_DEFERRED):
            connection.exec_driver_sql("COMMIT")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.info[_DEFERRED] = False
            renewed = True
    g.setdefault(_WRITING, True)
    return renewed


def _configure_sqlite(engine: sa.Engine, busy_timeout: float) -> None:
    """Make SQLite safe for concurrent writers, waiting ``busy_timeout`` seconds for the lock.

    WAL lets readers and one writer work at once, the busy timeout makes a
    writer wait instead of failing, and ``BEGIN IMMEDIATE`` takes the write lock
    when a transaction that may write starts, so two transactions never both
    read and then fail to upgrade to a write ("database is locked"). A
    transaction that only reads (:data:`READ_ONLY`, :func:`read_only_request`)
    begins deferred and takes no lock. ``synchronous=FULL`` syncs the WAL at
    every commit, so an acknowledged answer survives a power cut, not only a
    crash of the process. pysqlite's own transaction handling is switched off
    so SAVEPOINTs work as well.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        """Set the pragmas on every new connection."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        """Begin deferred (no lock) a transaction that only reads, else holding the write lock."""
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        deferred = read_only or read_only_request()
        connection.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")
        connection.info[_DEFERRED] = deferred


def _configure_postgresql(engine: sa.Engine, lock_timeout: float) -> None:
    """Make a PostgreSQL statement give up after waiting ``lock_timeout`` seconds for a lock.

    A request waiting on a row lock then ends in a 503 the expert can retry
    (:func:`is_busy`), rather than in the web server killing its worker.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        """Set the lock timeout on every new connection."""
        with dbapi_connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, false)",
                (f"{max(1, round(lock_timeout * 1000))}ms",),
            )
        dbapi_connection.commit()


def _writes(session: Session) -> bool:
    """Whether flushing ``session`` would write anything."""
    return bool(
        session.new
        or session.deleted
        or any(session.is_modified(instance) for instance in session.dirty)
    )


def _refuse_write(what: str) -> None:
    """Refuse (while testing) or log a write made by a request that only reads."""
    message = (
        f"{request.method} {request.path} {what} outside unit_of_work.write_transaction(); "
        "a GET must not write (see elicit.unit_of_work)"
    )
    if current_app.testing:
        raise WriteInReadOnlyRequest(message)
    logger.warning(message)


def _guard_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Catch a flush that writes in a request that only reads (see :func:`_refuse_write`)."""
    if read_only_request() and _writes(session):
        _refuse_write("flushed changes")


def _guard_statement(state: ORMExecuteState) -> None:
    """Catch an INSERT, UPDATE or DELETE statement in a request that only reads."""
    if (state.is_insert or state.is_update or state.is_delete) and read_only_request():
        _refuse_write("executed a write statement")


def is_busy(error: BaseException | None) -> bool:
    """Whether ``error`` means the database could not take the work now, but may in a moment.

    SQLite's "database is locked" (the busy timeout passed waiting for the
    write lock), PostgreSQL's lock timeouts, deadlocks, serialization failures,
    a full server or one restarting, a lost connection, and the connection pool
    staying empty past its timeout. Such a request is answered 503 with
    ``Retry-After``; nothing of it was committed.
    """
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        code = getattr(original, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY
        return "locked" in str(original) or "busy" in str(original)
    state = getattr(original, "sqlstate", None)
    return isinstance(state, str) and (state in _POSTGRES_BUSY or state.startswith("08"))


def read_only_from_now() -> None:
    """Roll back what the request did, and let the rest of it only read.

    An error page for a busy database calls this first: what it reads to
    render then begins deferred, and does not wait for the write lock again.
    """
    db.session.rollback()
    g.pop(_WRITING, None)
    g.setdefault(_READING_ONLY, True)
    g.setdefault(_REFUSED, True)


@contextmanager
def write_transaction(session: Session | scoped_session | None = None) -> Iterator[Session]:
    """Write what a request that only reads must record, in a short transaction of its own.

    In a GET or HEAD request (:func:`read_only_request`) the read transaction
    so far ends (it wrote nothing, so its commit is a release; a deferred
    SQLite transaction that has read cannot safely take the write lock), a
    transaction holding the write lock begins and is
    committed when the block ends, or rolled back on an error; later reads
    begin a new read-only transaction. Loaded objects are expired and read
    again when used. Anywhere else (a request that writes, a CLI command, a
    job) the block is simply part of the surrounding unit of work, which
    commits it with everything else. ``session`` is the request's session
    (by default ``db.session``).
    """
    current = session() if isinstance(session, scoped_session) else session or db.session()
    if not read_only_request():
        yield current
        return
    current.commit()
    g.setdefault(_WRITING, True)
    try:
        yield current
        current.commit()
    except BaseException:
        current.rollback()
        raise
    finally:
        g.pop(_WRITING, None)


def init_app(app: Flask) -> None:
    """Tune the engine for its dialect and make each request one transaction.

    A request whose response is not an error (status below 400), or that
    asked to :func:`keep` its work, and that was not refused commits; anything
    else, including an exception, is rolled back.
    The busy timeout (``DB_BUSY_TIMEOUT``, seconds) is SQLite's wait for the
    write lock and PostgreSQL's lock timeout.
    """
    busy_timeout = float(app.config.get("DB_BUSY_TIMEOUT", 15))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine, busy_timeout)
        elif db.engine.dialect.name == "postgresql":
            _configure_postgresql(db.engine, busy_timeout)
    if not sa.event.contains(Session, "before_flush", _guard_flush):
        sa.event.listen(Session, "before_flush", _guard_flush)
        sa.event.listen(Session, "do_orm_execute", _guard_statement)

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
    database as it was, whatever the services flushed before refusing. The
    rest of the request only reads (:func:`read_only_from_now`): on SQLite the
    page that explains the refusal is rendered without the write lock.
    """
    read_only_from_now()


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
