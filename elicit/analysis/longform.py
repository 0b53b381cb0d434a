"""The CSV files the offline commands read, turned into the arrays :mod:`elicit.core` takes.

Judgments come in the long format, one row per number an expert gave::

    question_id,expert_id,round,element,value
    nato-2027,E01,1,p,0.35
    elsa-2027,E01,1,lower,20
    elsa-2027,E01,1,best,35
    elsa-2027,E01,1,upper,50
    allies-2pct,E01,1,q05,22
    allies-2pct,E01,1,q50,27
    allies-2pct,E01,1,q95,31

``element`` is ``p`` (a probability), ``lower``/``best``/``upper`` (a
three-point judgment) or ``q`` followed by a percentile (``q05``, ``q50``,
``q2.5``; ``q5`` and ``q05`` are the same). Probabilities (``p`` and the three
points) may be given in [0, 1] or, with ``--percent``, in percent. Question and
expert ids are any text (spaces around them are dropped); ``round`` is a
positive whole number. An optional ``time`` column says when each judgment was
made, as ISO 8601 dates and times (``2025-03-01T14:30:00Z``; without a zone
offset read as UTC) or as numbers (any increasing clock); the recency-weighted
median weighs newer judgments more, taking the row order as the time order when
there is no ``time`` column. Other columns (``rationale``, say) are not read,
so a study's export (:mod:`elicit.analysis.exports`) reads as it is.

Outcomes come in a second CSV, ``question_id,outcome``: ``yes``/``no`` (or
``1``/``0``) for binary questions, ``annulled`` for a question that will not be
scored, and the realized value for quantities. User weights for Cooke's
decision maker come as ``expert_id,weight``.

Every file is UTF-8 (a byte-order mark is allowed) with decimal points. A bad
file is refused with every bad row named (see :mod:`elicit.analysis.csvfile`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from elicit.analysis.arrow import from_numpy, scalar, strings, to_numpy
from elicit.analysis.csvfile import (
    MAX_PROBLEMS,
    NUMBER,
    CsvFile,
    FormatError,
    Problems,
    numbers,
    open_csv,
    texts,
    trimmed,
)

COLUMNS = ("question_id", "expert_id", "round", "element", "value")
THREE_POINT = ("lower", "best", "upper")
P, LOWER, BEST, UPPER, QUANTILE = range(5)
"""The kinds of element: a probability, the three points, a quantile."""

QUANTILE_ELEMENT = r"^q\d+(\.\d+)?$"
ISO_8601 = (
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
"""The dates and times of a ``time`` column: a date, optionally a time, then a zone offset."""

_TEXT = pa.dictionary(pa.int32(), pa.string())
_TYPES = {
    "question_id": _TEXT,
    "expert_id": _TEXT,
    "round": pa.int64(),
    "element": _TEXT,
    "value": pa.float64(),
    "time": pa.string(),
}


@dataclass(frozen=True)
class Judgments:
    """Every row of a long CSV as arrays (one entry per row), in file order.

    Attributes
    ----------
    questions, experts : list of str
        The distinct ids, sorted; ``question`` and ``expert`` index them.
    question, expert : ndarray of intp
    round : ndarray of int
    kind : ndarray of int8
        :data:`P`, :data:`LOWER`, :data:`BEST`, :data:`UPPER` or :data:`QUANTILE`.
    level : ndarray of float
        The quantile level of a quantile (``q05`` is 0.05), NaN for other rows.
    value : ndarray of float
        Probabilities in [0, 1] whatever the file's scale.
    time : ndarray of float or None
        When each judgment was made (microseconds since 1970 for dates), if the
        file has a ``time`` column.
    """

    questions: list[str]
    experts: list[str]
    question: np.ndarray
    expert: np.ndarray
    round: np.ndarray
    kind: np.ndarray
    level: np.ndarray
    value: np.ndarray
    time: np.ndarray | None = None

    def take(self, keep: np.ndarray) -> Judgments:
        """Keep the rows where ``keep`` is true (or at the indices it lists), in their order."""
        return replace(
            self,
            question=self.question[keep],
            expert=self.expert[keep],
            round=self.round[keep],
            kind=self.kind[keep],
            level=self.level[keep],
            value=self.value[keep],
            time=None if self.time is None else self.time[keep],
        )

    def select(self, round_: int | None) -> Judgments:
        """Keep the rows of ``round_`` (each expert's last round on each question if ``None``)."""
        if round_ is not None:
            return self.take(self.round == round_)
        if not self.round.size or self.round.min() == self.round.max():
            return self
        key = self.question * len(self.experts) + self.expert
        last = np.zeros(len(self.questions) * len(self.experts), dtype=self.round.dtype)
        np.maximum.at(last, key, self.round)
        return self.take(self.round == last[key])


def read_judgments(path: Path, *, percent: bool = False) -> Judgments:
    """Read a long CSV of judgments, checking every row.

    The file is read typed and in parallel; only if a field does not convert or
    a row has the wrong number of fields is it read again as text, to name
    every bad row.

    Raises
    ------
    FormatError
        Naming every bad row (up to :data:`~elicit.analysis.csvfile.MAX_PROBLEMS`)
        as ``FILE:LINE: reason``; also for a file that is not UTF-8 text, lacks a
        column, has no judgments, or gives probabilities on the other scale than
        ``percent`` says.
    """
    source = open_csv(path, COLUMNS)
    rows = source.read(_TYPES) or source.read(_TYPES, typed=False)
    if not rows.table.num_rows and not rows.skipped:
        raise FormatError([f"{path}: no judgments"])
    table = rows.table
    problems = Problems(source, rows)
    question, questions = _ids(problems, "question_id", table["question_id"])
    expert, experts = _ids(problems, "expert_id", table["expert_id"])
    round_ = numbers(problems, "round", table["round"], whole=True)
    kind, level, element, elements = _elements(problems, table["element"])
    problems.check(round_ < 1, lambda rows: [f"round {r} must be 1 or more" for r in round_[rows]])
    value = numbers(problems, "value", table["value"])
    hint = _check_scale(problems, source, kind, value, percent)
    time = _times(problems, table["time"]) if "time" in table.column_names else None
    judgments = Judgments(questions, experts, question, expert, round_, kind, level, value, time)
    _check_unique(problems, judgments, element, elements)
    problems.raise_if_any(hint)
    if percent:
        return replace(judgments, value=np.where(kind < QUANTILE, value / 100, value))
    return judgments


def _ids(problems: Problems, name: str, column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Index each row's id, without spaces around it, into the sorted distinct ids."""
    codes, distinct = _factorise(column)
    names = distinct.to_pylist()
    if "" in names:
        empty = codes == names.index("")
        problems.check(empty, lambda rows: [f"{name} is empty"] * rows.size)
    return codes, names


def _factorise(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Return each row's index into the sorted distinct texts of a dictionary column, and them.

    Spaces around a text are dropped first, so ``" nato"`` and ``"nato"`` are one.
    The dictionary lists the texts in the order they first appear; when that is
    already sorted (as in a file sorted by question), its indices are the answer.
    """
    if not column.num_chunks:
        return np.zeros(0, dtype=np.intp), strings([])
    column = column.unify_dictionaries()
    codes = to_numpy(pa.chunked_array([chunk.indices for chunk in column.chunks]))
    text = trimmed(column.chunk(0).dictionary)
    distinct = pc.unique(text)
    distinct = distinct.take(pc.array_sort_indices(distinct))
    remap = to_numpy(pc.index_in(text, value_set=distinct))
    if np.array_equal(remap, np.arange(remap.size)):
        return codes.astype(np.intp), distinct
    return remap.astype(np.intp)[codes], distinct


def _elements(
    problems: Problems, column: pa.ChunkedArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Return each row's kind and quantile level, and its element as an index into the names.

    ``problems`` is told of empty and unknown elements and of percentiles
    outside (0, 100).
    """
    codes, distinct = _factorise(column)
    names = distinct.to_pylist()
    kind_of = to_numpy(
        pc.index_in(distinct, value_set=strings(["p", *THREE_POINT])), null=-1
    ).astype(np.int8)
    quantile = to_numpy(pc.match_substring_regex(distinct, QUANTILE_ELEMENT))
    kind_of[quantile] = QUANTILE
    level_of = np.full(len(names), np.nan)
    if quantile.any():
        percents = pc.utf8_slice_codeunits(distinct.filter(from_numpy(quantile)), 1)
        level_of[quantile] = to_numpy(pc.cast(percents, pa.float64())) / 100
    kind, level = kind_of[codes], level_of[codes]
    empty = np.array([name == "" for name in names], dtype=bool)
    unknown = (kind_of < 0) & ~empty
    outside = (kind_of == QUANTILE) & ~((level_of > 0) & (level_of < 1))
    for bad_of, describe in (
        (empty, lambda rows: ["element is empty"] * rows.size),
        (
            unknown,
            lambda rows: [
                f"element {names[c]!r} is not p, lower, best, upper or a quantile such as q05"
                for c in codes[rows]
            ],
        ),
        (
            outside,
            lambda rows: [
                f"element {names[c]!r} is not a percentile between 0 and 100" for c in codes[rows]
            ],
        ),
    ):
        if bad_of.any():
            problems.check(bad_of[codes], describe)
    return kind, level, codes, names


def _check_scale(
    problems: Problems, source: CsvFile, kind: np.ndarray, value: np.ndarray, percent: bool
) -> str | None:
    """Flag probabilities outside [0, 1] (or [0, 100] with ``percent``); return a hint if any.

    With ``percent``, probabilities all within [0, 1] (some strictly between)
    are refused: they are surely not percentages.

    Raises
    ------
    FormatError
        With ``percent``, if every probability is within [0, 1] and the rows
        are otherwise fine.
    """
    top = 100.0 if percent else 1.0
    scale = " (percent)" if percent else ""
    probability = kind < QUANTILE
    outside = ((value < 0) | (value > top)) & probability & problems.ok
    problems.check(
        outside,
        lambda rows: [
            f"probability {_number(v)} is outside 0 to {top:g}{scale}" for v in value[rows]
        ],
    )
    if not percent:
        high = value[outside]
        if high.size and high.min() > 1 and high.max() <= 100:
            return "probabilities above 1 (up to 100): if they are percentages, add --percent"
        return None
    given = probability & problems.ok
    if (
        np.max(value, where=given, initial=-np.inf) <= 1
        and (given & (value > 0) & (value < 1)).any()
    ):
        message = "all probabilities are between 0 and 1; did you mean to leave out --percent?"
        if problems.all_ok:
            raise FormatError([f"{source.path}: {message}"])
        return message
    return None


def _times(problems: Problems, column: pa.ChunkedArray) -> np.ndarray:
    """Convert a ``time`` column to numbers: as given, or microseconds since 1970 for dates.

    The column holds numbers or ISO 8601 dates and times (:data:`ISO_8601`), not
    a mix; a date and time without a zone offset is read as UTC.
    """
    text = trimmed(column)
    number = to_numpy(pc.match_substring_regex(text, NUMBER))
    if number.all():
        return numbers(problems, "time", column)
    problems.check(to_numpy(pc.equal(text, scalar(""))), lambda rows: ["time is empty"] * rows.size)
    problems.check(
        number,
        lambda rows: [
            f"time {t!r} is a number where other rows give dates; give every time as a date "
            "and time in ISO 8601 or every time as a number"
            for t in texts(column, rows)
        ],
    )
    shaped = pc.match_substring_regex(text, ISO_8601)
    day = pc.utf8_slice_codeunits(pc.if_else(shaped, text, scalar("1970-01-01")), 0, 10)
    parsed = pc.strptime(day, format="%Y-%m-%d", unit="s", error_is_null=True)
    real = to_numpy(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), day), null=False)
    valid = to_numpy(shaped) & real
    problems.check(
        ~valid,
        lambda rows: [
            f"time {t!r} is neither a date and time in ISO 8601 (2025-03-01T14:30:00Z) nor a number"
            for t in texts(column, rows)
        ],
    )
    zoned = valid & to_numpy(pc.match_substring_regex(text, r"(Z|[+-]\d{2}:?\d{2})$"))
    naive = valid & ~zoned
    micro = np.zeros(len(text), dtype=np.int64)
    for rows, zone in ((zoned, "UTC"), (naive, None)):
        if rows.any():
            stamps = pc.cast(text.filter(from_numpy(rows)), pa.timestamp("us", tz=zone))
            micro[rows] = to_numpy(pc.cast(stamps, pa.int64()))
    return micro.astype(float)


def _check_unique(
    problems: Problems, table: Judgments, element: np.ndarray, names: list[str]
) -> None:
    """Flag a row that repeats the question, expert, round and element of an earlier one.

    ``q5`` and ``q05`` are the same element; ``element`` indexes ``names``, the
    elements as written. Only rows that passed the other checks take part.
    """
    ok = np.arange(problems.ok.size) if problems.all_ok else np.flatnonzero(problems.ok)
    columns = [table.question, table.expert, table.round, table.kind]
    if not problems.all_ok:
        columns = [column[ok] for column in columns]
    quantile = columns[3] == QUANTILE
    if quantile.any():
        columns[3] = columns[3].astype(np.int64)
        columns[3][quantile] += np.unique(table.level[ok][quantile], return_inverse=True)[1]
    key = _key(*columns)
    if not _repeats(key):
        return
    position = np.argsort(key, kind="stable")
    order, ordered = ok[position], key[position]
    repeat = np.r_[False, ordered[1:] == ordered[:-1]]
    start = np.maximum.accumulate(np.where(repeat, 0, np.arange(order.size)))
    first = np.zeros(problems.ok.size, dtype=np.intp)
    first[order] = order[start]
    flagged = np.zeros(problems.ok.size, dtype=bool)
    flagged[order[repeat]] = True

    def describe(rows: np.ndarray) -> list[str]:
        messages = []
        for row in rows.tolist():
            now, before = names[element[row]], names[element[first[row]]]
            both = now if now == before else f"{before} and {now}"
            messages.append(f"{_who(table, row)}: element {both} appears more than once")
        return messages

    problems.check(flagged, describe)


def _repeats(key: np.ndarray) -> bool:
    """Whether a value of ``key`` (non-negative ints) occurs more than once.

    Counting is linear in the number of rows when the keys are dense, as they
    are when most (question, expert, round, element) cells are given; sparse
    keys are sorted instead.
    """
    if not key.size:
        return False
    if key.max() < 2 * key.size:
        return bool(np.bincount(key).max() > 1)
    ordered = np.sort(key)
    return bool((ordered[1:] == ordered[:-1]).any())


def _who(table: Judgments, row: int) -> str:
    """Name a row's question, expert and round."""
    return (
        f"question {table.questions[table.question[row]]!r}, "
        f"expert {table.experts[table.expert[row]]!r}, round {table.round[row]}"
    )


def _key(*columns: np.ndarray) -> np.ndarray:
    """One integer per row that sorts the rows as the columns (of ints) do, in turn."""
    if not columns[0].size:
        return np.zeros(0, dtype=np.int64)
    lows = [int(c.min()) for c in columns]
    dims = [int(c.max()) - low + 1 for c, low in zip(columns, lows, strict=True)]
    if math.prod(dims) >= 2**63:
        return np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)[1].reshape(-1)
    key = np.zeros(columns[0].size, dtype=np.int64)
    for column, low, size in zip(columns, lows, dims, strict=True):
        if size > 1:  # a column of one value orders nothing
            key *= size
            key += column
            key -= low
    return key


