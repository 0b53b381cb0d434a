"""A submission racing a close has exactly one outcome, with real concurrent requests.

Each test builds its own app on its own database (a file for SQLite, a new
database on the PostgreSQL server when ``ELICIT_TEST_DATABASE_URL`` is set),
because the suite's ``session`` fixture shares one connection, which would
serialise everything. Experts submit from their own threads, each through its
own client and so its own connection, while the facilitator closes the round;
a barrier starts them together. Every submission must be either stored in the
round, before its closing was recorded, or refused with the typed answer
still on the page; nothing half-way, and never a server error.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit.extensions import db
from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.panels.models import Expert
from elicit.panels.services import issue_invitation
from elicit.rounds.models import Round, RoundState
from elicit.rounds.services import close_round, create_round, hold_round, open_round, takes_answers
from tests import factories
from tests.conftest import csrf_token, fresh_database, login, make_app
from tests.test_expert_journey import enter, form

EXPERTS = 6
CLOSE_DELAYS = (0.0, 0.002, 0.005, 0.01, 0.03)
"""How long the close waits after the start, race by race, so it lands before, among and
after the submissions on a fast or a slow machine (which one each meets is up to the
scheduler; the outcome must be whole either way)."""
RACES = len(CLOSE_DELAYS)


@pytest.fixture
def race_app(tmp_path):
    """An app on a database of its own, at the migrations' head."""
    with fresh_database(tmp_path) as url:
        app = make_app(url, tmp_path / "instance")
        with app.app_context():
            flask_migrate.upgrade()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@dataclass(frozen=True)
class QuestionRef:
    """What the answer form needs of a question: its id (read outside any app context)."""

    id: int


@dataclass
class Entrant:
    """One expert in the race: their client, and the value they type."""

    pseudonym: str
    client: object
    typed: str


def _setup(app) -> tuple[int, int, list[Entrant], object]:
    """Create a study of one question and the panel, open round 1; sign everyone in."""
    with app.app_context():
        session = db.session()
        study = factories.study(session)
        question = factories.question(session, study)
        tokens = {}
        for index in range(EXPERTS):
            expert = factories.expert(session, study, f"E{index}")
            tokens[expert.pseudonym] = issue_invitation(session, expert)
        open_round(session, create_round(session, study))
        session.commit()
        study_id, question_id = study.id, question.id
    entrants = []
    for index, (pseudonym, token) in enumerate(sorted(tokens.items())):
        client = app.test_client()
        enter(client, token)
        entrants.append(Entrant(pseudonym, client, f"{11 + index}.5"))
    facilitator = app.test_client()
    login(facilitator, "fac@example.org", factories.PASSWORD)
    return study_id, question_id, entrants, facilitator


