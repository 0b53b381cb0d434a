"""The long CSV format the offline commands read, turned into the arrays :mod:`elicit.core` takes.

One row per number an expert gave::

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
``q2.5``). Probabilities may be given in [0, 1] or, with ``--percent``, in
percent. Question and expert ids are any text; ``round`` is a positive integer.

Outcomes come in a second CSV, ``question_id,outcome`` (0 or 1 for binary
questions, the realized value for quantities).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

COLUMNS = ("question_id", "expert_id", "round", "element", "value")
THREE_POINT = ("lower", "best", "upper")
_QUANTILE = re.compile(r"q(\d+(?:\.\d+)?)")


class FormatError(ValueError):
    """A file that does not follow the long format; ``problems`` lists each bad row."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""))
        self.problems = problems


@dataclass(frozen=True)
class Judgments:
    """Every row of a long CSV, as arrays (one entry per row) plus the id lists they index."""

    questions: list[str]
    experts: list[str]
    question: np.ndarray
    expert: np.ndarray
    round: np.ndarray
    element: np.ndarray
    value: np.ndarray

    def select(self, round_: int | None) -> Judgments:
        """Keep the rows of ``round_`` (the last round of each question's expert if ``None``)."""
        if round_ is None:
            key = self.question * len(self.experts) + self.expert
            last = np.zeros(key.max() + 1 if key.size else 0, dtype=int)
            np.maximum.at(last, key, self.round)
            keep = self.round == last[key]
        else:
            keep = self.round == round_
        return Judgments(
            self.questions,
            self.experts,
            self.question[keep],
            self.expert[keep],
            self.round[keep],
            self.element[keep],
            self.value[keep],
        )


def element_level(element: str) -> float | None:
    """Return the quantile level an element names (``q05`` -> 0.05), or ``None``."""
    match = _QUANTILE.fullmatch(element)
    return float(match.group(1)) / 100 if match else None


def read_judgments(path: Path, *, percent: bool = False) -> Judgments:
    """Read a long CSV of judgments, checking every row.

    Raises
    ------
    FormatError
        Listing every bad row as ``FILE:LINE: reason``; also for a file that is
        not UTF-8 text (a byte-order mark is allowed).
    """
    problems: list[str] = []
    rows = []
    for line, row in _csv_rows(path, COLUMNS):
        problem = _row_problem(row, percent)
        if problem:
            problems.append(f"{path}:{line}: {problem}")
        else:
            rows.append({k: (v or "").strip() for k, v in row.items()})
    if problems:
        raise FormatError(problems)
    if not rows:
        raise FormatError([f"{path}: no judgments"])
    questions = sorted({r["question_id"] for r in rows})
    experts = sorted({r["expert_id"] for r in rows})
    q_index = {q: i for i, q in enumerate(questions)}
    e_index = {e: i for i, e in enumerate(experts)}
    value = np.array([float(r["value"]) for r in rows])
    element = np.array([r["element"] for r in rows])
    if percent:
        scaled = np.isin(element, ["p", *THREE_POINT])
        value[scaled] /= 100
    table = Judgments(
        questions,
        experts,
        np.array([q_index[r["question_id"]] for r in rows], dtype=np.intp),
        np.array([e_index[r["expert_id"]] for r in rows], dtype=np.intp),
        np.array([int(r["round"]) for r in rows], dtype=int),
        element,
        value,
    )
    _check_unique(table, path)
    return table


