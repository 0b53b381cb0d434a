"""Reading the offline commands' CSV files with pyarrow, naming every bad row by its line.

A file is checked for UTF-8 and for its header first (:func:`open_csv`), then
read by :func:`pyarrow.csv.read_csv` into columns (:meth:`CsvFile.read`): first
typed and in parallel, and, only if a field does not convert or a row has the
wrong number of fields, a second time as text, so that the checks can name
every bad row. The checks run on whole columns (NumPy and
:mod:`pyarrow.compute`); :class:`Problems` collects what they find. Each bad row
is reported once, for the first check it fails, as ``FILE:LINE: reason``, and a
file with a bad row is refused whole (:class:`FormatError`): nothing is
computed from it.

Line numbers are the lines an editor shows: the header is line 1, and blank
lines and line breaks inside quoted fields count. pyarrow numbers the records
it reads, not lines, so the line where each reported record starts is found by
:mod:`csv`, which reads the file only as far as the last record reported.
"""

from __future__ import annotations

import codecs
import csv
import mmap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from elicit.analysis.arrow import from_numpy, scalar, to_numpy

MAX_PROBLEMS = 100
"""Problems listed at most for one file; the rest are counted ("... and N more")."""

NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
"""A decimal number as a file may write it: ``35``, ``0.35``, ``.35``, ``3.5e-1``."""

NOT_FINITE = r"(?i)^[+-]?(nan|inf|infinity)$"
"""NaN and infinity, which a number parser would accept."""

HEADER_BYTES = 1 << 16
"""Bytes read to find the header line."""

CHUNK_BYTES = 1 << 24
"""Bytes decoded at a time to check that a file that is not all ASCII is UTF-8."""

WHOLE = r"^[+-]?\d{1,18}$"
"""A whole number that fits a 64-bit integer."""


class FormatError(ValueError):
    """A file the commands refuse, with the problems found.

    Attributes
    ----------
    problems : list of str
        The first :data:`MAX_PROBLEMS` problems, each ``FILE:LINE: reason``
        (``FILE: reason`` for the file as a whole).
    more : int
        How many further problems were found and not listed.
    hint : str or None
        A likely cause of them all, such as a missing ``--percent``.
    """

    def __init__(self, problems: list[str], *, more: int = 0, hint: str | None = None) -> None:
        super().__init__("; ".join(problems[:5]) + (" ..." if len(problems) > 5 or more else ""))
        self.problems = problems
        self.more = more
        self.hint = hint

    @property
    def count(self) -> int:
        """The number of problems found, listed or not."""
        return len(self.problems) + self.more

    def report(self) -> list[str]:
        """Return the lines to show: each problem, how many more there are, and the hint."""
        lines = list(self.problems)
        if self.more:
            lines.append(f"... and {self.more} more")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return lines


@dataclass(frozen=True)
class Rows:
    """Columns read from a CSV file, with where each row came from.

    Attributes
    ----------
    table : pyarrow.Table
        One row per record that has the header's number of fields.
    records : ndarray of int
        The record number of each row; the header is record 1.
    skipped : list of pyarrow.csv.InvalidRow
        The records with another number of fields, in file order.
    """

    table: pa.Table
    records: np.ndarray
    skipped: list[pa_csv.InvalidRow]


