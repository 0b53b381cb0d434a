"""Reading the audit trail: one study's events, or the events of no study, filtered and paged.

:mod:`elicit.audit` only appends; this module reads what it holds, for the
audit pages and their CSV download. Every page and the download ask
:func:`page` or :func:`entries` with the same :class:`Filters`, so what is
downloaded is exactly what the page lists, all pages together.

The scope is a study's id, or ``None`` for the events that belong to no study
(staff accounts and the like), which only admins see.

The CSV download
----------------
Columns ``at`` (ISO 8601, UTC), ``actor_email``, ``actor_name`` (empty for an
event no staff member caused), ``action`` (the code, such as ``round.close``),
``target`` and ``details`` (JSON, keys sorted), newest event first; written by
the offline commands' CSV writer (:func:`elicit.analysis.results.write`).

Targets and details hold text staff and experts typed, and a spreadsheet
would run a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return, which some spreadsheets skip before looking) as a formula.
Such a cell is written with a single quote (``'``) in front, which
spreadsheets show as text and do not run: ``=HYPERLINK(...)`` is written
``'=HYPERLINK(...)``. Whoever reads the file by program should strip one
leading quote from a cell whose next character is one of those.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from elicit.accounts.models import User
from elicit.audit import AuditEvent

PAGE_SIZE = 100
"""Events listed on one page of an audit trail."""

SYSTEM: Literal["system"] = "system"
"""The ``who`` of :class:`Filters` that asks for events no staff member caused."""

CSV_COLUMNS = ("at", "actor_email", "actor_name", "action", "target", "details")
"""The download's columns, in order (see the module docstring)."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet would run as a formula begins (see the module docstring)."""


@dataclass(frozen=True)
class Filters:
    """Which events of a scope to list; each filter left ``None`` lets every event through.

    Attributes
    ----------
    action : str or None
        Only events with this action code.
    who : int, ``"system"`` or None
        Only events of this staff member (a user id), or of none (:data:`SYSTEM`).
    since, until : datetime or None
        Only events at or after ``since`` and before ``until`` (aware
        datetimes; see :func:`day_bounds`).
    """

    action: str | None = None
    who: int | Literal["system"] | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class Entry:
    """One event as the audit pages show it, with its staff member's name and e-mail."""

    id: int
    at: dt.datetime
    action: str
    target: str
    details: dict[str, Any]
    actor_name: str | None
    actor_email: str | None


@dataclass(frozen=True)
class Actor:
    """A choice of the "who" filter: a staff member who acted in the scope, or none (id None)."""

    id: int | None
    name: str | None
    email: str | None


@dataclass(frozen=True)
class Page:
    """One page of the events :class:`Filters` let through, newest first.

    ``number`` counts from 1; a number beyond :attr:`pages` has no entries.
    """

    entries: list[Entry]
    total: int
    number: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        """How many pages the events fill (1 when there are none)."""
        return max(1, math.ceil(self.total / self.size))