def _csv_rows(path: Path, columns: Iterable[str]) -> list[tuple[int, dict]]:
    """Read a CSV file's rows with their line numbers, checking the header and the encoding.

    Raises
    ------
    FormatError
        If a column is missing, the file is not UTF-8 text, or a row has more fields
        than the header (often a decimal comma: ``0,35``).
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise FormatError([f"{path}: missing column(s) {', '.join(missing)}"])
            rows = list(enumerate(reader, start=2))
    except UnicodeDecodeError as error:
        raise FormatError(
            [f"{path}: not UTF-8 text (byte {error.start} cannot be read); save it as UTF-8"]
        ) from None
    extra = [
        f"{path}:{line}: {len(row[None])} field(s) more than the header "
        "(a decimal comma? write 0.35, not 0,35)"
        for line, row in rows
        if None in row
    ]
    if extra:
        raise FormatError(extra)
    return rows


def _row_problem(row: dict, percent: bool) -> str | None:
    """Say what is wrong with one row, or ``None``."""
    for column in COLUMNS:
        if not (row.get(column) or "").strip():
            return f"{column} is empty"
    element = row["element"].strip()
    if element != "p" and element not in THREE_POINT and element_level(element) is None:
        return f"element {element!r} is not p, lower, best, upper or a quantile such as q05"
    level = element_level(element)
    if level is not None and not 0 < level < 1:
        return f"element {element!r} is not a percentile between 0 and 100"
    try:
        round_ = int(row["round"])
    except ValueError:
        return f"round {row['round']!r} is not a whole number"
    if round_ < 1:
        return f"round {round_} must be 1 or more"
    try:
        value = float(row["value"])
    except ValueError:
        return f"value {row['value']!r} is not a number"
    if not math.isfinite(value):
        return f"value {row['value']!r} is not a finite number"
    top = 100 if percent else 1
    if (element == "p" or element in THREE_POINT) and not 0 <= value <= top:
        return f"probability {value:g} is outside [0, {top}]" + (
            "" if percent else " (use --percent for percentages)"
        )
    return None


def _check_unique(table: Judgments, path: Path) -> None:
    """Refuse two rows for the same question, expert, round and element (``q5`` is ``q05``)."""
    seen: dict[tuple, str] = {}
    for q, e, r, element in zip(
        table.question.tolist(),
        table.expert.tolist(),
        table.round.tolist(),
        table.element.tolist(),
        strict=True,
    ):
        level = element_level(element)
        key = (q, e, r, element if level is None else level)
        if key in seen:
            same = element if seen[key] == element else f"{seen[key]} and {element}"
            raise FormatError(
                [
                    f"{path}: question {table.questions[q]!r}, expert {table.experts[e]!r}, "
                    f"round {r}: element {same} appears more than once"
                ]
            )
        seen[key] = element


def read_outcomes(path: Path, questions: Iterable[str]) -> np.ndarray:
    """Read ``question_id,outcome`` rows: one outcome per question of ``questions``, else NaN.

    Raises
    ------
    FormatError
        For a bad row, a repeated question or an unknown question.
    """
    order = {q: i for i, q in enumerate(questions)}
    outcomes = np.full(len(order), np.nan)
    problems = []
    seen: set[str] = set()
    for line, row in _csv_rows(path, ("question_id", "outcome")):
        question = (row["question_id"] or "").strip()
        if question not in order:
            problems.append(f"{path}:{line}: question {question!r} has no judgments")
            continue
        try:
            value = float(row["outcome"])
        except (TypeError, ValueError):
            problems.append(f"{path}:{line}: outcome {row['outcome']!r} is not a number")
            continue
        if not math.isfinite(value):
            problems.append(
                f"{path}:{line}: outcome {row['outcome']!r} is not a finite number "
                "(leave an unresolved question out)"
            )
            continue
        if question in seen:
            problems.append(f"{path}:{line}: question {question!r} appears twice")
        seen.add(question)
        outcomes[order[question]] = value
    if problems:
        raise FormatError(problems)
    return outcomes


def probabilities(table: Judgments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the ``p`` rows as ``(values, question index, expert index)``."""
    rows = table.element == "p"
    return table.value[rows], table.question[rows], table.expert[rows]


def three_points(table: Judgments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return complete three-point judgments: ``(values (n, 3), question index, expert index)``.

    Rows are matched on (question, expert, round); a judgment missing one of
    lower, best and upper is refused.

    Raises
    ------
    FormatError
        If a three-point judgment is incomplete or out of order.
    """
    cells: dict[tuple[int, int, int], dict[str, float]] = {}
    for q, e, r, element, value in zip(
        table.question.tolist(),
        table.expert.tolist(),
        table.round.tolist(),
        table.element,
        table.value.tolist(),
        strict=True,
    ):
        if element in THREE_POINT:
            cells.setdefault((q, e, r), {})[element] = value
    problems = []
    keys = sorted(cells)
    for q, e, r in keys:
        given = cells[q, e, r]
        name = f"question {table.questions[q]!r}, expert {table.experts[e]!r}, round {r}"
        if len(given) != 3:
            problems.append(f"{name}: needs lower, best and upper")
        elif not given["lower"] <= given["best"] <= given["upper"]:
            problems.append(f"{name}: needs lower <= best <= upper")
    if problems:
        raise FormatError(problems)
    values = np.array([[cells[k][name] for name in THREE_POINT] for k in keys]).reshape(-1, 3)
    return (
        values,
        np.array([k[0] for k in keys], dtype=np.intp),
        np.array([k[1] for k in keys], dtype=np.intp),
    )


def quantiles(table: Judgments) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(levels (k,), values (n_experts, n_questions, k))``, NaN where not answered.

    Every quantile level found in the file is a column; a judgment that gives
    only some of them has NaN in the others.
    """
    rows = np.array([element_level(e) is not None for e in table.element], dtype=bool)
    levels_of_rows = np.array([element_level(e) for e in table.element[rows]], dtype=float)
    levels = np.unique(levels_of_rows)
    values = np.full((len(table.experts), len(table.questions), levels.size), np.nan)
    values[table.expert[rows], table.question[rows], np.searchsorted(levels, levels_of_rows)] = (
        table.value[rows]
    )
    return levels, values


def write_rows(path: Path | None, rows: list[dict], fmt: str) -> str:
    """Write result rows as CSV or JSON to ``path`` (or return the text if ``path`` is None).

    NaN (a figure that does not exist, e.g. a pool of no answers) is written
    as an empty CSV cell or JSON ``null``.
    """
    import io
    import json

    rows = [{k: (None if _is_nan(v) else v) for k, v in row.items()} for row in rows]
    if fmt == "json":
        text = json.dumps(rows, indent=2, allow_nan=False, default=_jsonable) + "\n"
    else:
        buffer = io.StringIO()
        fields = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if path is not None:
        path.write_text(text, encoding="utf-8")
    return text


def _jsonable(value: object) -> object:
    """Turn NumPy scalars into plain numbers for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _is_nan(value: object) -> bool:
    """Whether ``value`` is a float NaN (NumPy or plain)."""
    return isinstance(value, float | np.floating) and math.isnan(value)