def quantile_element(level: float) -> str:
    """Name the element of quantile ``level`` so that :func:`read_judgments` reads ``level`` back.

    The percentile is written as briefly as reads back exactly (``0.05`` is
    ``q05``, ``0.025`` is ``q2.5``); a whole percentile below 10 gets a leading
    zero, as is usual. A level that no percentile text reads back to exactly
    (some doubles are not a decimal divided by 100; none of the levels
    questions use) is written in full and reads back within one ulp.

    Raises
    ------
    ValueError
        If ``level`` is not strictly between 0 and 1.
    """
    if not 0 < level < 1:
        raise ValueError(f"quantile level {level!r} is not between 0 and 1")
    percent = level * 100
    text = repr(percent)
    for digits in range(17):
        candidate = f"{percent:.{digits}f}"
        if float(candidate) / 100 == level:
            text = candidate
            break
    return "q" + ("0" + text if text.isdigit() and len(text) == 1 else text)


def _number(value: float) -> str:
    """Write a number as briefly as its float allows (``35``, ``0.35``, ``1e-07``)."""
    return repr(float(value)).removesuffix(".0")


class Outcomes(NamedTuple):
    """The outcome of each question.

    Attributes
    ----------
    value : ndarray of float, shape (n_questions,)
        1 (yes), 0 (no) or the realized value; NaN if unresolved or annulled.
    annulled : ndarray of bool, shape (n_questions,)
    """

    value: np.ndarray
    annulled: np.ndarray


