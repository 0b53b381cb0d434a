"""A write that cannot get its lock answers 503 with the typed answers kept; reads take no lock.

Each test builds its own app on its own database (a file for SQLite, a new
database on the PostgreSQL server when ``ELICIT_TEST_DATABASE_URL`` is set)
with a busy timeout of a fifth of a second, because the suite's ``session``
fixture shares one connection, which would hide every lock. The lock is held
by another connection, as another worker's request would hold it: on SQLite
``BEGIN IMMEDIATE`` (the database's write lock), on PostgreSQL a row lock on
the expert, which every submission takes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import flask_migrate
import pytest
import sqlalchemy as sa

from elicit import config
from elicit.extensions import db
from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.panels.models import Expert
from elicit.panels.services import issue_invitation
from elicit.rounds.models import Round
from elicit.rounds.services import create_round, open_round
from elicit.unit_of_work import (
    RETRY_AFTER_SECONDS,
    WriteInReadOnlyRequest,
    lock_for_writing,
    refuse,
    write_transaction,
)
from tests import factories
from tests.conftest import csrf_token, fresh_database, make_app
from tests.test_expert_journey import enter, form

BUSY_TIMEOUT = 0.2
"""Seconds a write waits for the lock here (15 by default)."""


@dataclass(frozen=True)
class Panel:
    """What a test needs of the study: the app, its database URL, ids and an invitation token."""

    app: object
    url: str
    expert_id: int
    question_id: int
    token: str


@pytest.fixture
def panel(tmp_path) -> Iterator[Panel]:
    """An app on a database of its own with a study of one question, round 1 open."""
    with fresh_database(tmp_path) as url:
        app = make_app(url, tmp_path / "instance", DB_BUSY_TIMEOUT=BUSY_TIMEOUT)
        with app.app_context():
            flask_migrate.upgrade()
            session = db.session()
            study = factories.study(session)
            question = factories.question(session, study)
            expert = factories.expert(session, study)
            token = issue_invitation(session, expert)
            open_round(session, create_round(session, study))
            session.commit()
            ids = expert.id, question.id
            db.session.remove()
        try:
            yield Panel(app, url, *ids, token)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@contextmanager
def held_lock(panel: Panel) -> Iterator[None]:
    """Hold, from another connection, the lock an expert's submission needs, until the block ends.

    SQLite: the database's write lock (``BEGIN IMMEDIATE``). PostgreSQL: the
    expert's row, which a submission locks ``FOR UPDATE``.
    """
    url = sa.make_url(panel.url)
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as other:
            other.execute(
                sa.select(Expert.id).where(Expert.id == panel.expert_id).with_for_update()
            )
            yield
            other.rollback()
    finally:
        engine.dispose()


def _stored(panel: Panel) -> tuple[int, int]:
    """How many judgments and drafts the expert has, read afresh."""
    with panel.app.app_context():
        session = db.session()
        counts = [
            session.scalar(
                sa.select(sa.func.count())
                .select_from(model)
                .where(model.expert_id == panel.expert_id)
            )
            for model in (Judgment, JudgmentDraft)
        ]
        db.session.remove()
    return counts[0], counts[1]


@dataclass(frozen=True)
class QuestionRef:
    """What the answer form needs of a question: its id."""

    id: int


def test_a_submission_under_a_held_lock_is_503_with_the_typed_answer_kept(panel):
    client = panel.app.test_client()
    enter(client, panel.token)
    question = QuestionRef(panel.question_id)
    page = client.get("/expert/round")
    sent = form(
        page.text, [question], {question: {"probability": "37.5", "rationale": "Base rates."}}
    )

    with held_lock(panel):
        refused = client.post("/expert/rounds/1/answers", data=sent)
        shown = client.get("/expert/round")

    assert refused.status_code == 503, refused.text[:500]
    assert int(refused.headers["Retry-After"]) == RETRY_AFTER_SECONDS
    assert "could not be saved yet" in refused.text
    assert 'value="37.5"' in refused.text
    assert "Base rates." in refused.text
    assert csrf_token(refused.text)
    assert _stored(panel) == (0, 0)
    # A page that only reads takes no lock: it rendered while the lock was held.
    assert shown.status_code == 200
    assert 'name="action" value="submit"' in shown.text or "Review and submit" in shown.text

    again = client.post(
        "/expert/rounds/1/answers",
        data=form(
            refused.text,
            [question],
            {question: {"probability": "37.5", "rationale": "Base rates."}},
        ),
    )
    assert again.status_code == 302 and again.location.endswith("/expert/rounds/1/receipt")
    assert _stored(panel) == (1, 0)


def test_autosave_under_a_held_lock_is_a_json_503_to_retry(panel):
    client = panel.app.test_client()
    enter(client, panel.token)
    body = {"answers": {str(panel.question_id): {"probability": "40"}}}
    headers = {"X-CSRFToken": csrf_token(client.get("/expert/round").text)}

    with held_lock(panel):
        refused = client.post("/expert/rounds/1/drafts", json=body, headers=headers)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert refused.json["error"]["code"] == "busy"
    assert refused.json["error"]["message"]
    assert _stored(panel) == (0, 0)
    assert client.post("/expert/rounds/1/drafts", json=body, headers=headers).status_code == 200
    assert _stored(panel) == (0, 1)


def test_a_review_submission_under_a_held_lock_shows_the_review_again_with_503(panel):
    client = panel.app.test_client()
    enter(client, panel.token)
    question = QuestionRef(panel.question_id)
    page = client.get("/expert/round")
    saved = client.post(
        "/expert/rounds/1/answers",
        data=form(page.text, [question], {question: {"probability": "60"}}, action="review"),
    )
    assert saved.status_code == 302
    review = client.get("/expert/rounds/1/review")
    digest = review.text.split('name="reviewed" value="')[1].split('"')[0]
    sent = {"csrf_token": csrf_token(review.text), "reviewed": digest}

    with held_lock(panel):
        refused = client.post("/expert/rounds/1/submission", data=sent)

    assert refused.status_code == 503
    assert "Retry-After" in refused.headers
    assert "drafts are kept" in refused.text
    assert 'name="reviewed"' in refused.text
    assert _stored(panel) == (0, 1)
    done = client.post("/expert/rounds/1/submission", data=sent)
    assert done.status_code == 302 and done.location.endswith("/expert/rounds/1/receipt")
    assert _stored(panel) == (1, 0)


def test_a_staff_form_under_a_held_lock_is_a_503_page(panel):
    if sa.make_url(panel.url).get_backend_name() != "sqlite":
        pytest.skip("on PostgreSQL only rows are locked; SQLite's lock is the whole database")
    client = panel.app.test_client()
    login_page = client.get("/login")
    assert login_page.status_code == 200

    with held_lock(panel):
        refused = client.post(
            "/login",
            data={
                "email": "fac@example.org",
                "password": factories.PASSWORD,
                "csrf_token": csrf_token(login_page.text),
            },
        )

    assert refused.status_code == 503, refused.text[:300]
    assert refused.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "very busy" in refused.text


def test_opening_an_invitation_link_records_its_use_in_a_write_of_its_own(panel):
    client = panel.app.test_client()
    assert client.get(f"/invite/{panel.token}").status_code == 302
    with panel.app.app_context():
        expert = db.session.get(Expert, panel.expert_id)
        assert expert.invitations[0].last_used_at is not None
        db.session.remove()
    assert client.get("/expert/").status_code == 200


def test_a_get_that_writes_outside_a_write_transaction_fails_loudly(panel):
    app = panel.app
    with app.test_request_context("/anything"), app.app_context():
        expert = db.session.get(Expert, panel.expert_id)
        expert.pseudonym = "Changed"
        with pytest.raises(WriteInReadOnlyRequest):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(WriteInReadOnlyRequest):
            db.session.execute(sa.update(Expert).values(pseudonym="Bulk"))
        db.session.rollback()
        with write_transaction() as session:
            session.get(Expert, panel.expert_id).pseudonym = "Recorded"
        assert db.session.get(Expert, panel.expert_id).pseudonym == "Recorded"
        db.session.remove()


def test_a_post_writes_without_a_write_transaction(panel):
    with panel.app.test_request_context("/anything", method="POST"), panel.app.app_context():
        expert = db.session.get(Expert, panel.expert_id)
        expert.pseudonym = "Changed"
        db.session.flush()
        db.session.rollback()
        db.session.remove()


def test_an_answer_post_reads_without_the_lock_and_takes_it_to_write(panel):
    """The expert's form post reads in a snapshot, then holds the write lock only to write."""
    app = panel.app
    sqlite = sa.make_url(panel.url).get_backend_name() == "sqlite"
    with app.test_request_context("/expert/rounds/1/answers", method="POST"), app.app_context():
        expert = db.session.get(Expert, panel.expert_id)
        if sqlite:
            other = sqlite3.connect(sa.make_url(panel.url).database, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # nobody holds the write lock while it reads
            other.rollback()
        expert.pseudonym = "Before the lock"
        with pytest.raises(WriteInReadOnlyRequest):
            db.session.flush()
        db.session.rollback()
        db.session.get(Expert, panel.expert_id)
        assert lock_for_writing(db.session()) is sqlite  # a new snapshot only on SQLite
        if sqlite:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("PRAGMA busy_timeout=0")
                other.execute("BEGIN IMMEDIATE")
            other.close()
        db.session.get(Expert, panel.expert_id).pseudonym = "Written"
        db.session.commit()
        assert db.session.get(Expert, panel.expert_id).pseudonym == "Written"
        db.session.remove()


def _second_question(panel: Panel) -> QuestionRef:
    """Add a second question to the panel's study (round 1 asks it too); return it."""
    with panel.app.app_context():
        session = db.session()
        expert = session.get(Expert, panel.expert_id)
        question = factories.question(session, expert.study, key="q2")
        session.commit()
        ref = QuestionRef(question.id)
        db.session.remove()
    return ref


def _committed_while_waiting(monkeypatch, panel: Panel, statement: str, **params) -> None:
    """Make the next answer post find ``statement`` committed once it holds the write lock."""
    from elicit.answering import views

    def commit_then_lock(session) -> bool:
        other = sa.create_engine(panel.url)
        with other.begin() as connection:  # another request, committing while the post waits
            connection.execute(sa.text(statement), params)
        other.dispose()
        return lock_for_writing(session)

    monkeypatch.setattr(views, "lock_for_writing", commit_then_lock)


def _withdrawn_while_waiting(monkeypatch, panel: Panel, question: QuestionRef) -> None:
    """Make the next answer post find ``question`` withdrawn once it holds the write lock."""
    _committed_while_waiting(
        monkeypatch,
        panel,
        "UPDATE questions SET withdrawn_at = :now, withdrawn_reason = 'x' WHERE id = :id",
        now=datetime.now(UTC),
        id=question.id,
    )


def _waits_for_the_lock(panel: Panel) -> None:
    """Skip unless the database makes a post wait between reading its questions and writing."""
    if sa.make_url(panel.url).get_backend_name() != "sqlite":
        pytest.skip("on PostgreSQL taking the write lock waits for nothing: nothing is re-read")


def test_autosave_lists_a_question_withdrawn_while_it_waited_as_closed(panel, monkeypatch):
    _waits_for_the_lock(panel)
    withdrawn = _second_question(panel)
    client = panel.app.test_client()
    enter(client, panel.token)
    headers = {"X-CSRFToken": csrf_token(client.get("/expert/round").text)}
    body = {
        "answers": {
            str(panel.question_id): {"probability": "40"},
            str(withdrawn.id): {"probability": "60"},
        }
    }
    _withdrawn_while_waiting(monkeypatch, panel, withdrawn)

    saved = client.post("/expert/rounds/1/drafts", json=body, headers=headers)

    assert saved.status_code == 200, saved.text
    assert saved.json["saved"] == [str(panel.question_id)]
    assert saved.json["closed"] == [str(withdrawn.id)]
    assert _stored(panel) == (0, 1)


def test_a_form_with_a_question_withdrawn_while_it_waited_shows_what_was_typed(panel, monkeypatch):
    _waits_for_the_lock(panel)
    withdrawn = _second_question(panel)
    client = panel.app.test_client()
    enter(client, panel.token)
    kept = QuestionRef(panel.question_id)
    page = client.get("/expert/round")
    sent = form(
        page.text,
        [kept, withdrawn],
        {kept: {"probability": "40"}, withdrawn: {"probability": "61", "rationale": "Typed."}},
    )
    _withdrawn_while_waiting(monkeypatch, panel, withdrawn)

    refused = client.post("/expert/rounds/1/answers", data=sent)

    assert refused.status_code == 409
    assert "Some questions closed while this page was open" in refused.text
    assert "Typed." in refused.text and "61" in refused.text
    assert _stored(panel) == (0, 0)


def test_a_refused_post_renders_its_page_without_the_write_lock(panel):
    """After :func:`refuse` what the request reads takes no lock, and it can write nothing."""
    app = panel.app
    sqlite = sa.make_url(panel.url).get_backend_name() == "sqlite"
    with app.test_request_context("/anything", method="POST"), app.app_context():
        db.session.get(Expert, panel.expert_id).pseudonym = "Refused"
        db.session.flush()
        refuse()
        expert = db.session.get(Expert, panel.expert_id)  # the refusal page reads
        assert expert.pseudonym != "Refused"
        if sqlite:
            other = sqlite3.connect(sa.make_url(panel.url).database, isolation_level=None)
            other.execute("PRAGMA busy_timeout=0")
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
            other.close()
        expert.pseudonym = "After the refusal"
        with pytest.raises(WriteInReadOnlyRequest):
            db.session.flush()
        db.session.rollback()
        db.session.remove()


def test_an_answer_post_sees_what_was_committed_while_it_read(panel):
    """Taking the write lock ends the read snapshot: a write committed meanwhile is seen."""
    app = panel.app
    with app.test_request_context("/expert/rounds/1/answers", method="POST"), app.app_context():
        count = sa.select(sa.func.count()).select_from(JudgmentDraft)
        assert db.session.scalar(count) == 0
        other = sa.create_engine(panel.url)
        with other.begin() as connection:  # another worker's request, committed meanwhile
            connection.execute(
                sa.insert(JudgmentDraft).values(
                    expert_id=panel.expert_id,
                    question_id=panel.question_id,
                    round_id=connection.scalar(sa.select(sa.func.max(Round.id))),
                    fields={"probability": "40"},
                    updated_at=sa.func.now(),
                )
            )
        other.dispose()
        lock_for_writing(db.session())
        assert db.session.scalar(count) == 1
        db.session.rollback()
        db.session.remove()


def _database_settings(monkeypatch, **values: str) -> dict:
    """Read the pool settings with ``values`` as ``ELICIT_*`` variables (the rest unset)."""
    for name in (
        "WORKERS",
        "THREADS",
        "TIMEOUT",
        "DB_POOL_SIZE",
        "DB_MAX_OVERFLOW",
        "DB_POOL_TIMEOUT",
        "DB_MAX_CONNECTIONS",
        "DB_BUSY_TIMEOUT",
    ):
        monkeypatch.delenv(f"ELICIT_{name}", raising=False)
    for name, value in values.items():
        monkeypatch.setenv(f"ELICIT_{name.upper()}", value)
    return config.database()


def test_the_pool_follows_the_threads_and_fits_the_servers_connections(monkeypatch):
    default = _database_settings(monkeypatch)
    assert default["DB_POOL_SIZE"] <= default["WEB_THREADS"] == config.server()["threads"]
    assert default["WEB_WORKERS"] == config.server()["workers"]
    single = _database_settings(monkeypatch, workers="1", threads="8")
    assert (single["DB_POOL_SIZE"], single["DB_MAX_OVERFLOW"]) == (8, 2)
    assert default["DB_POOL_TIMEOUT"] + default["DB_BUSY_TIMEOUT"] < default["WEB_TIMEOUT"]

    threaded = _database_settings(monkeypatch, workers="4", threads="16")
    assert threaded["DB_POOL_SIZE"] == 16

    crowded = _database_settings(monkeypatch, workers="8", threads="32")
    assert crowded["DB_POOL_SIZE"] == 90 // 8 - 2
    assert 8 * (crowded["DB_POOL_SIZE"] + crowded["DB_MAX_OVERFLOW"]) <= 90

    options = config.engine_options(
        {**threaded, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db"}
    )
    assert options == {
        "hide_parameters": True,
        "pool_size": 16,
        "max_overflow": 2,
        "pool_timeout": 10,
        "pool_pre_ping": True,
    }
    assert config.engine_options({**threaded, "SQLALCHEMY_DATABASE_URI": "sqlite://"}) == {
        "hide_parameters": True
    }


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"workers": "4", "db_pool_size": "30"}, "ELICIT_DB_MAX_CONNECTIONS"),
        ({"db_pool_timeout": "20", "db_busy_timeout": "15"}, "ELICIT_TIMEOUT"),
        ({"threads": "many"}, "ELICIT_THREADS"),
        ({"db_busy_timeout": "-1"}, "ELICIT_DB_BUSY_TIMEOUT"),
    ],
)
def test_pool_settings_that_cannot_work_stop_the_start(monkeypatch, values, named):
    with pytest.raises(ValueError, match=named):
        _database_settings(monkeypatch, **values)