def _race(app, number: int, question_id: int, entrants: list[Entrant], facilitator):
    """Submit every expert's answer and close round ``number`` at once; return the responses.

    Requests are sent outside any app context, so each runs in its own, as in production.
    """
    question = QuestionRef(question_id)
    forms = {}
    for entrant in entrants:
        page = entrant.client.get("/expert/round")
        assert page.status_code == 200, page.text
        forms[entrant.pseudonym] = form(
            page.text, [question], {question: {"probability": entrant.typed}}
        )
    close_url = f"/facilitate/studies/study/rounds/{number}/close"
    close_form = {"csrf_token": csrf_token(facilitator.get(close_url).text)}
    barrier = threading.Barrier(len(entrants) + 1)
    responses: dict[str, tuple[int, str, str]] = {}
    errors: list[BaseException] = []

    def send(name, client, url, data, delay=0.0):
        """Wait for the others (and ``delay`` seconds more), then send one request."""
        try:
            barrier.wait(timeout=30)
            time.sleep(delay)
            response = client.post(url, data=data)
            responses[name] = (response.status_code, response.location or "", response.text)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [
        threading.Thread(
            target=send,
            args=(
                e.pseudonym,
                e.client,
                f"/expert/rounds/{number}/answers",
                forms[e.pseudonym],
            ),
        )
        for e in entrants
    ]
    threads.append(
        threading.Thread(
            target=send,
            args=("close", facilitator, close_url, close_form, CLOSE_DELAYS[number - 1]),
        )
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return responses


def test_each_submission_racing_a_close_is_stored_or_refused_with_the_answer_kept(race_app):
    study_id, question_id, entrants, facilitator = _setup(race_app)
    outcomes = {"stored": 0, "refused": 0}
    for number in range(1, RACES + 1):
        responses = _race(race_app, number, question_id, entrants, facilitator)
        status, location, _ = responses.pop("close")
        assert status == 302 and location.endswith("/facilitate/studies/study"), status

        with race_app.app_context():
            session = db.session()
            round_ = session.scalar(
                sa.select(Round).where(Round.study_id == study_id, Round.number == number)
            )
            assert round_.state is RoundState.CLOSED
            stored = {
                pseudonym: (probability, updated_at)
                for pseudonym, probability, updated_at in session.execute(
                    sa.select(Expert.pseudonym, Judgment.probability, Judgment.updated_at)
                    .join(Judgment, Judgment.expert_id == Expert.id)
                    .where(Judgment.round_id == round_.id)
                )
            }
            drafts = session.scalar(
                sa.select(sa.func.count())
                .select_from(JudgmentDraft)
                .where(JudgmentDraft.round_id == round_.id)
            )
            for entrant in entrants:
                status, location, text = responses[entrant.pseudonym]
                if status == 302:
                    assert location.endswith(f"/expert/rounds/{number}/receipt")
                    probability, updated_at = stored[entrant.pseudonym]
                    assert probability == pytest.approx(float(entrant.typed) / 100)
                    assert updated_at <= round_.closed_at
                    outcomes["stored"] += 1
                else:
                    assert status == 409, (status, text[:500])
                    assert f"Round {number} has closed, so answers can no longer be saved" in text
                    assert f'value="{entrant.typed}"' in text
                    assert entrant.pseudonym not in stored
                    outcomes["refused"] += 1
            assert len(stored) == sum(responses[e.pseudonym][0] == 302 for e in entrants), (
                "a judgment was stored for a refused submission"
            )
            assert drafts == 0
            if number < RACES:
                open_round(session, create_round(session, round_.study))
                session.commit()
            db.session.remove()
    assert outcomes["stored"] + outcomes["refused"] == EXPERTS * RACES


def _impatient(connection: sa.Connection) -> Session:
    """A session on ``connection`` that gives up on a lock after a fifth of a second."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET lock_timeout = '200ms'")
        connection.commit()
    else:
        connection.connection.driver_connection.execute("PRAGMA busy_timeout = 200")
    return Session(bind=connection)


def test_a_close_waits_for_a_submission_that_holds_the_round(race_app):
    """The lock, step by step: while a writer of answers holds the round, no close can start."""
    with race_app.app_context():
        session = db.session()
        study = factories.study(session)
        factories.expert(session, study)
        round_id = open_round(session, create_round(session, study)).id
        session.commit()
        db.session.remove()

        with (
            Session(db.engine) as submitting,
            db.engine.connect() as connection,
            _impatient(connection) as closing,
        ):
            held = submitting.get(Round, round_id)
            hold_round(submitting, held)
            assert takes_answers(submitting, held)
            with pytest.raises(sa.exc.OperationalError):
                close_round(closing, closing.get(Round, round_id))
            closing.rollback()
            submitting.commit()

            close_round(closing, closing.get(Round, round_id))
            closing.commit()
            later = submitting.get(Round, round_id)
            hold_round(submitting, later)
            assert later.state is RoundState.CLOSED and not takes_answers(submitting, later)
            submitting.rollback()


def test_a_writer_holds_the_round_read_afresh_and_locks_its_expert(race_app):
    """``hold_round(..., writer=...)``: the round as it is now, held; the expert's row locked.

    The round's object was loaded before another session closed the round, so
    holding it must load its state again. On PostgreSQL the same statement
    locks the expert's row, so another write of that expert waits (here, gives
    up); SQLite's writers are serialised by ``BEGIN IMMEDIATE`` instead.
    """
    with race_app.app_context():
        session = db.session()
        study = factories.study(session)
        expert_id = factories.expert(session, study).id
        round_id = open_round(session, create_round(session, study)).id
        session.commit()
        db.session.remove()

        with (
            Session(db.engine, expire_on_commit=False) as submitting,
            db.engine.connect() as connection,
            _impatient(connection) as other,
        ):
            held = submitting.get(Round, round_id)
            submitting.commit()
            close_round(other, other.get(Round, round_id))
            other.commit()
            assert held.state is RoundState.OPEN
            hold_round(submitting, held, writer=expert_id)
            assert held.state is RoundState.CLOSED and not takes_answers(submitting, held)
            if connection.dialect.name == "postgresql":
                with pytest.raises(sa.exc.OperationalError):
                    other.execute(
                        sa.select(Expert.id).where(Expert.id == expert_id).with_for_update()
                    )
                other.rollback()
            submitting.rollback()
