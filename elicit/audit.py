"""The append-only audit log of what staff did: who, when, to what, with which details.

Services call :func:`record` inside the same transaction as the change they
describe, so an action and its audit entry are committed (or rolled back)
together. Entries are never updated or deleted: the ORM refuses to, with a
clear error, and triggers in the database (migrations 0003 and 0012) refuse
any other client too.

The hash chain
--------------
Each entry stores its place in the chain (``seq``, 1, 2, 3, ...), the hash of
the entry before it (``prev_hash``; 64 zeros for the first) and its own
``hash``: the SHA-256 of its canonical content (:func:`canonical`), which
includes ``prev_hash``. Changing, removing or inserting an entry by any means,
triggers dropped, breaks a link that :func:`verify` finds. The one-row table
``audit_chain_head`` holds the newest ``seq`` and ``hash``; :func:`record`
updates it first, which takes its row lock on PostgreSQL (and the write lock
on SQLite), so concurrent writers queue there and the chain never forks (the
unique ``prev_hash`` refuses a fork besides). The head also shows when the
newest entries were cut off. Someone able to rewrite the whole table and the
head together can recompute every hash, so the head hash :func:`verify`
reports is worth writing down elsewhere from time to time: a later head must
descend from it.

Personal data stay outside: an event about a staff account refers to it by
``target_user_id`` (the pages show its current e-mail), and experts appear by
pseudonym only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, make_transient_to_detached, mapped_column

from elicit.db import Base, UTCDateTime, table_of, utcnow

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
    target_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry: there is none before it."""


class AuditChainHead(Base):
    """The newest entry's place in the chain and hash: one row, locked by each append."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(sa.String(64))


_HEAD = table_of(AuditChainHead)
_ADVANCE_HEAD = (
    sa.update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + 1)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
"""Take the head's lock and the next place in the chain; return that place and the newest hash.

