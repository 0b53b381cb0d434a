"""Issue 13 item 7: feedback letters fresh per question unless the study keeps them per round;
analysts' pseudonyms unaffected; no log line carries what an expert wrote."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from elicit.audit import AuditEvent
from elicit.extensions import db
from elicit.studies.models import Study
from tests import factories
from tests import test_expert_journey as journey
from tests.conftest import csrf_token, login
from tests.test_expert_journey import enter

panel = journey.panel
second_round = journey.second_round

MARKER = "zebra-marker-7f3a"


def _labels_by_question(page: str) -> dict[str, set[str]]:
    """Each question's feedback letters as the page shows them, by question anchor."""
    found = {}
    for anchor, body in re.findall(r'<article [^>]*id="(q-\w+)"(.*?)</article>', page, re.S):
        found[anchor] = set(re.findall(r"<strong>(Expert [A-Z]+)", body))
    return found


def _own_labels(page: str) -> list[str]:
    return re.findall(r"<strong>(Expert [A-Z]+) \(you\)</strong>", page)


def test_the_round_settings_form_keeps_letters_per_round(client, session, panel):
    study = panel["study"]
    assert study.feedback_labels_per_round is False
    login(client, study.owner.email, factories.PASSWORD)
    page = client.get("/facilitate/studies/study").text
    assert 'name="feedback_labels_per_round"' in page
    form = {
        "csrf_token": csrf_token(page),
        "time_zone": "UTC",
        "feedback_labels_per_round": "y",
    }
    response = client.post("/facilitate/studies/study/round-settings", data=form)
    assert response.status_code == 302
    session.expire_all()
    assert study.feedback_labels_per_round is True
    entry = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "study.round_settings")
    ).one()
    assert entry.details["after"]["labels_per_round"] is True
    assert entry.details["before"]["labels_per_round"] is False
    checked = client.get("/facilitate/studies/study").text
    [box] = re.findall(r'<input[^>]*name="feedback_labels_per_round"[^>]*>', checked)
    assert " checked " in box


def test_the_answer_page_follows_the_study_option(client, session, panel, second_round):
    enter(client, panel["tokens"][0])
    default = client.get("/expert/round").text
    assert "that change with every question and every round" in client.get("/expert/guide").text
    by_question = _labels_by_question(default)
    assert by_question["q-bin"] and by_question["q-qty"]
    study = session.get(Study, panel["study"].id)
    study.feedback_labels_per_round = True
    session.commit()
    per_round = client.get("/expert/round").text
    own = _own_labels(per_round)
    assert len(own) == 2 and own[0] == own[1]
    assert "that change every round" in client.get("/expert/guide").text


def test_analysts_pseudonymous_ids_do_not_change_with_the_option(
    client, session, panel, second_round
):
    study = panel["study"]
    login(client, study.owner.email, factories.PASSWORD)
    url = "/analyse/studies/study/download/judgments.csv"
    before = client.get(url)
    assert before.status_code == 200
    for expert in panel["experts"]:
        assert f'"{expert.pseudonym}"' in before.text
    study.feedback_labels_per_round = True
    session.commit()
    assert client.get(url).data == before.data


@pytest.fixture
def verbose_engine(app):
    """Make the engine log as much as SQLAlchemy can: every statement and every result row.

    Flask-SQLAlchemy's engines log nothing (echo False), and a connection reads the setting when
    it is made, so this comes before the test's session fixture makes its connection.
    """
    with app.app_context():
        engine = db.engine
    engine.echo = "debug"
    yield engine
    engine.echo = False


def test_no_log_line_carries_an_experts_rationale(verbose_engine, client, session, panel, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    # Alembic's logging configuration (run by migrating tests) sets this one's level itself.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    _answer_with_marker(client, session, panel)
    names = {record.name for record in caplog.records}
    assert "sqlalchemy.engine.Engine" in names, "no statement was logged: the test proves nothing"
    for record in caplog.records:
        assert MARKER not in record.getMessage(), record.name
        assert MARKER not in str(record.args or ""), record.name
    assert MARKER not in caplog.text


def _answer_with_marker(client, session, panel):
    """Draft, be refused, then submit answers whose rationales carry ``MARKER``."""
    binary, interval, quantity = panel["questions"]
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    headers = {"X-CSRFToken": csrf_token(page)}
    client.post(
        "/expert/rounds/1/drafts",
        json={"answers": {str(binary.id): {"probability": "30", "rationale": f"{MARKER} draft"}}},
        headers=headers,
    )
    values = {
        binary: {"probability": "31", "rationale": f"{MARKER} binary"},
        interval: {"lower": "10", "probability": "20", "upper": "30", "rationale": MARKER},
        quantity: {"quantile_values": ["1", "2", "3"], "rationale": f"{MARKER} \u202e bad"},
    }
    refused = client.post(
        "/expert/rounds/1/answers", data=journey.form(page, panel["questions"], values)
    )
    assert refused.status_code == 302
    values[quantity]["rationale"] = f"{MARKER} quantity"
    page = client.get("/expert/round?check=1").text
    sent = client.post(
        "/expert/rounds/1/answers", data=journey.form(page, panel["questions"], values)
    )
    assert sent.headers["Location"].endswith("/receipt")
    assert MARKER in client.get("/expert/rounds/1/receipt").text
    assert len(journey.judgments(session, panel["experts"][0])) == 3


def test_sql_logging_never_shows_a_statements_parameters(app, caplog):
    """With SQLAlchemy's statement log on (as someone debugging might), values stay out."""

    with app.app_context():
        assert db.engine.hide_parameters
        caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT :rationale AS r"), {"rationale": MARKER}).one()
            try:
                connection.execute(sa.text("SELECT * FROM missing WHERE x = :r"), {"r": MARKER})
            except sa.exc.DBAPIError as error:
                assert MARKER not in str(error)
            else:
                raise AssertionError("the broken statement ran")
    assert any(
        "SELECT ? AS r" in r.getMessage() or "SELECT %(rationale)s" in r.getMessage()
        for r in caplog.records
    )
    assert MARKER not in caplog.text