def test_the_busy_timeout_is_the_configured_one(panel):
    with panel.app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        else:
            waited = connection.exec_driver_sql("SHOW lock_timeout").scalar()
        assert str(waited) in {"200", "200ms"}


def test_a_commit_refused_as_busy_is_a_503_not_a_500(panel, monkeypatch):
    """The lock can also fail at the end of a request, as its unit of work commits."""
    from sqlalchemy.orm import Session

    panel.app.config["PROPAGATE_EXCEPTIONS"] = False
    client = panel.app.test_client()
    enter(client, panel.token, consent=False)
    welcome = client.get("/expert/")
    locked = sa.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))

    def refuse_commit(self):
        """Fail the request's commit as a busy database does."""
        raise locked

    monkeypatch.setattr(Session, "commit", refuse_commit)
    refused = client.post(
        "/expert/consent", data={"csrf_token": csrf_token(welcome.text), "agree": "y"}
    )
    monkeypatch.undo()

    assert refused.status_code == 503, refused.text[:300]
    assert refused.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "very busy" in refused.text
    with panel.app.app_context():
        assert db.session.get(Expert, panel.expert_id).consented_at is None
        db.session.remove()


ACCESS_ENDED = {
    "link revoked": "UPDATE invitations SET revoked_at = :now WHERE expert_id = :expert",
    "session ended": "DELETE FROM login_sessions WHERE expert_id = :expert",
}


