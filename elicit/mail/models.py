"""The outbox: every e-mail to an expert, written in the transaction of the action that sends it.

A message is written ``queued`` together with the invitation or reminder it
carries, so either both exist or neither does. The sender
(:mod:`elicit.mail.sender`) claims it (``sending``), delivers it and records
``sent`` or ``failed`` with the SMTP error. The link in a message's body is a
working invitation token: once the message is sent, or given up, it is erased
from the stored body (``body_erased_at`` says when), so tokens never stay in
the database.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from elicit.db import Base, UTCDateTime, checked_enum, utcnow


class MessageKind(enum.StrEnum):
    """What a message is for."""

    INVITATION = "invitation"
    REMINDER = "reminder"
    PASSWORD_RESET = "password_reset"
    """To a staff user (``user_id``), not to an expert of a study."""


class MessageState(enum.StrEnum):
    """Where a message is on its way out."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """One e-mail to one expert of a study (or to one staff user), from queued to sent or failed.

    ``attempts`` counts delivery attempts; ``error`` keeps the last one's
    SMTP error, empty if none failed.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint(
            "(expert_id IS NOT NULL AND study_id IS NOT NULL AND user_id IS NULL) OR "
            "(expert_id IS NULL AND study_id IS NULL AND user_id IS NOT NULL)",
            name="to_an_expert_or_a_user",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("studies.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[MessageKind] = mapped_column(checked_enum(MessageKind, "kind"))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    body_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[MessageState] = mapped_column(
        checked_enum(MessageState, "state"), default=MessageState.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
