"""The set-up contract end to end: migrate, load the demo, serve, log in as the printed facilitator.

This runs the real console script in subprocesses, as ``make run`` does, on a
database of its own and a free port on 127.0.0.1, with the ``ELICIT_BASE_URL``
that ``make run PORT=...`` computes, so the printed links must point at that port.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from elicit import PROJECT_ROOT
from tests.conftest import csrf_token, fresh_database

ELICIT = Path(sys.executable).with_name("elicit")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def environment(tmp_path):
    with fresh_database(tmp_path) as url:
        env = {
            **os.environ,
            "ELICIT_DATABASE_URL": url,
            "ELICIT_INSTANCE_PATH": str(tmp_path / "instance"),
        }
        env.pop("ELICIT_SECRET_KEY", None)
        yield env


def _elicit(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ELICIT), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def make_run_commands(*arguments: str, base_url: str | None = None) -> list[str]:
    """The commands ``make run ARGUMENTS`` would run (``make -n``), with ``base_url`` set or not."""
    env = {k: v for k, v in os.environ.items() if k != "ELICIT_BASE_URL"}
    if base_url is not None:
        env["ELICIT_BASE_URL"] = base_url
    shown = subprocess.run(
        ["make", "-n", "run", *arguments],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return shown.stdout.splitlines()


def _base_url_of(commands: list[str], command: str) -> str:
    """The ``ELICIT_BASE_URL`` that ``make run`` gives the ``elicit COMMAND`` line."""
    line = next(line for line in commands if f"/elicit {command}" in line)
    return re.match(r"ELICIT_BASE_URL='([^']*)' ", line).group(1)


def test_make_run_builds_links_on_its_host_and_port():
    commands = make_run_commands("PORT=5101")
    assert _base_url_of(commands, "demo") == "http://127.0.0.1:5101"
    assert _base_url_of(commands, "run") == "http://127.0.0.1:5101"
    assert any(line.endswith("/elicit run --host 127.0.0.1 --port 5101") for line in commands)
    commands = make_run_commands("HOST=192.0.2.7", "PORT=8080")
    assert _base_url_of(commands, "demo") == "http://192.0.2.7:8080"


def test_a_base_url_in_the_environment_wins_over_host_and_port():
    commands = make_run_commands("HOST=0.0.0.0", "PORT=5101", base_url="https://elicit.example.org")
    assert _base_url_of(commands, "demo") == "https://elicit.example.org"
    assert _base_url_of(commands, "run") == "https://elicit.example.org"
    assert any(line.endswith("/elicit run --host 0.0.0.0 --port 5101") for line in commands)
    blank = make_run_commands(base_url="")
    assert _base_url_of(blank, "demo") == "http://127.0.0.1:5000"


def test_migrate_demo_serve_and_log_in(environment):
    port = _free_port()
    base = _base_url_of(make_run_commands(f"PORT={port}"), "demo")
    assert base == f"http://127.0.0.1:{port}"
    environment["ELICIT_BASE_URL"] = base
    assert _elicit(environment, "db", "upgrade").returncode == 0
    demo = _elicit(environment, "demo")
    assert demo.returncode == 0, demo.stderr
    again = _elicit(environment, "demo")
    assert again.returncode == 0 and "already set up" in again.stdout
    email = re.search(r"e-mail:\s+(\S+)", demo.stdout).group(1)
    password = re.search(r"password:\s+(\S+)", demo.stdout).group(1)
    assert password in again.stdout
    assert f"Facilitator login:  {base}/login" in demo.stdout

    server = subprocess.Popen(
        [str(ELICIT), "run", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = opener.open(f"{base}/login", timeout=5).read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert "Log in" in page
        form = urllib.parse.urlencode(
            {"email": email, "password": password, "csrf_token": csrf_token(page)}
        )
        landing = opener.open(f"{base}/login", data=form.encode(), timeout=10)
        assert landing.url == f"{base}/facilitate/"
        study = opener.open(f"{base}/facilitate/studies/demo", timeout=10).read().decode()
        assert "Round 2: open" in study and "12 experts on the panel" in study

        link = re.search(r"invitation link \(expert 'Alder'\):\s+(\S+)", demo.stdout).group(1)
        assert link.startswith(f"{base}/invite/")
        expert = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        welcome = expert.open(link, timeout=10)
        assert welcome.url == f"{base}/expert/"
        text = welcome.read().decode()
        assert "Who sees what" in text and "Agree and start" in text
        consent = urllib.parse.urlencode({"agree": "y", "csrf_token": csrf_token(text)})
        round_page = expert.open(f"{base}/expert/consent", data=consent.encode(), timeout=10)
        assert round_page.url == f"{base}/expert/round"
        assert "The panel in round 1" in round_page.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
