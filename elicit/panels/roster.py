"""Reading a panel file: a CSV of experts (name, e-mail, optional group), every bad row named.

:func:`read_roster` is a pure function of the file's bytes and the e-mail
addresses already on the panel: it saves nothing and never stops at the first
problem, so the facilitator sees every bad row (with its line number and
reason) before confirming the good ones. The same function reads the file
again when the facilitator confirms, so nothing the browser sends back is
trusted without being checked again.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from flask_babel import gettext

MAX_BYTES = 1024 * 1024
"""The largest panel file accepted (1 MB, some 15,000 experts)."""

NAME_MAX = 200
EMAIL_MAX = 254
GROUP_MAX = 120

COLUMNS = ("name", "email", "group")
"""The header a panel file starts with; ``group`` may be left out."""

_EMAIL = re.compile(r"[^@\s\x00-\x1f\",;<>]+@[^@\s\x00-\x1f\",;<>]+\.[^@\s\x00-\x1f\",;<>.]+")
"""Something, an ``@``, a domain with a dot: enough to catch typing slips, not a full RFC 5322."""

_UNDECODABLE = re.compile("[\udc80-\udcff]")
"""The stand-ins ``surrogateescape`` puts where a byte was not UTF-8."""


class Problem(enum.StrEnum):
    """Why a row of a panel file cannot be added."""

    NOT_UTF8 = "not_utf8"
    UNREADABLE = "unreadable"
    NO_HEADER = "no_header"
    MISSING_VALUE = "missing_value"
    EXTRA_VALUES = "extra_values"
    BAD_EMAIL = "bad_email"
    TOO_LONG = "too_long"
    DUPLICATE_IN_FILE = "duplicate_in_file"
    ALREADY_ON_PANEL = "already_on_panel"


@dataclass(frozen=True)
class RosterRow:
    """One good row: an expert to add."""

    line: int
    name: str
    email: str
    group: str


@dataclass(frozen=True)
class RowProblem:
    """One bad row: its line number in the file, why it was refused, and what detail helps."""

    line: int
    problem: Problem
    detail: str = ""

    @property
    def message(self) -> str:
        """Say in the request's language what is wrong with the row."""
        return problem_message(self.problem, self.detail)


@dataclass
class Roster:
    """What a panel file holds: the good rows and a problem for every bad one."""

    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def problem_message(problem: Problem, detail: str = "") -> str:
    """Say what ``problem`` means for one row (``detail``: the column or the other line)."""
    if problem is Problem.NOT_UTF8:
        return gettext("the row is not UTF-8 text: save the file as CSV UTF-8 and upload it again")
    if problem is Problem.UNREADABLE:
        return gettext(
            "the file cannot be read as CSV from this line on (is a quotation mark left open?)"
        )
    if problem is Problem.NO_HEADER:
        return gettext(
            "the first line must name the columns name, email and (optionally) group; "
            "it reads %(header)s",
            header=detail,
        )
    if problem is Problem.MISSING_VALUE:
        return gettext("the column %(column)s is empty or missing", column=detail)
    if problem is Problem.EXTRA_VALUES:
        return gettext("the row has more values than the header has columns")
    if problem is Problem.BAD_EMAIL:
        return gettext("%(email)s is not an e-mail address", email=detail)
    if problem is Problem.TOO_LONG:
        return gettext(
            "the column %(column)s is too long (names take 200 characters, e-mail addresses 254, "
            "groups 120)",
            column=detail,
        )
    if problem is Problem.DUPLICATE_IN_FILE:
        return gettext("the same e-mail address is already on line %(line)s", line=detail)
    return gettext("an expert with this e-mail address is already on the panel")


def normalise_email(email: str) -> str:
    """Return the form of ``email`` two addresses are compared in (trimmed, lower case)."""
    return email.strip().lower()


def email_problem(email: str) -> Problem | None:
    """Return why ``email`` cannot be an expert's address, or ``None`` if it can."""
    if not email:
        return Problem.MISSING_VALUE
    if len(email) > EMAIL_MAX:
        return Problem.TOO_LONG
    return None if _EMAIL.fullmatch(email) else Problem.BAD_EMAIL


def _header(record: list[str]) -> list[str] | None:
    """Return the columns a header row names, or ``None`` if it is not a valid header."""
    names = [value.strip().lower().lstrip("\ufeff") for value in record]
    while names and not names[-1]:
        names.pop()
    if names in (["name", "email"], ["name", "email", "group"]):
        return names
    return None


def _check(
    line: int, values: dict[str, str], seen: dict[str, int], on_panel: Collection[str]
) -> RowProblem | RosterRow:
    """Return the row ``values`` (from line ``line``) as a good row, or its first problem."""
    for column in ("name", "email"):
        if not values.get(column):
            return RowProblem(line, Problem.MISSING_VALUE, column)
    limits = {"name": NAME_MAX, "group": GROUP_MAX}
    for column, limit in limits.items():
        if len(values.get(column, "")) > limit:
            return RowProblem(line, Problem.TOO_LONG, column)
    email = values["email"]
    problem = email_problem(email)
    if problem is Problem.TOO_LONG:
        return RowProblem(line, problem, "email")
    if problem is not None:
        return RowProblem(line, problem, email)
    key = normalise_email(email)
    if key in seen:
        return RowProblem(line, Problem.DUPLICATE_IN_FILE, str(seen[key]))
    seen[key] = line
    if key in on_panel:
        return RowProblem(line, Problem.ALREADY_ON_PANEL)
    return RosterRow(line, values["name"], email, values.get("group", ""))


def read_roster(data: bytes, on_panel: Collection[str] = ()) -> Roster:
    """Read a panel file's bytes into good rows and the problem of every bad row.

    Parameters
    ----------
    data
        The file as uploaded: CSV in UTF-8 (a byte-order mark is allowed),
        comma-separated, its first line the header ``name,email`` or
        ``name,email,group`` (in any case). Blank lines are skipped.
    on_panel
        The e-mail addresses already on the panel, as :func:`normalise_email`
        gives them; a row with one of them is refused.

    Returns
    -------
    Roster
        Good rows and problems, each with the line it starts on (the header
        is line 1). A row that is not UTF-8 is refused whatever else is wrong
        with it; otherwise the first problem of a row is given.
    """
    roster = Roster()
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: list[str] | None = None
    seen: dict[str, int] = {}
    next_line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            roster.problems.append(RowProblem(next_line, Problem.UNREADABLE))
            break
        line, next_line = next_line, reader.line_num + 1
        if not any(value.strip() for value in record):
            continue
        if any(_UNDECODABLE.search(value) for value in record):
            roster.problems.append(RowProblem(line, Problem.NOT_UTF8))
            if columns is None:
                return roster
            continue
        if columns is None:
            columns = _header(record)
            if columns is None:
                shown = ",".join(record)
                roster.problems.append(RowProblem(line, Problem.NO_HEADER, shown[:80]))
                return roster
            continue
        if any(value.strip() for value in record[len(columns) :]):
            roster.problems.append(RowProblem(line, Problem.EXTRA_VALUES))
            continue
        values = {column: value.strip() for column, value in zip(columns, record, strict=False)}
        checked = _check(line, values, seen, on_panel)
        if isinstance(checked, RosterRow):
            roster.rows.append(checked)
        else:
            roster.problems.append(checked)
    if columns is None and not roster.problems:
        roster.problems.append(RowProblem(1, Problem.NO_HEADER, ""))
    return roster