OUTCOME_WORDS = {"yes": 1.0, "no": 0.0, "annulled": np.nan}
"""The outcome words of ``elicit questions resolve``, in any case."""


def read_outcomes(path: Path, questions: Sequence[str]) -> Outcomes:
    """Read ``question_id,outcome`` rows; questions without a row are unresolved.

    Raises
    ------
    FormatError
        Naming every bad row: an outcome that is not ``yes``, ``no``,
        ``annulled`` or a finite number, a question with no judgments, or one
        given twice.
    """
    source = open_csv(path, ("question_id", "outcome"))
    rows = source.read({"question_id": pa.string(), "outcome": pa.string()}, typed=False)
    table = rows.table
    problems = Problems(source, rows)
    question = trimmed(table["question_id"])
    index = pc.index_in(question, value_set=strings(questions))
    problems.check(
        to_numpy(pc.equal(question, scalar(""))), lambda r: ["question_id is empty"] * r.size
    )
    problems.check(
        to_numpy(index.is_null()),
        lambda r: [f"question {q!r} has no judgments" for q in texts(table["question_id"], r)],
    )
    word = pc.utf8_lower(trimmed(table["outcome"]))
    words = list(OUTCOME_WORDS)
    which = to_numpy(pc.index_in(word, value_set=strings(words)), null=-1)
    value = numbers(
        problems,
        "outcome",
        pc.if_else(pa.chunked_array([from_numpy(which >= 0)]), scalar("0"), table["outcome"]),
        noun="yes, no, annulled or a number",
        not_finite="leave an unresolved question out",
    )
    value = np.where(which >= 0, np.array(list(OUTCOME_WORDS.values()))[which], value)
    at = to_numpy(index, null=0).astype(np.intp)
    _flag_repeats(problems, at, lambda r: texts(table["question_id"], r), "question")
    problems.raise_if_any()
    outcomes = np.full(len(questions), np.nan)
    outcomes[at] = value
    annulled = np.zeros(len(questions), dtype=bool)
    annulled[at[which == words.index("annulled")]] = True
    return Outcomes(outcomes, annulled)


