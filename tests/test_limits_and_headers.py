"""Issue 13 item 6: proxies, HSTS, the CSP, a private SQLite file, redacted tokens, autosave."""

from __future__ import annotations

import html
import logging
import os
import stat
import threading
import urllib.error
import urllib.request

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import request
from werkzeug.serving import make_server

from elicit import config
from elicit.extensions import db
from elicit.judgments.models import JudgmentDraft
from elicit.redaction import REDACTED, redact
from tests import test_expert_journey as journey
from tests.conftest import csrf_token, make_app
from tests.test_expert_journey import enter

panel = journey.panel


def test_the_content_security_policy_forbids_plugins_and_base_urls(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]


def test_hsts_is_sent_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def _probe_app(tmp_path, **overrides):
    """A fresh app with a page that says what address and scheme it saw."""
    app = make_app(f"sqlite:///{tmp_path / 'probe.db'}", tmp_path, **overrides)

    @app.get("/_probe")
    def _probe():
        return {"remote": request.remote_addr, "secure": request.is_secure}

    return app


FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_unless_proxies_are_trusted(tmp_path):
    seen = _probe_app(tmp_path).test_client().get("/_probe", headers=FORWARDED)
    assert seen.json == {"remote": "127.0.0.1", "secure": False}
    assert "Strict-Transport-Security" not in seen.headers


def test_one_trusted_proxy_gives_the_clients_address_and_scheme(tmp_path):
    app = _probe_app(tmp_path, TRUSTED_PROXIES=1)
    seen = app.test_client().get("/_probe", headers=FORWARDED)
    # Only the last hop was added by our proxy; the address before it is the client's
    # as the proxy saw it, whatever the client itself claimed further left.
    assert seen.json == {"remote": "198.51.100.7", "secure": True}
    assert seen.headers["Strict-Transport-Security"].startswith("max-age=")


def test_two_trusted_proxies_read_two_hops(tmp_path):
    app = _probe_app(tmp_path, TRUSTED_PROXIES=2, HSTS_SECONDS=0)
    seen = app.test_client().get(
        "/_probe", headers={**FORWARDED, "X-Forwarded-Proto": "https, https"}
    )
    assert seen.json == {"remote": "203.0.113.9", "secure": True}
    assert "Strict-Transport-Security" not in seen.headers


