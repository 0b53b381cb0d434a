"""Read and write EXCALIBUR ``.dtt`` / ``.rls`` files: a study's quantile judgments as arrays.

EXCALIBUR, the TU Delft program for Cooke's classical model, keeps a study in two
fixed-column text files (the format the TU Delft expert judgment database ships
and ANDURYL reads and writes):

``NAME.dtt``
    A header ``* CLASS ASCII OUTPUT FILE. NQ=   5   QU=   5  25  50  75  95``
    (the number of quantiles and their percentages), then one line per expert
    and item::

        |    1|      Ex1|    1|  $TAdProm2005| UNI|  5.00000E+0000 ... [question]
         0-4    5-13   14-19      20-33      35-37  quantiles, whitespace separated

    expert number, expert id (8 characters), item number, item id (14
    characters), scale (``UNI`` or ``LOG``, any case), the expert's quantiles
    and, optionally, the question text.
``NAME.rls``
    One line per item with a known or unknown realization::

        |    1|  $TAdProm2005|  1.31100E+0001 UNI [question]
         0-4       5-19

    A realization in ``[-1000, -990]`` (EXCALIBUR writes ``-9.995E+002`` or
    ``-9.996E+002``) means unknown: a target item. Items missing from the file
    are target items too; lines are matched to the ``.dtt`` items by item id.

A quantile in ``[-1000, -990]`` in the ``.dtt`` file is a quantile the expert
did not give (NaN); an expert may give only some quantiles of an item (one
study in the TU Delft database does).

References
----------
R. M. Cooke and D. Solomatine, *EXCALIBUR - Integrated System for Processing
Expert Judgements, User's Manual*, Delft University of Technology, 1992.
G. Rongen et al., ANDURYL (github.com/grongen/anduryl), ``anduryl/io``:
the same layout, read and written by a Python implementation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Values in this closed range are EXCALIBUR's "no value" codes (-999.5, -999.6).
MISSING_RANGE = (-1000.0, -990.0)
#: The code written for a missing answer or an unknown realization.
MISSING_CODE = -999.5
#: EXCALIBUR runs on Windows; its files are in the Windows Latin-1 code page.
ENCODING = "cp1252"

_HEADER = re.compile(r"NQ=\s*(\d+)\s+QU=(.*)$")
_EXPERT_ID_WIDTH = 8
_ITEM_ID_WIDTH = 14


@dataclass(frozen=True, eq=False)
class ExcaliburStudy:
    """One study: every expert's quantiles for every item, and the known realizations.

    Attributes
    ----------
    quantiles : ndarray, shape (n_quantiles,)
        Quantile levels in (0, 1), increasing (the header's percentages / 100).
    expert_ids : tuple of str, length n_experts
    item_ids : tuple of str, length n_items
    log_scale : ndarray of bool, shape (n_items,)
        True for an item on the ``LOG`` (logarithmic background) scale.
    answers : ndarray, shape (n_experts, n_items, n_quantiles)
        The experts' quantiles; NaN for a quantile the expert did not give
        (usually all quantiles of an item, occasionally only some).
    realizations : ndarray, shape (n_items,)
        The true value of each seed (calibration) item; NaN for a target item.
    questions : tuple of str, length n_items
        The question text of each item ("" if none).
    """

    quantiles: NDArray[np.float64]
    expert_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    log_scale: NDArray[np.bool_]
    answers: NDArray[np.float64]
    realizations: NDArray[np.float64]
    questions: tuple[str, ...]

    def __post_init__(self) -> None:
        """Check that the fields' shapes agree with each other."""
        n_experts, n_items = len(self.expert_ids), len(self.item_ids)
        shapes = {
            "quantiles": (np.shape(self.quantiles), (np.size(self.quantiles),)),
            "log_scale": (np.shape(self.log_scale), (n_items,)),
            "answers": (np.shape(self.answers), (n_experts, n_items, np.size(self.quantiles))),
            "realizations": (np.shape(self.realizations), (n_items,)),
            "questions": ((len(self.questions),), (n_items,)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise ValueError(f"{name} has shape {got}, expected {want}")

    @property
    def is_seed(self) -> NDArray[np.bool_]:
        """Whether each item is a seed (calibration) item: its realization is known."""
        return np.isfinite(self.realizations)

    def __eq__(self, other: object) -> bool:
        """Whether two studies hold the same content (NaN equal to NaN)."""
        if not isinstance(other, ExcaliburStudy):
            return NotImplemented
        return (
            self.expert_ids == other.expert_ids
            and self.item_ids == other.item_ids
            and self.questions == other.questions
            and np.array_equal(self.quantiles, other.quantiles)
            and np.array_equal(self.log_scale, other.log_scale)
            and np.array_equal(self.answers, other.answers, equal_nan=True)
            and np.array_equal(self.realizations, other.realizations, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]


def _missing(values: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (values >= MISSING_RANGE[0]) & (values <= MISSING_RANGE[1])


def _number(token: str, where: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise ValueError(f"{where}: {token!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"{where}: {token!r} is not a finite number")
    return value


def _scale(token: str, where: str) -> bool:
    if token.lower() not in ("uni", "log"):
        raise ValueError(f"{where}: scale {token!r} is neither UNI nor LOG")
    return token.lower() == "log"


def _parse_header(line: str) -> NDArray[np.float64]:
    match = _HEADER.search(line)
    if not match:
        raise ValueError(f".dtt line 1: no 'NQ= ... QU= ...' header in {line!r}")
    n_quantiles = int(match.group(1))
    tokens = match.group(2).split()
    if n_quantiles < 1 or len(tokens) != n_quantiles:
        raise ValueError(
            f".dtt line 1: NQ={n_quantiles} but {len(tokens)} percentages {tokens} after QU="
        )
    percent = np.array([_number(t, ".dtt line 1") for t in tokens])
    if np.any(percent <= 0) or np.any(percent >= 100) or np.any(np.diff(percent) <= 0):
        raise ValueError(f".dtt line 1: percentages {tokens} are not increasing within (0, 100)")
    return percent / 100.0


def loads_excalibur(dtt: str, rls: str) -> ExcaliburStudy:
    """Parse the text of a ``.dtt`` and a ``.rls`` file into an :class:`ExcaliburStudy`.

    Parameters
    ----------
    dtt : str
        Content of the ``.dtt`` file (experts' quantiles).
    rls : str
        Content of the ``.rls`` file (realizations); may be empty.

    Returns
    -------
    ExcaliburStudy
        Experts in order of their number, items in order of their number. An
        item's scale is taken from the ``.dtt`` file, its question from the
        ``.rls`` file, or from the ``.dtt`` file if the ``.rls`` has none.

    Raises
    ------
    ValueError
        For a malformed line (the message gives the file and line number), an
        expert or item number used with two ids, an (expert, item) pair given
        twice, an item whose scale differs between experts, an ``.rls`` item id
        not in the ``.dtt`` file or given twice.

    References
    ----------
    R. M. Cooke and D. Solomatine, *EXCALIBUR - Integrated System for Processing
    Expert Judgements, User's Manual*, Delft University of Technology, 1992 (the
    file layout is in the module notes).
    """
    lines = dtt.splitlines()
    if not lines:
        raise ValueError(".dtt file is empty")
    quantiles = _parse_header(lines[0])
    n_quantiles = quantiles.size
    experts: dict[int, str] = {}
    items: dict[int, tuple[str, bool]] = {}
    dtt_questions: dict[int, str] = {}
    rows: dict[tuple[int, int], list[float]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f".dtt line {number}"
        if len(line) < 38:
            raise ValueError(f"{where}: too short for the fixed columns: {line!r}")
        expert_no, item_no = line[0:5].strip(), line[14:20].strip()
        if not (expert_no.isdigit() and item_no.isdigit()):
            raise ValueError(f"{where}: no expert and item number in columns 1-5, 15-20")
        expert, item = int(expert_no), int(item_no)
        expert_id, item_id = line[5:14].strip(), line[20:35].strip()
        log = _scale(line[35:38], where)
        tokens = line[38:].split(maxsplit=n_quantiles)
        if len(tokens) < n_quantiles:
            raise ValueError(f"{where}: {len(tokens[:n_quantiles])} of {n_quantiles} quantiles")
        values = [_number(t, where) for t in tokens[:n_quantiles]]
        if experts.setdefault(expert, expert_id) != expert_id:
            raise ValueError(
                f"{where}: expert {expert} is {expert_id!r}, before {experts[expert]!r}"
            )
        if items.setdefault(item, (item_id, log))[0] != item_id:
            raise ValueError(f"{where}: item {item} is {item_id!r}, before {items[item][0]!r}")
        if items[item][1] != log:
            raise ValueError(f"{where}: item {item} ({item_id!r}) changes scale")
        if (expert, item) in rows:
            raise ValueError(f"{where}: expert {expert} answers item {item} a second time")
        rows[expert, item] = values
        if len(tokens) > n_quantiles and tokens[n_quantiles].strip():
            dtt_questions.setdefault(item, tokens[n_quantiles].strip())

    expert_order, item_order = sorted(experts), sorted(items)
    if not rows:
        raise ValueError(".dtt file has no judgments")
    expert_index = {e: k for k, e in enumerate(expert_order)}
    item_index = {i: k for k, i in enumerate(item_order)}
    answers = np.full((len(expert_order), len(item_order), n_quantiles), np.nan)
    for (expert, item), values in rows.items():
        answers[expert_index[expert], item_index[item]] = values
    answers[_missing(answers)] = np.nan

    item_ids = tuple(items[i][0] for i in item_order)
    if len(set(item_ids)) < len(item_ids):
        duplicate = next(i for i in item_ids if item_ids.count(i) > 1)
        raise ValueError(f".dtt: item id {duplicate!r} is used for two items")
    position = {item_id: k for k, item_id in enumerate(item_ids)}
    realizations = np.full(len(item_ids), np.nan)
    questions = [dtt_questions.get(i, "") for i in item_order]
    seen: set[str] = set()
    for number, line in enumerate(rls.splitlines(), start=1):
        if not line.strip():
            continue
        where = f".rls line {number}"
        item_id = line[5:20].strip()
        tokens = line[20:].split(maxsplit=2)
        if len(line) < 21 or not line[0:5].strip().isdigit() or len(tokens) < 2:
            raise ValueError(f"{where}: expected item number, id, realization and scale: {line!r}")
        if item_id not in position:
            raise ValueError(f"{where}: item id {item_id!r} is not in the .dtt file")
        if item_id in seen:
            raise ValueError(f"{where}: item id {item_id!r} is given a second time")
        seen.add(item_id)
        value = _number(tokens[0], where)
        _scale(tokens[1], where)
        k = position[item_id]
        realizations[k] = np.nan if _missing(np.array(value)) else value
        if len(tokens) > 2 and tokens[2].strip():
            questions[k] = tokens[2].strip()

    return ExcaliburStudy(
        quantiles=quantiles,
        expert_ids=tuple(experts[e] for e in expert_order),
        item_ids=item_ids,
        log_scale=np.array([items[i][1] for i in item_order], dtype=bool),
        answers=answers,
        realizations=realizations,
        questions=tuple(questions),
    )


def _format_number(value: float) -> str:
    """EXCALIBUR's ``-1.23450E+0001`` layout, with more digits only when needed to round-trip."""
    for digits in range(5, 17):
        mantissa, exponent = f"{value:.{digits}E}".split("E")
        text = f"{mantissa}E{int(exponent):+05d}"
        if float(text) == value:
            return text if value < 0 else " " + text
    raise AssertionError(value)  # pragma: no cover - 17 significant digits always round-trip


def _check_text(kind: str, texts: tuple[str, ...], width: int | None) -> None:
    for k, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"{kind}[{k}] = {text!r} is not a string")
        if text != text.strip() or "\n" in text or "\r" in text:
            raise ValueError(f"{kind}[{k}] = {text!r} has surrounding whitespace or a line break")
        if width is not None and len(text) > width:
            raise ValueError(f"{kind}[{k}] = {text!r} is longer than {width} characters")


def _checked_values(name: str, values: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(values, dtype=float)
    bad = np.argwhere(np.isinf(values) | _missing(values))
    if bad.size:
        index = ", ".join(map(str, bad[0]))
        raise ValueError(
            f"{name}[{index}] = {values[tuple(bad[0])]} cannot be written: infinite, "
            f"or in EXCALIBUR's missing-value range {list(MISSING_RANGE)}"
        )
    return values


def dumps_excalibur(study: ExcaliburStudy) -> tuple[str, str]:
    """Format a study as the text of a ``.dtt`` and an ``.rls`` file.

    Numbers are written as ``±d.ddddddE±eeee`` with more digits only where five
    decimals would not read back to the same float, missing answers and unknown
    realizations as ``-9.99500E+0002``; every item gets a ``.rls`` line; the
    questions go to the ``.rls`` lines and the first expert's ``.dtt`` lines.
    Reading the text back with :func:`loads_excalibur` gives an equal study.

    Parameters
    ----------
    study : ExcaliburStudy
        The study to write.

    Returns
    -------
    (str, str)
        The ``.dtt`` text and the ``.rls`` text, one line per row.

    Raises
    ------
    ValueError
        If an expert id is longer than 8 or an item id longer than 14
        characters, an id or question has surrounding whitespace or a line
        break, a number is infinite or inside the missing-value range, or a
        quantile level is not a percentage that reads back exactly.

    References
    ----------
    R. M. Cooke and D. Solomatine, *EXCALIBUR - Integrated System for Processing
    Expert Judgements, User's Manual*, Delft University of Technology, 1992 (the
    file layout is in the module notes).
    """
    _check_text("expert_ids", study.expert_ids, _EXPERT_ID_WIDTH)
    _check_text("item_ids", study.item_ids, _ITEM_ID_WIDTH)
    _check_text("questions", study.questions, None)
    answers = _checked_values("answers", study.answers)
    realizations = _checked_values("realizations", study.realizations)
    percents = []
    for k, level in enumerate(np.asarray(study.quantiles, dtype=float).tolist()):
        text = f"{round(level * 100):4d}"
        if float(text) / 100.0 != level:
            text = f" {level * 100!r}"
        if not 0 < level < 1 or float(text) / 100.0 != level:
            raise ValueError(f"quantiles[{k}] = {level!r} is not a percentage that reads back")
        percents.append(text)
    header = f"* CLASS ASCII OUTPUT FILE. NQ={len(percents):4d}   QU={''.join(percents)}\n"

    scales = ["LOG" if log else "UNI" for log in np.asarray(study.log_scale, dtype=bool)]
    missing = _format_number(MISSING_CODE)
    cells = np.where(np.isnan(answers), MISSING_CODE, answers)
    dtt = [header]
    for e, expert_id in enumerate(study.expert_ids):
        for i, item_id in enumerate(study.item_ids):
            values = " ".join(_format_number(v) for v in cells[e, i])
            question = f" {study.questions[i]}" if e == 0 and study.questions[i] else ""
            dtt.append(
                f"{e + 1:5d} {expert_id:>8s} {i + 1:4d} {item_id:>14s} {scales[i]} "
                f"{values}{question}\n"
            )
    rls = []
    for i, item_id in enumerate(study.item_ids):
        value = missing if np.isnan(realizations[i]) else _format_number(realizations[i])
        question = f" {study.questions[i]}" if study.questions[i] else ""
        rls.append(f"{i + 1:5d} {item_id:>14s} {value} {scales[i]}{question}\n")
    return "".join(dtt), "".join(rls)


def _sibling(path: Path, suffix: str) -> Path:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return path.with_suffix(suffix.upper() if path.suffix.isupper() else suffix)


def read_excalibur(
    dtt_path: str | Path, rls_path: str | Path | None = None, *, encoding: str = ENCODING
) -> ExcaliburStudy:
    """Read a study from a ``.dtt`` file and its ``.rls`` file.

    Parameters
    ----------
    dtt_path : str or Path
        The ``.dtt`` file (experts' quantiles).
    rls_path : str or Path, optional
        The ``.rls`` file (realizations); defaults to the ``.dtt`` path with
        suffix ``.rls`` (or ``.RLS``).
    encoding : str
        Text encoding of both files; EXCALIBUR writes Windows-1252.

    Returns
    -------
    ExcaliburStudy

    Raises
    ------
    ValueError
        As :func:`loads_excalibur`.
    OSError
        If a file cannot be read.

    References
    ----------
    R. M. Cooke and D. Solomatine, *EXCALIBUR - Integrated System for Processing
    Expert Judgements, User's Manual*, Delft University of Technology, 1992 (the
    file layout is in the module notes).
    """
    dtt_path = Path(dtt_path)
    rls_path = _sibling(dtt_path, ".rls") if rls_path is None else Path(rls_path)
    return loads_excalibur(
        dtt_path.read_text(encoding=encoding), rls_path.read_text(encoding=encoding)
    )


def write_excalibur(
    study: ExcaliburStudy,
    dtt_path: str | Path,
    rls_path: str | Path | None = None,
    *,
    encoding: str = ENCODING,
) -> None:
    """Write a study as a ``.dtt`` file and an ``.rls`` file (see :func:`dumps_excalibur`).

    Parameters
    ----------
    study : ExcaliburStudy
        The study to write.
    dtt_path : str or Path
        The ``.dtt`` file to write.
    rls_path : str or Path, optional
        The ``.rls`` file to write; defaults to the ``.dtt`` path with suffix
        ``.rls`` (``.RLS`` if the ``.dtt`` suffix is upper case).
    encoding : str
        Text encoding; a character it cannot encode raises ``UnicodeEncodeError``.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        As :func:`dumps_excalibur`.

    References
    ----------
    R. M. Cooke and D. Solomatine, *EXCALIBUR - Integrated System for Processing
    Expert Judgements, User's Manual*, Delft University of Technology, 1992 (the
    file layout is in the module notes).
    """
    dtt_path = Path(dtt_path)
    if rls_path is None:
        rls_path = dtt_path.with_suffix(".RLS" if dtt_path.suffix.isupper() else ".rls")
    dtt, rls = dumps_excalibur(study)
    Path(dtt_path).write_text(dtt, encoding=encoding, newline="\n")
    Path(rls_path).write_text(rls, encoding=encoding, newline="\n")