def day_bounds(
    first: dt.date | None, last: dt.date | None, zone: dt.tzinfo
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Return the moments from the start of day ``first`` to the end of day ``last`` in ``zone``.

    The audit pages show times in a time zone (the study's), so a filter "from
    7 March to 9 March" means those days there. The second moment is the start
    of the day after ``last`` (events before it pass). A day too close to the
    calendar's ends to be a moment in UTC gives ``None``: no event is outside it.
    """

    def start_of(day: dt.date) -> dt.datetime | None:
        try:
            return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.UTC)
        except OverflowError:
            return None

    since = start_of(first) if first is not None else None
    until = None
    if last is not None and last < dt.date.max:
        until = start_of(last + dt.timedelta(days=1))
    return since, until


def _in_scope(study_id: int | None) -> sa.ColumnElement[bool]:
    """Return the condition "the event belongs to study ``study_id``" (to none if ``None``)."""
    if study_id is None:
        return AuditEvent.study_id.is_(None)
    return AuditEvent.study_id == study_id


def _conditions(study_id: int | None, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """Return the conditions an event of the scope must meet to pass ``filters``."""
    conditions = [_in_scope(study_id)]
    if filters.action is not None:
        conditions.append(AuditEvent.action == filters.action)
    if filters.who == SYSTEM:
        conditions.append(AuditEvent.actor_id.is_(None))
    elif filters.who is not None:
        conditions.append(AuditEvent.actor_id == filters.who)
    if filters.since is not None:
        conditions.append(AuditEvent.at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEvent.at < filters.until)
    return conditions


def entries(
    session: Session,
    study_id: int | None,
    filters: Filters,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[Entry]:
    """Return the events of the scope that pass ``filters``, newest first (all, or a slice).

    An event about a staff account names it by reference (``target_user_id``);
    its target is shown as that account's e-mail address.
    """
    subject = aliased(User)
    query = (
        sa.select(AuditEvent, User.name, User.email, subject.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(subject, subject.id == AuditEvent.target_user_id)
        .where(*_conditions(study_id, filters))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        Entry(
            id=event.id,
            at=event.at,
            action=event.action,
            target=subject_email if event.target_user_id is not None else event.target,
            details=event.details or {},
            actor_name=name,
            actor_email=email,
        )
        for event, name, email, subject_email in session.execute(query)
    ]


def page(
    session: Session, study_id: int | None, filters: Filters, number: int, size: int = PAGE_SIZE
) -> Page:
    """Return page ``number`` (from 1) of the events of the scope that pass ``filters``.

    A page beyond the last is returned empty without asking for its events, so
    a huge ``number`` never reaches the database as an offset.
    """
    total = session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(*_conditions(study_id, filters))
    )
    shown = Page(entries=[], total=total or 0, number=number, size=size)
    if number > shown.pages:
        return shown
    listed = entries(session, study_id, filters, limit=size, offset=(number - 1) * size)
    return Page(entries=listed, total=shown.total, number=number, size=size)


def actions(session: Session, study_id: int | None) -> list[str]:
    """Return the action codes the scope's events have, sorted: the choices of the action filter."""
    return list(
        session.scalars(
            sa.select(AuditEvent.action)
            .where(_in_scope(study_id))
            .distinct()
            .order_by(AuditEvent.action)
        )
    )


def actors(session: Session, study_id: int | None) -> list[Actor]:
    """Return who caused the scope's events, by name: the choices of the "who" filter.

    An event no staff member caused is there as ``Actor(None, None, None)``, first.
    """
    rows = session.execute(
        sa.select(AuditEvent.actor_id, User.name, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(_in_scope(study_id))
        .distinct()
    ).all()
    return sorted(
        (Actor(actor_id, name, email) for actor_id, name, email in rows),
        key=lambda actor: (actor.id is not None, actor.name or "", actor.email or ""),
    )


def spreadsheet_safe(text: str) -> str:
    """Return ``text`` as a cell no spreadsheet runs as a formula (see the module docstring).

    >>> spreadsheet_safe("=1+2"), spreadsheet_safe("round 1")
    ("'=1+2", 'round 1')
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(listed: list[Entry]) -> str:
    """Return ``listed`` as the CSV download's text (see the module docstring).

    The writer (pyarrow) is imported here, on the first download, so that
    starting the web app loads no science.
    """
    from elicit.analysis.results import Block, write

    rows = [
        (
            entry.at.astimezone(dt.UTC).isoformat(),
            entry.actor_email or "",
            entry.actor_name or "",
            entry.action,
            entry.target,
            json.dumps(entry.details, sort_keys=True, ensure_ascii=False),
        )
        for entry in listed
    ]
    columns = {
        name: [spreadsheet_safe(row[index]) for row in rows]
        for index, name in enumerate(CSV_COLUMNS)
    }
    text = write([Block(len(rows), columns)], "csv", None)
    assert text is not None
    return text
