"""Fixtures shared by the whole suite: ``app``, ``session``, ``client``, ``runner``.

The suite runs on SQLite by default and on PostgreSQL when
``ELICIT_TEST_DATABASE_URL`` names a server (``.ci/run`` does both). Either
way it works in a database of its own, created for the run and built by the
real migrations, and every test's writes (requests and CLI commands included)
are rolled back when it ends.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy.session import _app_ctx_id
from hypothesis import settings
from sqlalchemy.orm import scoped_session, sessionmaker

from elicit import PROJECT_ROOT
from elicit.app import create_app
from elicit.cli import main
from elicit.extensions import db, init_migrations

SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"

settings.register_profile("elicit", deadline=None)
settings.load_profile("elicit")
"""Hypothesis checks properties, not speed (speed is for ``benchmarks/``): no per-example
deadline, which a loaded CI machine would turn into failures."""
SERVER_URL = os.environ.get("ELICIT_TEST_DATABASE_URL")


def pytest_collection_modifyitems(items):
    """Mark every test under ``tests/browser/`` slow (see the ``slow`` marker in pyproject)."""
    browser = PROJECT_ROOT / "tests" / "browser"
    for item in items:
        if browser in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database, and drop it afterwards.

    SQLite: a file in ``directory``. PostgreSQL: a database created next to
    the one ``ELICIT_TEST_DATABASE_URL`` names.
    """
    if not SERVER_URL:
        yield f"sqlite:///{directory / f'elicit-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    server = sa.make_url(SERVER_URL)
    name = f"elicit_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def make_app(url: str, instance: Path, **overrides):
    """Create an app for tests on the database at ``url``, with its migrations attached."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "TESTING": True,
            "SECRET_KEY": "tests-only-secret",
            "RATELIMIT_ENABLED": False,
            **overrides,
        }
    )
    return init_migrations(app)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, on a fresh database upgraded to the migrations' head."""
    directory = tmp_path_factory.mktemp("elicit")
    with fresh_database(directory) as url:
        application = make_app(url, directory / "instance")
        with application.app_context():
            flask_migrate.upgrade()
        yield application
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def rate_limited_client(tmp_path):
    """A client of a separate app with rate limits on, its tables created by the migrations.

    Flask-Limiter's ``Limiter`` is shared by every app of the process, so the
    limits are switched off and forgotten again afterwards, for the other tests.
    """
    from elicit.extensions import limiter

    limited = make_app(f"sqlite:///{tmp_path / 'limited.db'}", tmp_path, RATELIMIT_ENABLED=True)
    with limited.app_context():
        flask_migrate.upgrade()
    try:
        yield limited.test_client()
    finally:
        limiter.reset()
        limiter.enabled = False
        with limited.app_context():
            db.engine.dispose()


@pytest.fixture
def session(app):
    """A database session whose work, and every request's and command's, rolls back after the test.

    All sessions share one connection with an outer transaction; their commits
    only release SAVEPOINTs inside it.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class FreshContextClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``, as in production.

    The ``session`` fixture keeps one app context open for the whole test, and
    Flask reuses it for each request, so without this ``g`` (and what
    extensions cache there, such as the CSRF token) would leak between requests.
    """

    def open(self, *args, **kwargs):
        """Flush what the test set up, clear ``g`` and send the request.

        The test's own changes are flushed first, as if committed before the
        request: a GET request may not write (:mod:`elicit.unit_of_work`).
        """
        if has_app_context():
            db.session.flush()
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, session):
    """A test client whose requests run inside the test's rolled-back transaction."""
    app.test_client_class = FreshContextClient
    return app.test_client()


class ElicitCliRunner(FlaskCliRunner):
    """A CLI runner that runs the ``elicit`` command itself, on the test's app."""

    def invoke(self, cli=None, args=None, **kwargs):
        """Invoke ``elicit ARGS`` (or ``cli``) with the test app as the app it creates."""
        return super().invoke(cli or main, args, **kwargs)


@pytest.fixture
def runner(app, session):
    """A CLI runner whose commands run inside the test's rolled-back transaction."""
    return ElicitCliRunner(app)


CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    """Return the CSRF token embedded in a rendered form."""
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def login(client, email: str, password: str):
    """Log ``client`` in through the real login form, CSRF token included."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )
