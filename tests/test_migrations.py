"""Migrations: one head, date-prefixed files, and a schema that equals the models, both ways."""

import re

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from elicit import PROJECT_ROOT
from elicit.extensions import db
from tests.conftest import fresh_database, make_app

MIGRATIONS = PROJECT_ROOT / "migrations"


def _script() -> ScriptDirectory:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def _tables(connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def test_there_is_exactly_one_head():
    assert len(_script().get_heads()) == 1


def test_revision_files_are_date_prefixed():
    files = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
    assert files
    for name in files:
        assert re.match(r"^\d{8}_\w+\.py$", name), name


@pytest.fixture
def empty_app(tmp_path):
    with fresh_database(tmp_path) as url:
        application = make_app(url, tmp_path)
        with application.app_context():
            yield application
            db.engine.dispose()


def test_upgrade_yields_the_models_schema_and_downgrade_undoes_it(empty_app):
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        assert _differences(connection) == []
        assert set(db.metadata.tables) <= _tables(connection)

    flask_migrate.downgrade(revision="base")
    with db.engine.connect() as connection:
        assert _tables(connection) <= {"alembic_version"}

    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        assert _differences(connection) == []
        head = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert head == _script().get_current_head()


def test_check_constraints_and_partial_indexes_match_the_models(empty_app):
    """Alembic's comparison ignores CHECK constraints and index predicates; compare them here."""
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in db.metadata.sorted_tables:
            expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
            found = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert found == expected, table.name
        partial = {i["name"]: i for i in inspector.get_indexes("rounds")}[
            "ix_rounds_one_open_per_study"
        ]
        assert partial["unique"]
        predicate = partial.get("dialect_options", {})
        if connection.dialect.name == "postgresql":
            assert "open" in str(predicate.get("postgresql_where"))


def test_comparison_would_notice_a_missing_column(empty_app):
    """Guard the guard: a schema that differs from the models must be reported."""
    flask_migrate.upgrade()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    with db.engine.connect() as connection:
        differences = _differences(connection)
    assert any(diff[0] == "remove_table" and diff[1].name == "stray" for diff in differences)
