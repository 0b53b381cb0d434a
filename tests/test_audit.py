"""The audit log is append-only, in the ORM and in the database."""

import pytest
import sqlalchemy as sa

from elicit import audit
from elicit.audit import AuditLogIsAppendOnly
from tests import factories


def test_entries_are_recorded_and_cannot_be_changed_or_deleted(session):
    user = factories.user(session)
    event = audit.record(session, "study.create", actor=user, target="s", details={"k": 1})
    assert event.id and event.at and event.actor_id == user.id and event.details == {"k": 1}
    event.action = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly, match="cannot be changed"):
        session.flush()
    session.rollback()
    event = audit.record(session, "study.create")
    session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly, match="cannot be deleted"):
        session.flush()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'rewritten'",
        "DELETE FROM audit_events",
    ],
)
def test_the_database_itself_refuses_to_rewrite_history(session, statement):
    """SQL that bypasses the ORM (a console, another client) is refused by triggers."""
    audit.record(session, "study.create", target="s")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), session.begin_nested():
        session.execute(sa.text(statement))
    assert session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEvent)) >= 1