@pytest.mark.parametrize("ended", ACCESS_ENDED)
def test_a_form_whose_access_ended_while_it_waited_saves_nothing_and_shows_the_typing(
    panel, monkeypatch, ended
):
    """The link revoked, or the session ended, while the post waited for SQLite's lock.

    Read before the lock the post was let in; once it holds the lock it reads
    the session and the link again, and is answered as a post after its
    session ended: 401, what was typed shown back, nothing stored.
    """
    _waits_for_the_lock(panel)
    client = panel.app.test_client()
    enter(client, panel.token)
    kept = QuestionRef(panel.question_id)
    page = client.get("/expert/round")
    sent = form(page.text, [kept], {kept: {"probability": "42", "rationale": "Typed, then."}})
    statement = ACCESS_ENDED[ended]
    _committed_while_waiting(
        monkeypatch, panel, statement, now=datetime.now(UTC), expert=panel.expert_id
    )

    refused = client.post("/expert/rounds/1/answers", data=sent)

    assert refused.status_code == 401
    assert "Typed, then." in refused.text and "42" in refused.text
    assert _stored(panel) == (0, 0)


@pytest.mark.parametrize("ended", ACCESS_ENDED)
def test_an_autosave_whose_access_ended_while_it_waited_saves_nothing(panel, monkeypatch, ended):
    _waits_for_the_lock(panel)
    client = panel.app.test_client()
    enter(client, panel.token)
    headers = {"X-CSRFToken": csrf_token(client.get("/expert/round").text)}
    body = {"answers": {str(panel.question_id): {"probability": "40"}}}
    statement = ACCESS_ENDED[ended]
    _committed_while_waiting(
        monkeypatch, panel, statement, now=datetime.now(UTC), expert=panel.expert_id
    )

    refused = client.post("/expert/rounds/1/drafts", json=body, headers=headers)

    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "session_ended"
    assert _stored(panel) == (0, 0)
