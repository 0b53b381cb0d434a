"""The audit trail is a hash chain the database protects; judgment revisions are append-only too.

Tampering tests drop a trigger inside the test's transaction (rolled back
with it), change the table behind the application's back, and expect
``elicit audit verify`` to name the entry where the chain breaks.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from elicit import PROJECT_ROOT, audit
from elicit.audit import GENESIS, AuditChainHead, AuditEvent
from elicit.extensions import db
from elicit.judgments.models import JudgmentRevision
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.rounds.services import create_round, open_round
from tests import factories
from tests.conftest import SERVER_URL, fresh_database, make_app


def drop_audit_trigger(session, verb: str) -> None:
    """Drop the trigger refusing ``verb`` on audit_events, for this test's transaction only."""
    if session.bind.dialect.name == "sqlite":
        session.execute(sa.text(f"DROP TRIGGER audit_events_no_{verb.lower()}"))
    else:
        session.execute(sa.text("DROP TRIGGER audit_events_append_only ON audit_events"))


def three_entries(session) -> list[AuditEvent]:
    user = factories.user(session)
    return [
        audit.record(session, "study.create", actor=user, target="a", details={"n": 1}),
        audit.record(session, "round.open", actor=user, target="round 1", details={"n": 2.5}),
        audit.record(session, "round.close", target="round 1", details={"keys": ["q1", "q2"]}),
    ]


def test_each_entry_links_to_the_one_before_and_the_head_names_the_newest(session):
    first, second, third = three_entries(session)
    assert (second.seq, third.seq) == (first.seq + 1, first.seq + 2)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    head = session.get(AuditChainHead, 1)
    session.refresh(head)
    assert (head.seq, head.hash) == (third.seq, third.hash)
    verdict = audit.verify(session)
    assert verdict.ok and verdict.head == third.hash and verdict.checked >= 3


def test_the_hash_covers_the_stored_content(session):
    """Recomputed from the row as read back, the hash is the one recorded."""
    event = audit.record(session, "x.y", target="t", details={2: (1, 2), "a": {"b": None}})
    session.expire_all()
    stored = session.get(AuditEvent, event.id)
    assert stored.details == {"2": [1, 2], "a": {"b": None}}
    assert audit.content_hash(stored) == stored.hash


def test_a_changed_entry_is_named_by_verify(session, runner):
    first, second, third = three_entries(session)
    drop_audit_trigger(session, "UPDATE")
    session.execute(
        sa.text("UPDATE audit_events SET details = :d WHERE id = :id"),
        {"d": '{"n": 3}', "id": second.id},
    )
    verdict = audit.verify(session)
    assert not verdict.ok and verdict.broken_id == second.id
    assert "content does not match its hash" in verdict.reason
    assert verdict.head == first.hash
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at audit entry {second.id}: its content does not match" in result.stderr


def test_a_rehashed_entry_breaks_the_link_of_the_next(session):
    """Rewriting an entry and its hash still breaks the chain at the entry after it."""
    first, second, third = three_entries(session)
    drop_audit_trigger(session, "UPDATE")
    session.execute(
        sa.text("UPDATE audit_events SET target = 'forged', hash = :h WHERE id = :id"),
        {"h": "f" * 64, "id": second.id},
    )
    session.expire_all()
    forged = session.get(AuditEvent, second.id)
    fixed = audit.content_hash(forged)
    session.execute(
        sa.text("UPDATE audit_events SET hash = :h WHERE id = :id"), {"h": fixed, "id": second.id}
    )
    verdict = audit.verify(session)
    assert verdict.broken_id == third.id
    assert "link to the entry before it" in verdict.reason


def test_a_removed_entry_is_noticed_at_the_next(session):
    first, second, third = three_entries(session)
    drop_audit_trigger(session, "DELETE")
    session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": second.id})
    verdict = audit.verify(session)
    assert verdict.broken_id == third.id and "expected" in verdict.reason


def test_removing_the_newest_entries_is_noticed_by_the_head(session, runner):
    first, second, third = three_entries(session)
    drop_audit_trigger(session, "DELETE")
    session.execute(sa.text("DELETE FROM audit_events WHERE id >= :id"), {"id": second.id})
    verdict = audit.verify(session)
    assert verdict.broken_id is None and "newest entries were removed" in verdict.reason
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "BROKEN at the head" in result.stderr


def test_an_unchanged_chain_verifies(session, runner):
    three_entries(session)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.stderr
    assert result.output.startswith("OK: ") and "every link sound" in result.output


def test_the_head_never_moves_back_nor_goes_away(session):
    three_entries(session)
    with pytest.raises(sa.exc.DatabaseError, match="only moves forward"), session.begin_nested():
        session.execute(sa.text("UPDATE audit_chain_head SET seq = seq - 1"))
    with pytest.raises(sa.exc.DatabaseError, match="only moves forward"), session.begin_nested():
        session.execute(sa.text("DELETE FROM audit_chain_head"))


def test_a_fork_is_refused_by_the_database(session):
    """Two entries can never follow the same one: ``prev_hash`` is unique."""
    _, second, _ = three_entries(session)
    twin = AuditEvent(
        seq=10**9,
        prev_hash=second.prev_hash,
        hash="e" * 64,
        at=dt.datetime.now(dt.UTC),
        action="fork",
        target="",
        details={},
    )
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.add(twin)
        session.flush()


