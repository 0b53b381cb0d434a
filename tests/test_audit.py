"""The audit log is append-only."""

import pytest

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