Built once, on the table: every audited write runs it, and building it (or
running it through the ORM's bulk update) cost more than the database's work.
"""
_SET_HEAD_HASH = sa.update(_HEAD).where(_HEAD.c.id == 1).values(hash=sa.bindparam("new_hash"))
"""Make the appended entry's hash (``new_hash``) the newest."""

_EVENTS = table_of(AuditEvent)
_COLUMNS = (
    "at",
    "actor_id",
    "study_id",
    "action",
    "target",
    "target_user_id",
    "details",
    "seq",
    "prev_hash",
    "hash",
)
"""What an entry stores, besides its id."""
_INSERT_EVENT = (
    sa.insert(_EVENTS)
    .values({name: sa.bindparam(f"event_{name}", type_=_EVENTS.c[name].type) for name in _COLUMNS})
    .returning(_EVENTS.c.id)
)
"""Insert an entry (each of :data:`_COLUMNS` as parameter ``event_<name>``); return its id."""
_appended = _INSERT_EVENT.cte("appended")
_INSERT_EVENT_SET_HEAD = (
    sa.update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(hash=sa.bindparam("new_hash"))
    .returning(sa.select(_appended.c.id).scalar_subquery())
)
"""PostgreSQL's :data:`_INSERT_EVENT` and :data:`_SET_HEAD_HASH` in one statement."""


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


def canonical(event: AuditEvent) -> bytes:
    """Return the bytes an entry's hash covers: every column but ``id`` and ``hash``, as JSON.

    Keys sorted, no spaces, UTF-8, the time in UTC with microseconds. This form
    is frozen: migration 0012 hashed the entries before it with a copy of it.
    """
    content = {
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "study_id": event.study_id,
        "action": event.action,
        "target": event.target,
        "target_user_id": event.target_user_id,
        "details": event.details,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(event: AuditEvent) -> str:
    """Return the SHA-256 (hex) of ``event``'s :func:`canonical` content."""
    return hashlib.sha256(canonical(event)).hexdigest()


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    study_id: int | None = None,
    target: str = "",
    target_user: User | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit entry for ``action`` to the chain and flush it with the change it describes.

    A staff account the action is about is ``target_user``, kept by reference
    so that no e-mail address is written into the log.
    """
    if target_user is not None and target_user.id is None:
        session.flush()
    event = AuditEvent(
        at=utcnow(),
        action=action,
        actor_id=actor.id if actor is not None else None,
        study_id=study_id,
        target=target,
        target_user_id=target_user.id if target_user is not None else None,
        details=details or {},
    )
    return append(session, event)


def append(session: Session, event: AuditEvent) -> AuditEvent:
    """Chain ``event`` (its content and ``at`` set by the caller) onto the log and flush it.

    :func:`record` is the way services append; this is the step that gives an
    entry its place, its link and its hash under the head's lock. ``details``
    are stored as JSON reads them back (string keys, lists), so the hash
    computed here is the one :func:`verify` computes from the stored row.
    The entry is written as a table row (on PostgreSQL in the same statement
    as the head's new hash) and then joins the session as the persistent
    object it describes: flushing it through the ORM cost a submission more
    than the database's work.
    """
    head = session.execute(_ADVANCE_HEAD).one_or_none()
    if head is None:
        raise RuntimeError("the audit chain has no head row: run `elicit db upgrade`")
    event.seq, event.prev_hash = head
    if event.at is None:
        event.at = utcnow()
    event.details = json.loads(json.dumps(event.details or {}))
    if event.target is None:
        event.target = ""
    event.hash = content_hash(event)
    row = {f"event_{name}": getattr(event, name) for name in _COLUMNS}
    if session.get_bind().dialect.name == "postgresql":
        event.id = session.execute(
            _INSERT_EVENT_SET_HEAD, {**row, "new_hash": event.hash}
        ).scalar_one()
    else:
        event.id = session.execute(_INSERT_EVENT, row).scalar_one()
        session.execute(_SET_HEAD_HASH, {"new_hash": event.hash})
    make_transient_to_detached(event)
    session.add(event)
    return event


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: every link sound, or the first broken one.

    Attributes
    ----------
    checked : int
        Entries whose links were checked before the first broken one (all if none).
    head : str
        The hash of the newest entry checked (``GENESIS`` if none).
    broken_id : int or None
        The id of the first entry whose link is broken; ``None`` if all are
        sound, and also when the chain is whole but its newest entries are gone.
    reason : str
        Why the link is broken; empty if none is.
    """

    checked: int
    head: str
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether every link is sound."""
        return not self.reason


def verify(session: Session, *, batch: int = 1000) -> Verdict:
    """Walk the chain in ``seq`` order and return the first broken link, if any.

    A link is broken when an entry's ``seq`` does not follow the one before
    (an entry removed), its ``prev_hash`` is not that entry's hash (an entry
    before it removed or rewritten), or its content does not hash to its
    ``hash`` (the entry itself changed). At the end, the head must name the
    newest entry (otherwise the newest entries were removed). Rows are read
    as stored, whatever the session already holds.
    """
    expected_seq, expected_prev, checked = 1, GENESIS, 0
    query = (
        sa.select(AuditEvent)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch, populate_existing=True)
    )
    for event in session.scalars(query):
        reason = ""
        if event.seq != expected_seq:
            reason = f"its place in the chain is {event.seq}, expected {expected_seq}"
        elif event.prev_hash != expected_prev:
            reason = "its link to the entry before it does not match that entry's hash"
        elif content_hash(event) != event.hash:
            reason = "its content does not match its hash: the entry was changed"
        if reason:
            return Verdict(checked, expected_prev, event.id, reason)
        expected_seq, expected_prev, checked = event.seq + 1, event.hash, checked + 1
    head = session.execute(
        sa.select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)
    ).one_or_none()
    if head is None:
        return Verdict(checked, expected_prev, None, "the chain's head row is missing")
    if (head.seq, head.hash) != (checked, expected_prev):
        return Verdict(
            checked,
            expected_prev,
            None,
            f"the head names entry {head.seq} but the chain ends at {checked}: "
            "the newest entries were removed",
        )
    return Verdict(checked, expected_prev)
