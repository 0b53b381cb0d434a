"""Issue 13 item 9: gunicorn serves the app from deploy/gunicorn.conf.py; deploy/ agrees with
the settings elicit reads, and every setting is documented."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from elicit import PROJECT_ROOT, config

DEPLOY = PROJECT_ROOT / "deploy"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers={"User-Agent": "elicit-test"})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_gunicorn_serves_the_app_and_its_access_log_has_no_token(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ELICIT_")},
        "ELICIT_DATABASE_URL": f"sqlite:///{tmp_path / 'elicit.sqlite3'}",
        "ELICIT_INSTANCE_PATH": str(tmp_path / "instance"),
        "ELICIT_SECRET_KEY": "gunicorn-test",
        "ELICIT_BIND": f"127.0.0.1:{_free_port()}",
        "ELICIT_WORKERS": "1",
        "ELICIT_THREADS": "2",
        "ELICIT_ACCESS_LOG": str(tmp_path / "access.log"),
        "ELICIT_ERROR_LOG": str(tmp_path / "error.log"),
    }
    previous = os.umask(0o022)
    try:
        subprocess.run([BIN / "elicit", "db", "upgrade"], env=env, check=True, capture_output=True)
    finally:
        os.umask(previous)
    # `elicit db upgrade` created the database readable by its owner only.
    assert stat.S_IMODE((tmp_path / "elicit.sqlite3").stat().st_mode) == 0o600
    base = f"http://{env['ELICIT_BIND']}"
    token = "T0k3n-that-must-not-be-logged_42"
    # Started from another folder: the config finds the project (chdir) itself.
    server = subprocess.Popen(
        [BIN / "gunicorn", "-c", DEPLOY / "gunicorn.conf.py"], env=env, cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers = _get(f"{base}/")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "error.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        assert status == 302 and headers["Location"].endswith("/login")
        assert "object-src 'none'" in headers["Content-Security-Policy"]
        status, _ = _get(f"{base}/login")
        assert status == 200
        status, _ = _get(f"{base}/invite/{token}?from=mail")
        assert 400 <= status < 500
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    log = (tmp_path / "access.log").read_text()
    assert '"GET / HTTP/1.1" 302' in log and '"GET /login HTTP/1.1" 200' in log
    assert '"GET /invite/[redacted]?from=mail HTTP/1.1" 404' in log
    assert token not in log
    assert token not in (tmp_path / "error.log").read_text()


def _settings_read_by_config() -> set[str]:
    """Every ELICIT_* name elicit/config.py reads."""
    source = (PROJECT_ROOT / "elicit" / "config.py").read_text()
    names = re.findall(r'_(?:env|flag|whole_number|number)\(\s*"([A-Z_]+)"', source)
    return {f"ELICIT_{name}" for name in names}


def test_every_setting_is_in_the_readmes_configuration_table():
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ", 1)]
    read = _settings_read_by_config()
    assert {"ELICIT_TRUSTED_PROXIES", "ELICIT_BIND", "ELICIT_WORKERS"} <= read
    missing = {name for name in read if f"`{name}`" not in table}
    assert not missing, f"not documented in README's Configuration: {sorted(missing)}"


def test_deploy_files_use_only_settings_elicit_reads():
    read = _settings_read_by_config()
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            used = set(re.findall(r"ELICIT_[A-Z_]+[A-Z]", path.read_text()))
            assert used <= read, f"{path.name}: {sorted(used - read)}"


def test_server_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ELICIT_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("ELICIT_WORKERS", "3")
    monkeypatch.setenv("ELICIT_THREADS", "8")
    monkeypatch.setenv("ELICIT_TIMEOUT", "45")
    settings = config.server()
    assert (settings["bind"], settings["workers"], settings["threads"]) == ("0.0.0.0:9000", 3, 8)
    assert settings["timeout"] == 45 and settings["accesslog"] == "-"
    monkeypatch.setenv("ELICIT_WORKERS", "many")
    with pytest.raises(ValueError, match="ELICIT_WORKERS"):
        config.server()


def test_the_gunicorn_config_redacts_and_reads_the_environment(monkeypatch):
    monkeypatch.setenv("ELICIT_THREADS", "6")
    namespace: dict = {"__file__": str(DEPLOY / "gunicorn.conf.py")}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    assert namespace["threads"] == 6 and namespace["worker_class"] == "gthread"
    assert namespace["logger_class"] == "elicit.gunicorn_logging.RedactingLogger"
    assert Path(namespace["chdir"]) == PROJECT_ROOT and namespace["wsgi_app"] == "wsgi:app"
    assert namespace["forwarded_allow_ips"] == ""
    warmed = []
    monkeypatch.setattr("elicit.app.warm", warmed.append)
    worker = type("Worker", (), {"wsgi": object()})()
    namespace["post_worker_init"](worker)
    assert warmed == [worker.wsgi]


def test_a_warmed_worker_has_imported_the_core_and_compiled_every_template(tmp_path):
    script = """
