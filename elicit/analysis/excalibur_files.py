"""EXCALIBUR ``.dtt``/``.rls`` files read for an import, with every bad line named.

:func:`elicit.core.excalibur.loads_excalibur` stops at the first malformed
line. An import must list every problem before it saves anything, so when a
file is refused the offending line is blanked (the reader skips blank lines,
so the other lines keep their numbers) and the files are read again, until
they read or a problem names no line. What the reader accepts but a study
cannot hold is checked afterwards: an expert who gives only some quantiles of
an item, and quantiles that do not increase.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from elicit.analysis.csvfile import MAX_PROBLEMS, FormatError

if TYPE_CHECKING:
    from elicit.core.excalibur import ExcaliburStudy

_WHERE = re.compile(r"^\.(dtt|rls) line (\d+): ")


def read_study(dtt: Path, rls: Path) -> ExcaliburStudy:
    """Read the study in ``dtt`` and ``rls``, or refuse it naming every bad line.

    Raises
    ------
    FormatError
        With each problem as ``FILE:LINE: reason`` (``FILE: reason`` for the
        file as a whole), for a file that cannot be read, a line the EXCALIBUR
        reader refuses, an expert who gives some but not all quantiles of an
        item, or quantiles that do not increase.
    """
    from elicit.core import excalibur

    try:
        texts = {
            "dtt": dtt.read_text(encoding=excalibur.ENCODING),
            "rls": rls.read_text(encoding=excalibur.ENCODING),
        }
    except OSError as error:
        raise FormatError([f"{error.filename}: cannot be read ({error.strerror})"]) from None
    except UnicodeDecodeError:
        raise FormatError([p for p in (_undecodable(dtt), _undecodable(rls)) if p]) from None
    paths = {"dtt": dtt, "rls": rls}
    lines = {name: text.splitlines() for name, text in texts.items()}
    problems: list[str] = []
    study = None
    while study is None:
        try:
            study = excalibur.loads_excalibur("\n".join(lines["dtt"]), "\n".join(lines["rls"]))
        except ValueError as error:
            message = str(error)
            where = _WHERE.match(message)
            if where is None or (where.group(1) == "dtt" and where.group(2) == "1"):
                name = "rls" if message.startswith(".rls") else "dtt"
                problems.append(f"{paths[name]}: {_WHERE.sub('', message)}")
                break
            name, number = where.group(1), int(where.group(2))
            problems.append(f"{paths[name]}:{number}: {message[where.end() :]}")
            lines[name][number - 1] = ""
    if study is not None:
        problems.extend(_answers(study, dtt, lines["dtt"]))
    if problems:
        problems.sort(key=_line_order)
        raise FormatError(problems[:MAX_PROBLEMS], more=max(len(problems) - MAX_PROBLEMS, 0))
    assert study is not None
    return study


def _answers(study: ExcaliburStudy, dtt: Path, lines: list[str]) -> list[str]:
    """Name each ``.dtt`` line with some quantiles missing or quantiles that do not increase."""
    answers = study.answers
    given = ~np.isnan(answers)
    partial = np.asarray(given.any(axis=2) & ~given.all(axis=2))
    with np.errstate(invalid="ignore"):
        unordered = np.asarray(given.all(axis=2) & (np.diff(answers, axis=2) <= 0).any(axis=2))
    if not (partial.any() or unordered.any()):
        return []
    line_of = {
        (line[5:14].strip(), line[20:35].strip()): number
        for number, line in enumerate(lines, start=1)
        if number > 1 and line.strip()
    }
    problems = []
    for e, i in zip(*np.nonzero(partial | unordered), strict=True):
        expert, item = study.expert_ids[e], study.item_ids[i]
        reason = (
            "gives only some of the quantiles; a study keeps all of an answer or none"
            if partial[e, i]
            else "quantiles do not increase"
        )
        line = line_of.get((expert, item))
        place = f"{dtt}:{line}" if line else str(dtt)
        problems.append(f"{place}: expert {expert!r}, item {item!r}: {reason}")
    return problems


def _undecodable(path: Path) -> str:
    """Name the line and byte where ``path`` stops being EXCALIBUR's text ("" if it does not)."""
    from elicit.core import excalibur

    data = path.read_bytes()
    try:
        data.decode(excalibur.ENCODING)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return (
            f"{path}:{line}: byte 0x{data[error.start]:02x} is not Windows-1252 text, "
            "the encoding EXCALIBUR writes"
        )
    return ""


def _line_order(problem: str) -> tuple[str, int]:
    """Sort problems by file, then line (a problem without a line first)."""
    path, _, rest = problem.partition(":")
    number = rest.split(":", 1)[0]
    return path, int(number) if number.isdigit() else 0