@pytest.fixture
def revision(session):
    study = factories.study(session)
    expert = factories.expert(session, study)
    question = factories.question(session, study)
    round_ = create_round(session, study)
    open_round(session, round_)
    judgment = record_judgment(session, expert, question, round_, Answer(probability=0.3))
    return judgment.revisions[0]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE judgment_revisions SET probability = 0.9", "DELETE FROM judgment_revisions"],
)
def test_the_database_refuses_to_rewrite_judgment_revisions(session, revision, statement):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), session.begin_nested():
        session.execute(sa.text(statement))
    session.expire_all()
    assert session.get(JudgmentRevision, revision.id).probability == 0.3


@pytest.mark.parametrize("table", ["audit_events", "judgment_revisions", "audit_chain_head"])
def test_postgresql_refuses_truncate(session, table):
    if session.bind.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has none (DELETE is refused instead)")
    with pytest.raises(sa.exc.DatabaseError), session.begin_nested():
        session.execute(sa.text(f"TRUNCATE {table} CASCADE"))


@pytest.fixture
def own_database(tmp_path):
    """An app on a database of its own, for work committed from several connections."""
    with fresh_database(tmp_path) as url:
        application = make_app(url, tmp_path)
        with application.app_context():
            flask_migrate.upgrade()
            yield application
            db.engine.dispose()


def test_concurrent_writers_never_fork_the_chain(own_database):
    """Writers on their own connections append at once; the chain stays one line."""
    writers, each = 6, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        with own_database.app_context():
            try:
                barrier.wait()
                for index in range(each):
                    with Session(db.engine) as session, session.begin():
                        audit.record(session, "test.write", target=f"{number}/{index}")
            except BaseException as error:  # noqa: BLE001 (reported below)
                errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(db.engine) as session:
        verdict = audit.verify(session)
        seqs = session.scalars(sa.select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert verdict.ok, verdict.reason
    assert seqs == list(range(1, writers * each + 1))


def test_the_migration_chains_existing_entries_and_takes_emails_out(tmp_path):
    """Entries written before the chain existed are hashed by migration 0012, in id order."""
    with fresh_database(tmp_path) as url:
        application = make_app(url, tmp_path)
        with application.app_context():
            flask_migrate.upgrade(revision="0009")
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO users (email, name, role, password_hash, active, created_at) "
                        "VALUES ('ann@example.org', 'Ann', 'admin', 'x', true, :at)"
                    ),
                    {"at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)},
                )
                for minute, (action, target) in enumerate(
                    [("user.create", "ann@example.org"), ("round.open", "round 1")]
                ):
                    connection.execute(
                        sa.text(
                            "INSERT INTO audit_events (at, action, target, details) "
                            "VALUES (:at, :action, :target, :details)"
                        ),
                        {
                            "at": dt.datetime(2026, 12, 1, 10, minute, 0, 123456, tzinfo=dt.UTC),
                            "action": action,
                            "target": target,
                            "details": '{"b": 1, "a": [1.5, "z"]}',
                        },
                    )
            flask_migrate.upgrade()
            with Session(db.engine) as session:
                verdict = audit.verify(session)
                events = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
                assert verdict.ok and verdict.checked == 2, verdict.reason
                assert events[0].prev_hash == GENESIS
                assert (events[0].target, events[0].target_user_id) == ("", 1)
                assert events[1].target == "round 1"
                audit.record(session, "round.close", target="round 1")
                session.commit()
                assert audit.verify(session).checked == 3
            db.engine.dispose()


def readme_grants() -> list[str]:
    """The statements of the README's "A database role that cannot rewrite history"."""
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text[text.index("#### A database role that cannot rewrite history") :]
    start = section.index("```sql\n") + len("```sql\n")
    block = section[start : section.index("```", start)]
    return [statement.strip() for statement in block.split(";") if statement.strip()]


def test_the_readme_role_may_record_and_read_but_not_rewrite_history(tmp_path):
    """The README's GRANTs, run as written: the app's role cannot change the protected tables."""
    if not SERVER_URL:
        pytest.skip("roles are PostgreSQL's: set ELICIT_TEST_DATABASE_URL to run this")
    role = f"elicit_app_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with fresh_database(tmp_path) as url:
            application = make_app(url, tmp_path)
            with application.app_context():
                flask_migrate.upgrade()
                database = db.engine.url.database
                with db.engine.begin() as connection:
                    for statement in readme_grants():
                        statement = statement.replace("elicit_app", f'"{role}"')
                        statement = statement.replace("DATABASE elicit ", f'DATABASE "{database}" ')
                        connection.exec_driver_sql(statement)
                with Session(db.engine) as session:
                    session.execute(sa.text(f'SET LOCAL ROLE "{role}"'))
                    event = audit.record(session, "as.app", target="t")
                    assert session.scalar(sa.select(AuditEvent.id).where(AuditEvent.id == event.id))
                    for statement in (
                        "UPDATE audit_events SET action = 'rewritten'",
                        "DELETE FROM audit_events",
                        "TRUNCATE audit_events",
                        "UPDATE judgment_revisions SET probability = 0",
                        "DELETE FROM judgment_revisions",
                        "DELETE FROM audit_chain_head",
                    ):
                        with (
                            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
                            session.begin_nested(),
                        ):
                            session.execute(sa.text(statement))
                    assert audit.verify(session).ok
                    session.rollback()
                db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()