def test_proxy_and_hsts_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ELICIT_SECRET_KEY", "k")
    assert config.load(tmp_path)["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("ELICIT_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("ELICIT_HSTS_SECONDS", "600")
    settings = config.load(tmp_path)
    assert (settings["TRUSTED_PROXIES"], settings["HSTS_SECONDS"]) == (2, 600)
    for bad in ("-1", "one", "1.5"):
        monkeypatch.setenv("ELICIT_TRUSTED_PROXIES", bad)
        with pytest.raises(ValueError, match="ELICIT_TRUSTED_PROXIES"):
            config.load(tmp_path)


def test_the_sqlite_database_and_its_wal_files_are_private(tmp_path):
    path = tmp_path / "data" / "elicit.sqlite3"
    previous = os.umask(0o022)
    try:
        app = make_app(f"sqlite:///{path}", tmp_path)
        with app.app_context():
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                connection.execute(sa.text("SELECT count(*) FROM studies"))
                files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
                modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
            db.engine.dispose()
    finally:
        os.umask(previous)
    assert {"elicit.sqlite3", "elicit.sqlite3-wal", "elicit.sqlite3-shm"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


def test_an_existing_database_file_is_left_as_it_is(tmp_path):
    path = tmp_path / "kept.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o640)
    make_app(f"sqlite:///{path}", tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_redact_removes_invitation_tokens_from_a_request_line():
    line = '127.0.0.1 - - "GET /invite/Ab-9_xYz HTTP/1.1" 302 - "/invite/Q?x=1" "?token=s3cret&a=b"'
    redacted = redact(line)
    assert "Ab-9_xYz" not in redacted and "/invite/Q" not in redacted and "s3cret" not in redacted
    assert redacted.count(REDACTED) == 3 and "&a=b" in redacted and "/invite/" in redacted


def test_werkzeugs_request_log_never_shows_an_invitation_token(app, caplog):
    token = "zZ-secret-token-4711"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}/invite/{token}", timeout=10)
            except urllib.error.HTTPError as error:
                assert error.code < 500
    finally:
        server.shutdown()
        thread.join()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(f"/invite/{REDACTED}" in line for line in lines), lines
    assert not any(token in line for line in lines)


def test_the_apps_own_log_is_redacted_too(app, caplog):
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        app.logger.error("Exception on %s [%s]", "/invite/abcdefSECRET", "GET")
    assert "abcdefSECRET" not in caplog.text and f"/invite/{REDACTED}" in caplog.text


# Autosave


def _autosave(client, token_headers, payload=None, **kwargs):
    if payload is not None:
        kwargs["json"] = payload
    return client.post("/expert/rounds/1/drafts", headers=token_headers, **kwargs)


def test_autosave_ignores_unknown_field_names(client, panel, session):
    enter(client, panel["tokens"][0])
    headers = {"X-CSRFToken": csrf_token(client.get("/expert/round").text)}
    binary = panel["questions"][0]
    answer = {"probability": "40", "colour": "red", "__proto__": "x", "rationale": "kept"}
    saved = _autosave(client, headers, {"answers": {str(binary.id): answer}, "extra": 1})
    assert saved.status_code == 200 and saved.json["saved"] == [str(binary.id)]
    [draft] = session.scalars(sa.select(JudgmentDraft)).all()
    assert draft.fields == {
        "probability": "40",
        "lower": "",
        "upper": "",
        "quantile_values": [],
        "confidence": "",
        "rationale": "kept",
    }


def test_autosave_is_bounded_in_size(client, panel, session):
    enter(client, panel["tokens"][0])
    headers = {"X-CSRFToken": csrf_token(client.get("/expert/round").text)}
    binary = panel["questions"][0]
    huge = {"answers": {str(binary.id): {"rationale": "x" * 10}}, "padding": "y" * 1_100_000}
    too_large = _autosave(client, headers, huge)
    assert too_large.status_code == 413
    assert too_large.json["error"]["message"] == "What was sent is too large to be saved at once."
    many = {"answers": {str(n): {"probability": "1"} for n in range(1, 50)}}
    too_many = _autosave(client, headers, many)
    assert too_many.status_code == 400 and set(too_many.json["error"]) == {"code", "message"}
    assert session.scalars(sa.select(JudgmentDraft)).all() == []


# Invisible characters, through the pages


def test_a_rationale_with_a_bidi_override_is_refused_beside_its_field(client, panel, session):
    enter(client, panel["tokens"][0])
    binary = panel["questions"][0]
    page = client.get("/expert/round").text
    typed = "I agree \u202eeerga t'nod I"
    data = journey.form(page, [binary], {binary: {"probability": "30", "rationale": typed}})
    response = client.post("/expert/rounds/1/answers", data=data, follow_redirects=True)
    text = html.unescape(response.text)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in text and "at character 9" in text
    assert typed in text
    assert journey.judgments(session, panel["experts"][0]) == []


def test_a_study_title_with_an_invisible_character_is_refused_beside_it(client, session):
    from tests.test_study_pages import EMAILS, as_, post

    owner = journey.factories.user(session, EMAILS["owner"])
    journey.factories.study(session, owner=owner)
    session.commit()
    as_(client, "owner")
    response = post(
        client,
        "/facilitate/studies/study/clone",
        {"clone-slug": "copy", "clone-title": "Copy\u2066 of the study"},
    )
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert 'id="clone-title-error">The text contains an invisible formatting character' in text
    assert "U+2066 LEFT-TO-RIGHT ISOLATE" in text
    assert 'value="Copy\u2066 of the study"' in text
