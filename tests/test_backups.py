"""`elicit backup` and `elicit restore`: a restored demo database has every row it had.

On SQLite by default, on PostgreSQL (with ``pg_dump``/``pg_restore``) when
``ELICIT_TEST_DATABASE_URL`` names a server; each test works on a database of
its own, since a backup reads what is committed.
"""

from __future__ import annotations

import shutil
import stat

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.services import create_user
from elicit.extensions import db
from tests.conftest import SERVER_URL, ElicitCliRunner, fresh_database, make_app

CONTENTS = ("users", "expert_contacts", "judgments", "judgment_revisions", "audit_events")
"""Tables compared row by row, besides every table's row count."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """An app on its own database holding the demo (built once for the module's tests).

    No app context stays pushed: each command runs in one of its own, as from
    a shell, so no session of the test holds SQLite's write lock between them.
    """
    if SERVER_URL and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not on PATH (PostgreSQL's client programs)")
    directory = tmp_path_factory.mktemp("backups")
    with fresh_database(directory) as url:
        application = make_app(url, directory / "instance")
        with application.app_context():
            flask_migrate.upgrade()
        result = ElicitCliRunner(application).invoke(args=["demo"])
        assert result.exit_code == 0, result.stderr
        yield application
        engine(application).dispose()


def engine(application) -> sa.Engine:
    """The engine of ``application``'s database."""
    with application.app_context():
        return db.engine


def snapshot(engine: sa.Engine) -> dict:
    """Every table's row count, and the rows of :data:`CONTENTS` in id order."""
    with engine.connect() as connection:
        tables = sorted(sa.inspect(connection).get_table_names())
        counts = {
            table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar()
            for table in tables
        }
        rows = {
            table: [
                tuple(row)
                for row in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in CONTENTS
        }
    return {"counts": counts, "rows": rows}


def test_a_restored_backup_of_the_demo_has_every_row(demo, tmp_path):
    runner = ElicitCliRunner(demo)
    before = snapshot(engine(demo))
    assert before["counts"]["judgments"] > 100 and before["counts"]["audit_events"] > 10
    path = tmp_path / "elicit.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.output == f"Backed up the database to {path}.\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["elicit.backup"]

    with Session(engine(demo)) as session:
        create_user(
            session,
            email="late@example.org",
            name="Late",
            role="analyst",
            password="a long password",
        )
        session.commit()
    assert snapshot(engine(demo)) != before

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.stderr
    assert result.output == f"Restored the database from {path}.\n"
    assert snapshot(engine(demo)) == before
    with Session(engine(demo)) as session:
        assert audit.verify(session).ok
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            session.execute(sa.text("UPDATE audit_events SET action = 'rewritten'"))
        session.rollback()
        audit.record(session, "after.restore")
        session.commit()
        assert audit.verify(session).ok
    if engine(demo).dialect.name == "sqlite":
        with engine(demo).connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_restore_refuses_a_file_that_is_no_backup(demo, tmp_path):
    runner = ElicitCliRunner(demo)
    before = snapshot(engine(demo))
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all" * 100)
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    missing = runner.invoke(args=["restore", str(tmp_path / "missing"), "--yes"])
    assert missing.exit_code == 2 and "there is no backup at" in missing.stderr
    assert snapshot(engine(demo)) == before


def test_restore_asks_before_replacing_everything(demo, tmp_path):
    result = ElicitCliRunner(demo).invoke(args=["restore", str(tmp_path / "x")], input="n\n")
    assert result.exit_code == 1 and "Replace everything in the database" in result.output


def test_a_backup_replaces_an_older_one_and_stays_private(demo, tmp_path):
    path = tmp_path / "nightly.backup"
    path.write_text("yesterday's")
    path.chmod(0o644)
    result = ElicitCliRunner(demo).invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() != b"yesterday's"


def test_a_sqlite_backup_restores_into_a_new_private_file(demo, tmp_path):
    if engine(demo).dialect.name != "sqlite":
        pytest.skip("a PostgreSQL database is created by its server, not as a file")
    from elicit.maintenance.backups import backup, restore

    path = tmp_path / "copy.backup"
    backup(engine(demo).url, path)
    fresh = sa.create_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    restore(fresh, path)
    assert stat.S_IMODE((tmp_path / "restored.sqlite3").stat().st_mode) == 0o600
    assert snapshot(fresh) == snapshot(engine(demo))
    fresh.dispose()
