"""Stored results of the analysis service, so a round's figures are computed once per change."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from elicit.db import Base, UTCDateTime, utcnow


class RoundPools(Base):
    """A round's pooled forecasts and consensus statistics, as the JSON the pages serve.

    ``change_key`` is a digest of what the figures were computed from (see
    :func:`elicit.analysis.round_pools.change_key`); a request whose key differs
    recomputes and replaces the row.
    """

    __tablename__ = "round_pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), unique=True
    )
    change_key: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[str] = mapped_column(sa.Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
