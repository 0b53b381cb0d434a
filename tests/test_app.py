"""The application factory, configuration, security headers, error pages and CLI help."""

import stat

import pytest

from elicit import config
from elicit.app import create_app
from elicit.cli import main
from tests.conftest import make_app


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("ELICIT_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    key_file = tmp_path / "secret_key"
    assert len(first.secret_key) >= 40
    assert first.secret_key == second.secret_key == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_settings_come_from_elicit_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("ELICIT_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.db"))
    monkeypatch.setenv("ELICIT_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("ELICIT_BASE_URL", "https://delphi.example.org/")
    monkeypatch.setenv("ELICIT_SESSION_LIFETIME_HOURS", "2")
    settings = config.load(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"].endswith("x.db")
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["BASE_URL"] == "https://delphi.example.org"
    assert settings["PERMANENT_SESSION_LIFETIME"].total_seconds() == 7200
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["WTF_CSRF_TIME_LIMIT"] is None


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ELICIT_DATABASE_URL", raising=False)
    monkeypatch.setenv("ELICIT_SECRET_KEY", "k")
    settings = config.load(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'elicit.sqlite3'}"
    assert settings["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("name", "value"),
    [("ELICIT_BASE_URL", "ftp://x"), ("ELICIT_SESSION_LIFETIME_HOURS", "soon")],
)
def test_bad_settings_are_refused_with_their_name(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv("ELICIT_SECRET_KEY", "k")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        config.load(tmp_path)


def test_sqlite_is_configured_for_concurrent_writers(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'w.db'}", tmp_path)
    from elicit.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_write_transactions_take_the_lock_when_they_begin(tmp_path):
    """BEGIN IMMEDIATE: a second writer waits (here, fails fast) at BEGIN, not at a write."""
    import sqlalchemy as sa

    from elicit.extensions import db

    app = make_app(f"sqlite:///{tmp_path / 'lock.db'}", tmp_path)
    with app.app_context(), db.engine.connect() as first, db.engine.connect() as second:
        second.connection.driver_connection.execute("PRAGMA busy_timeout = 50")
        first.begin()
        first.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            second.begin()


def test_instance_folder_is_created_even_with_a_configured_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ELICIT_SECRET_KEY", "set")
    create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "new" / "instance"),
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert (tmp_path / "new" / "instance").is_dir()


def test_the_suite_runs_on_the_database_it_was_asked_for(app):
    import os

    from elicit.extensions import db

    expected = "postgresql" if os.environ.get("ELICIT_TEST_DATABASE_URL") else "sqlite"
    with app.app_context():
        assert db.engine.dialect.name == expected


@pytest.mark.parametrize("path", ["/facilitate/studies/a%00b", "/login?next=%00"])
def test_nul_characters_are_refused_with_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL character" in response.text


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_a_404_page_or_json_error(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "Something went wrong (404)" in page.text
    api = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.json["error"]["code"] == "not_found"
    assert api.json["error"]["message"]


def test_the_favicon_exists_and_every_page_links_it(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.content_type == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = client.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page.text
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.data.startswith(b"<svg ")
    assert "img-src 'self' data:" in page.headers["Content-Security-Policy"]


def test_front_page_sends_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["db", "upgrade"],
        ["questions"],
        ["questions", "validate"],
        ["questions", "import"],
        ["users", "create"],
        ["demo"],
    ],
)
def test_every_command_has_help(command, monkeypatch, tmp_path):
    from click.testing import CliRunner

    monkeypatch.setenv("ELICIT_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ELICIT_DATABASE_URL", "sqlite://")
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    help_text = " ".join(result.output.split("Options:")[0].split("\n")[1:]).split()
    assert len(help_text) >= 4, f"{command} has no help text: {result.output}"
