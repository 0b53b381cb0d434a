"""The append-only audit log of what staff did: who, when, to what, with which details.

Services call :func:`record` inside the same transaction as the change they
describe, so an action and its audit entry are committed (or rolled back)
together. Entries are never updated or deleted: the ORM refuses to, with a
clear error, and triggers in the database (migration 0003) refuse any other
client too.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from elicit.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from elicit.accounts.models import User


class AuditEvent(Base):
    """One facilitator or admin action, e.g. ``round.close`` or ``questions.import``."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # No ON DELETE action: a user or study with history cannot be deleted, so the
    # database never rewrites an entry behind the ORM's append-only guard.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    study_id: Mapped[int | None] = mapped_column(sa.ForeignKey("studies.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str] = mapped_column(sa.String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove an audit entry."""


@sa.event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _connection, target: AuditEvent) -> None:  # noqa: ANN001
    """Refuse to rewrite history."""
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be changed")


@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _connection, target: AuditEvent) -> None:  # noqa: ANN001
    """Refuse to erase history."""
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be deleted")


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    study_id: int | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit entry for ``action`` and flush it with the change it describes."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        study_id=study_id,
        target=target,
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event