def read_weights(path: Path, experts: Sequence[str]) -> np.ndarray:
    """Read ``expert_id,weight`` rows: one non-negative weight for each of ``experts``.

    Raises
    ------
    FormatError
        Naming every bad row (an expert not in ``experts`` or given twice, a
        weight that is not a finite number of at least 0), or an expert without
        a weight, or weights that are all 0.
    """
    source = open_csv(path, ("expert_id", "weight"))
    rows = source.read({"expert_id": pa.string(), "weight": pa.string()}, typed=False)
    table = rows.table
    problems = Problems(source, rows)
    expert = trimmed(table["expert_id"])
    index = pc.index_in(expert, value_set=strings(experts))
    known = ", ".join(experts)
    problems.check(
        to_numpy(pc.equal(expert, scalar(""))), lambda r: ["expert_id is empty"] * r.size
    )
    problems.check(
        to_numpy(index.is_null()),
        lambda r: [
            f"expert {e!r} is not in the study (its experts: {known})"
            for e in texts(table["expert_id"], r)
        ],
    )
    weight = numbers(problems, "weight", table["weight"])
    problems.check(weight < 0, lambda r: [f"weight {_number(w)} is negative" for w in weight[r]])
    at = to_numpy(index, null=0).astype(np.intp)
    _flag_repeats(problems, at, lambda r: texts(table["expert_id"], r), "expert")
    problems.raise_if_any()
    given = np.zeros(len(experts), dtype=bool)
    given[at] = True
    if not given.all():
        missing = ", ".join(e for e, g in zip(experts, given, strict=True) if not g)
        raise FormatError([f"{path}: no weight for expert(s) {missing}"])
    weights = np.zeros(len(experts))
    weights[at] = weight
    if not weights.any():
        raise FormatError([f"{path}: the weights are all 0; give one expert a positive weight"])
    return weights


