"""The declarative base and the column types every model shares.

This module imports SQLAlchemy only: models build on it, and the extensions
(:mod:`elicit.extensions`) build on models, never the other way round. Where
work is committed is :mod:`elicit.unit_of_work`.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names (needed by Alembic on SQLite)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no time zone, so naive values read from it are marked UTC;
    naive values written are refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Convert an aware datetime to UTC before storing it."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Mark a value read back as UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def checked_enum(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """Store ``enum_class`` by value as a string column with a CHECK constraint named ``name``."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def table_of(model: type[Base]) -> sa.Table:
    """Return ``model``'s table, for statements on rows rather than objects.

    The same object as ``model.__table__``, typed as the table it is.
    """
    return cast(sa.Table, model.__table__)


def upsert(session: Session, model: type[Base]) -> Any:
    """Return an ``INSERT`` into ``model``'s table that can update a row instead.

    Both SQLite and PostgreSQL take ``INSERT ... ON CONFLICT (key) DO UPDATE``,
    but through their own dialect's construct: the statement returned has
    ``on_conflict_do_update`` and ``excluded`` (the row that was to be inserted).
    It inserts into the table, not the mapped class: run with many rows, the
    ORM's bulk insert costs more per row than the table's.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table_of(model))
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table_of(model))
