"""The ``elicit`` command: every command listed and loadable, and nothing heavy loaded early."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from elicit.cli import COMMANDS, load_command, main


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_summary_is_the_commands_own(name):
    command = load_command(name)
    assert COMMANDS[name].summary == command.get_short_help_str(limit=10_000)


def test_help_lists_every_command(monkeypatch, tmp_path):
    monkeypatch.setenv("ELICIT_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:")[1].split()
    assert set(COMMANDS) <= set(listed)
    assert "--app" not in result.output


def test_unknown_command_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("ELICIT_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def _modules_after(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter; return the names of the modules it left loaded."""
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


HEAVY = {"numpy", "scipy", "alembic", "flask_migrate", "pyarrow", "matplotlib"}


@pytest.mark.parametrize("args", [["--help"], ["pool", "--help"], ["cooke", "--help"]])
def test_help_and_offline_commands_load_no_flask_and_nothing_heavy(args):
    loaded = _modules_after(
        f"from elicit.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass"
    )
    assert not loaded & (HEAVY | {"flask", "sqlalchemy", "elicit.extensions"})


def test_creating_the_app_loads_no_migrations_or_science_and_hashes_no_password(tmp_path):
    loaded = _modules_after(
        "import os\n"
        f"os.environ['ELICIT_INSTANCE_PATH'] = {str(tmp_path)!r}\n"
        "from elicit.app import create_app\n"
        "create_app()\n"
        "from elicit.accounts.passwords import _dummy_hash\n"
        "assert _dummy_hash.cache_info().currsize == 0, 'a password was hashed'"
    )
    assert not loaded & HEAVY