def _flag_repeats(problems: Problems, index: np.ndarray, names, noun: str) -> None:  # noqa: ANN001
    """Flag a row whose ``index`` (a question or an expert) an earlier good row already has."""
    ok = np.flatnonzero(problems.ok)
    order = ok[np.argsort(index[ok], kind="stable")]
    repeat = np.zeros(problems.ok.size, dtype=bool)
    repeat[order[1:][index[order][1:] == index[order][:-1]]] = True
    problems.check(
        repeat, lambda rows: [f"{noun} {n!r} appears more than once" for n in names(rows)]
    )


def probabilities(table: Judgments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the ``p`` rows as ``(values, question index, expert index)``, in file order."""
    rows = table.kind == P
    if rows.all():
        return table.value, table.question, table.expert
    return table.value[rows], table.question[rows], table.expert[rows]


def three_points(table: Judgments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return complete three-point judgments: ``(values (n, 3), question index, expert index)``.

    Rows are matched on (question, expert, round) and come out sorted by them;
    a judgment missing one of lower, best and upper is refused.

    Raises
    ------
    FormatError
        Naming each judgment that is incomplete or out of order (up to
        :data:`~elicit.analysis.csvfile.MAX_PROBLEMS`).
    """
    rows = np.flatnonzero((table.kind >= LOWER) & (table.kind <= UPPER))
    key = _key(table.question[rows], table.expert[rows], table.round[rows])
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    values = np.full((first.size, 3), np.nan)
    values[inverse, table.kind[rows] - LOWER] = table.value[rows]
    incomplete = np.isnan(values).any(axis=1)
    unordered = ~incomplete & ~((values[:, 0] <= values[:, 1]) & (values[:, 1] <= values[:, 2]))
    bad = np.flatnonzero(incomplete | unordered)
    if bad.size:
        problems = [
            f"{_who(table, rows[first[j]])}: "
            + ("needs lower, best and upper" if incomplete[j] else "needs lower <= best <= upper")
            for j in bad[:MAX_PROBLEMS].tolist()
        ]
        raise FormatError(problems, more=max(bad.size - MAX_PROBLEMS, 0))
    return values, table.question[rows[first]], table.expert[rows[first]]


def quantiles(table: Judgments) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(levels (k,), values (n_experts, n_questions, k))``, NaN where not answered.

    Every quantile level found in the file is a column; a judgment that gives
    only some of them has NaN in the others.
    """
    rows = table.kind == QUANTILE
    levels, column = np.unique(table.level[rows], return_inverse=True)
    values = np.full((len(table.experts), len(table.questions), levels.size), np.nan)
    values[table.expert[rows], table.question[rows], column] = table.value[rows]
    return levels, values