import gc
import sys
from elicit.app import create_app, warm
app = create_app()
assert "scipy.stats" not in sys.modules and not app.jinja_env.cache
assert gc.get_freeze_count() == 0
warm(app)
compiled = {template.name for template in app.jinja_env.cache.values()}
assert "scipy.stats" in sys.modules
assert {"answering/round.html", "base.html"} <= compiled
assert compiled == set(app.jinja_env.list_templates(extensions=["html"]))
template = app.jinja_env.get_template("answering/round.html")
assert gc.get_freeze_count() > 100_000
assert all(kept is not template for kept in gc.get_objects())
"""
    env = {
        **os.environ,
        "ELICIT_SECRET_KEY": "k",
        "ELICIT_INSTANCE_PATH": str(tmp_path),
        "ELICIT_DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3",
    }
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=PROJECT_ROOT)


def test_compose_runs_postgresql_redis_web_and_worker():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "migrate"} <= set(services)
    assert services["web"]["command"][-1] == "deploy/gunicorn.conf.py"
    assert services["worker"]["command"][:2] == ["rq", "worker"]
    assert {"elicit-mail", "elicit-analysis"} <= set(services["worker"]["command"])
    environment = services["web"]["environment"]
    assert environment["ELICIT_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert environment["ELICIT_REDIS_URL"].startswith("redis://redis:")
    assert environment["ELICIT_BIND"] == "0.0.0.0:8000"
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]


def _unit(name: str) -> dict[str, list[str]]:
    """The keys of a systemd unit file's sections, each key's values in order."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_the_systemd_units_run_gunicorn_and_the_rq_worker_unprivileged():
    web, worker = _unit("elicit-web.service"), _unit("elicit-worker.service")
    assert web["ExecStart"] == [
        "/srv/elicit/.venv/bin/gunicorn -c /srv/elicit/deploy/gunicorn.conf.py"
    ]
    assert web["ExecStartPre"] == ["/srv/elicit/.venv/bin/elicit db upgrade"]
    assert "rq worker" in worker["ExecStart"][0] and "elicit-analysis" in worker["ExecStart"][0]
    for unit in (web, worker, _unit("elicit-tick.service")):
        assert unit["User"] == ["elicit"] and unit["EnvironmentFile"] == ["/etc/elicit/elicit.env"]
        assert unit["UMask"] == ["0077"] and unit["ProtectSystem"] == ["strict"]
    assert _unit("elicit-tick.timer")["OnCalendar"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_finds_nothing_wrong_in_the_units_but_the_missing_install():
    units = sorted(str(path) for path in (DEPLOY / "systemd").iterdir())
    checked = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (checked.stdout + checked.stderr).splitlines()
        if line.strip() and not re.search(r"Command /srv/elicit/\S+ is not executable", line)
    ]
    assert problems == []


def test_the_nginx_site_matches_the_apps_limits_and_proxy_setting(tmp_path, monkeypatch):
    site = (DEPLOY / "nginx" / "elicit.conf").read_text()
    monkeypatch.setenv("ELICIT_SECRET_KEY", "k")
    limit = config.load(tmp_path)["MAX_CONTENT_LENGTH"]
    assert f"client_max_body_size {limit // 2**20}m;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert (
        "alias /srv/elicit/elicit/static/;" in site
        and (PROJECT_ROOT / "elicit" / "static").is_dir()
    )
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
    assert "/invite/)[^/?#]+" in site and "[redacted]" in site