@dataclass(frozen=True)
class CsvFile:
    """A CSV file that is UTF-8 text with a header naming the columns asked for.

    Attributes
    ----------
    path : Path
    header : list of str
        The column names, without spaces around them.
    quoted : bool
        Whether the file holds a double quote: without one no field is
        quoted, so every line break ends a record, which pyarrow reads faster.
    """

    path: Path
    header: list[str]
    quoted: bool

    @overload
    def read(self, types: dict[str, pa.DataType], *, typed: Literal[False]) -> Rows: ...

    @overload
    def read(
        self, types: dict[str, pa.DataType], *, typed: Literal[True] = True
    ) -> Rows | None: ...

    def read(self, types: dict[str, pa.DataType], *, typed: bool = True) -> Rows | None:
        """Read the columns named in ``types`` that the header has; others are not read.

        Parameters
        ----------
        types : dict of str to pyarrow.DataType
            The type of each column.
        typed : bool
            Read in parallel, converting each column to its type (an empty field
            becomes null in a column of numbers), and return None if a field does
            not convert or a record has the wrong number of fields. Otherwise
            read every column as text (dictionary-encoded text stays so), in one
            thread so that each skipped record keeps its number.

        Returns
        -------
        Rows or None
        """
        skipped: list[pa_csv.InvalidRow] = []

        def skip(row: pa_csv.InvalidRow) -> str:
            skipped.append(row)
            return "skip"

        wanted = [name for name in types if name in self.header]
        convert = {
            name: kind if typed or pa.types.is_dictionary(kind) else pa.string()
            for name, kind in types.items()
            if name in wanted
        }
        try:
            table = pa_csv.read_csv(
                str(self.path),
                read_options=pa_csv.ReadOptions(
                    use_threads=typed, column_names=self.header, skip_rows=1
                ),
                parse_options=pa_csv.ParseOptions(
                    newlines_in_values=self.quoted, invalid_row_handler=skip
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types=convert,
                    include_columns=wanted,
                    null_values=[""],
                    strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid:
            if typed:
                return None
            raise
        if typed and skipped:
            return None
        skipped.sort(key=lambda row: row.number)
        records = np.arange(2, table.num_rows + len(skipped) + 2)
        if skipped:
            numbers = np.array([row.number for row in skipped], dtype=np.int64)
            records = np.setdiff1d(records, numbers, assume_unique=True)
        return Rows(table, records, skipped)

    def lines(self, records: np.ndarray) -> np.ndarray:
        """Return the line on which each of ``records`` (increasing record numbers) starts."""
        lines = np.zeros(records.size, dtype=np.int64)
        record = end = found = 0
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for row in reader:
                start, end = end + 1, reader.line_num
                if not row:
                    continue
                record += 1
                while found < records.size and records[found] == record:
                    lines[found] = start
                    found += 1
                if found == records.size:
                    break
        return lines


def open_csv(path: Path, required: Sequence[str]) -> CsvFile:
    """Check a CSV file's encoding and header, and return it.

    A UTF-8 byte-order mark (as spreadsheets write) is allowed and spaces around
    the column names are ignored; columns beyond ``required`` are allowed.

    Raises
    ------
    FormatError
        If the file is not UTF-8 text (naming the line and the byte), is empty,
        lacks a column of ``required`` or names a column twice.
    """
    quoted = _check_utf8(path)
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
    first = head.splitlines()[0].decode("utf-8-sig", errors="replace") if head else ""
    header = [name.strip() for name in next(csv.reader([first]), [])]
    if not any(header):
        raise FormatError([f"{path}:1: no header; the first line names the columns"])
    missing = [name for name in required if name not in header]
    if missing:
        raise FormatError(
            [f"{path}:1: missing column(s) {', '.join(missing)} (the header: {first.strip()})"]
        )
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise FormatError([f"{path}:1: column(s) {', '.join(twice)} appear more than once"])
    return CsvFile(path, header, quoted)


def _check_utf8(path: Path) -> bool:
    """Refuse a file that is not UTF-8 text, naming the line and byte where it stops being so.

    The file is mapped into memory, not read into Python. A file that is all
    ASCII (one NumPy reduction finds out) needs no decoding; another is
    decoded in chunks of :data:`CHUNK_BYTES`, ASCII chunks skipped.

    Returns
    -------
    bool
        Whether the file holds a double quote (``"``).

    Raises
    ------
    FormatError
    """
    if not path.stat().st_size:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if np.frombuffer(data, dtype=np.uint8).max() >= 0x80:
            _decode(path, data)
        return data.find(b'"') >= 0


def _decode(path: Path, data: mmap.mmap) -> None:
    """Decode a file's bytes ``data`` as UTF-8 in chunks; refuse it where that fails.

    Raises
    ------
    FormatError
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    start = 0
    try:
        for offset in range(0, len(data), CHUNK_BYTES):
            chunk = data[offset : offset + CHUNK_BYTES]
            start = offset - len(decoder.getstate()[0])
            if start < offset or not chunk.isascii():
                decoder.decode(chunk)
        start = len(data) - len(decoder.getstate()[0])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        byte = start + error.start
        line = data[:byte].count(b"\n") + 1
        raise FormatError(
            [f"{path}:{line}: not UTF-8 text (byte {byte} cannot be read); save it as UTF-8"]
        ) from None


class Problems:
    """The bad rows of one file, found by checks on whole columns.

    Each check flags rows with a mask; a row is reported once, for the first
    check that flags it, so a check may assume that the earlier ones passed.
    Messages are made only for the rows listed.

    Parameters
    ----------
    source : CsvFile
    rows : Rows
        What was read; its skipped records are problems from the start.
    """

    def __init__(self, source: CsvFile, rows: Rows) -> None:
        self.source = source
        self._records = rows.records
        self._skipped = rows.skipped
        self._first = np.full(rows.records.size, -1, dtype=np.int16)
        self._ok = np.ones(rows.records.size, dtype=bool)
        self._describe: list[Callable[[np.ndarray], list[str]]] = []

    @property
    def ok(self) -> np.ndarray:
        """Whether each row has passed every check so far (do not modify)."""
        return self._ok

    @property
    def all_ok(self) -> bool:
        """Whether every row has passed every check so far."""
        return not self._describe

    def check(self, bad: np.ndarray, describe: Callable[[np.ndarray], list[str]]) -> None:
        """Flag the rows where ``bad`` is true, unless an earlier check flagged them.

        ``describe(rows)`` returns one message for each row index in ``rows``.
        """
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        new = bad & self._ok
        if new.any():
            self._first[new] = len(self._describe)
            self._ok &= ~new
            self._describe.append(describe)

    def raise_if_any(self, hint: str | None = None) -> None:
        """Raise a :class:`FormatError` listing the problems in file order, if there are any.

        Raises
        ------
        FormatError
            With the first :data:`MAX_PROBLEMS` problems, the number of the
            others, and ``hint``.
        """
        bad = np.flatnonzero(~self.ok)
        keys = np.concatenate([self._records[bad], [r.number for r in self._skipped]])
        if not keys.size:
            return
        listed = np.argsort(keys, kind="stable")[:MAX_PROBLEMS]
        messages: dict[int, str] = {
            i: _field_count(self._skipped[i - bad.size]) for i in listed if i >= bad.size
        }
        of_rows = listed[listed < bad.size]
        codes = self._first[bad[of_rows]]
        for code in np.unique(codes):
            at = of_rows[codes == code]
            messages.update(zip(at.tolist(), self._describe[code](bad[at]), strict=True))
        lines = self.source.lines(keys[listed])
        raise FormatError(
            [
                f"{self.source.path}:{line}: {messages[i]}"
                for line, i in zip(lines.tolist(), listed.tolist(), strict=True)
            ],
            more=keys.size - listed.size,
            hint=hint,
        )


def _field_count(row: pa_csv.InvalidRow) -> str:
    """Say what is wrong with a record that has the wrong number of fields."""
    if row.actual_columns > row.expected_columns:
        return (
            f"{row.actual_columns - row.expected_columns} field(s) more than the header "
            "(a decimal comma? write 0.35, not 0,35)"
        )
    unclosed = " (a quote left open?)" if '"' in row.text and "\n" in row.text else ""
    return f"{row.actual_columns} field(s) where the header has {row.expected_columns}{unclosed}"


def trimmed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Drop the spaces around each text."""
    return pc.utf8_trim_whitespace(column)


def texts(column: pa.ChunkedArray, rows: np.ndarray) -> list[str]:
    """Return the text of ``column`` at ``rows``, without the spaces around it."""
    return trimmed(column.take(from_numpy(rows))).to_pylist()


def numbers(
    problems: Problems,
    name: str,
    column: pa.ChunkedArray,
    *,
    whole: bool = False,
    noun: str | None = None,
    not_finite: str | None = None,
) -> np.ndarray:
    """Convert a column to numbers (float, or int if ``whole``), flagging the rows that are not.

    A typed column is taken as read (null where a field was empty); a text
    column must match :data:`NUMBER` (:data:`WHOLE`). An empty field is
    reported as empty, anything else as "not ``noun``" (a number, or a whole
    number), and NaN and infinity as not finite numbers, followed by the advice
    ``not_finite`` if given. Messages quote a text column's field as written; a
    typed column's non-finite number is shown as pyarrow read it (``nan``,
    ``inf``).
    """
    noun = noun or ("a whole number" if whole else "a number")
    advice = f" ({not_finite})" if not_finite else ""
    if pa.types.is_string(column.type):
        text = trimmed(column)
        problems.check(
            to_numpy(pc.equal(text, scalar(""))), lambda rows: [f"{name} is empty"] * rows.size
        )
        if not whole:
            problems.check(
                to_numpy(pc.match_substring_regex(text, NOT_FINITE)),
                lambda rows: [
                    f"{name} {t!r} is not a finite number{advice}" for t in texts(column, rows)
                ],
            )
        valid = pc.match_substring_regex(text, WHOLE if whole else NUMBER)
        problems.check(
            ~to_numpy(valid),
            lambda rows: [f"{name} {t!r} is not {noun}" for t in texts(column, rows)],
        )
        number = pc.replace_substring_regex(pc.if_else(valid, text, scalar("0")), r"^\+", "")
        parsed = pc.cast(number, pa.int64() if whole else pa.float64())
    else:
        parsed = column
        if column.null_count:
            problems.check(
                to_numpy(column.is_null()), lambda rows: [f"{name} is empty"] * rows.size
            )
    values = to_numpy(parsed, null=0)
    if not whole:
        problems.check(
            ~np.isfinite(values),
            lambda rows: [
                f"{name} {v} is not a finite number{advice}" for v in values[rows].tolist()
            ],
        )
    return values
