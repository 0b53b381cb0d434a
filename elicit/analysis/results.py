"""The offline commands' results, written as CSV (by pyarrow) or JSON.

A result is a list of :class:`Block`: rows that share their columns, given
column by column (an array with one entry per row, or one value for every
row). The CSV has the union of the blocks' columns, in the order they first
appear, with an empty cell where a block lacks a column (a result without rows
is the first block's header alone); numbers are written in full (the shortest
text that reads back as the same float) and text is quoted.
A JSON object per row (a column of a block that lacks it is left out) is written
one to a line. A figure that does not exist (NaN) is an empty cell or ``null``.

Columns that hold JSON objects, such as a method's ``parameters``, are nested
objects in JSON and compact JSON text in CSV.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from elicit.analysis.arrow import from_numpy, scalar, strings


@dataclass(frozen=True)
class Record:
    """A JSON object in every row, with the same keys: ``fields`` maps each key to its values."""

    fields: dict[str, np.ndarray]


@dataclass(frozen=True)
class Block:
    """Result rows that share their columns.

    Attributes
    ----------
    size : int
        The number of rows.
    columns : dict
        Column name to its values: an array (NumPy numbers or booleans, or
        Arrow) or a list of text with one entry per row, a :class:`Record`, or
        one value for every row (text, a number, a bool, None, or a dict
        written as a JSON object).
    """

    size: int
    columns: Mapping[str, object]


def write(blocks: list[Block], fmt: str, path: Path | None) -> str | None:
    """Write the blocks as ``fmt`` ("csv" or "json") to ``path``; return the text if no path."""
    if fmt == "json":
        text = _json(blocks)
        if path is None:
            return text
        path.write_text(text, encoding="utf-8")
        return None
    tables = [_table(block) for block in blocks if block.size] or [_table(blocks[0])]
    table = pa.concat_tables(tables, promote_options="permissive")
    options = pa_csv.WriteOptions(quoting_header="none")
    if path is None:
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, write_options=options)
        return buffer.getvalue().decode("utf-8")
    pa_csv.write_csv(table, str(path), write_options=options)
    return None


def rows(blocks: list[Block]) -> list[dict[str, Any]]:
    """Return the blocks' rows as the JSON :func:`write` gives, read back: plain Python values.

    Numbers survive the trip exactly (JSON writes each float in full); NaN is None.
    """
    found: list[dict[str, Any]] = json.loads(_json(blocks))
    return found


def compact(value: object) -> str:
    """Return ``value`` as compact JSON text (no spaces), as the CSV holds it."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _table(block: Block) -> pa.Table:
    """Convert a block to a pyarrow table, JSON objects to compact text."""
    return pa.table({name: _array(values, block.size) for name, values in block.columns.items()})


def _array(values: object, size: int) -> pa.Array:
    """Convert one column of a block to a pyarrow array (NaN as null)."""
    if isinstance(values, Record):
        return _record_text(values, size)
    if isinstance(values, pa.Array):
        return values
    if isinstance(values, np.ndarray):
        return from_numpy(values, nan_is_null=True)
    if isinstance(values, list):
        return strings(values)
    value = _scalar(values)
    if value is None:
        return pa.nulls(size)
    return pa.repeat(scalar(compact(value) if isinstance(value, dict) else value), size)


def _scalar(value: object) -> object:
    """Make a value for every row plain Python: NaN as None, NumPy numbers as Python's."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _record_text(record: Record, size: int) -> pa.Array:
    """Compact JSON text of a record in every row, its numbers in full (non-finite as null)."""
    if not record.fields:
        return pa.repeat(scalar("{}"), size)
    pieces: list[object] = []
    for i, (key, values) in enumerate(record.fields.items()):
        numbers = np.asarray(values, dtype=float)
        text = pc.cast(from_numpy(numbers), pa.string())
        pieces += [scalar(("{" if i == 0 else ",") + json.dumps(key) + ":")]
        pieces.append(pc.if_else(from_numpy(np.isfinite(numbers)), text, scalar("null")))
    return pc.binary_join_element_wise(*pieces, scalar("}"), scalar(""))


def _json(blocks: list[Block]) -> str:
    """Write the rows as a JSON array, one object to a line."""
    encode = json.JSONEncoder(allow_nan=False).encode
    lines = []
    for block in blocks:
        columns: dict[str, list[Any]] = {}
        for name, values in block.columns.items():
            if isinstance(values, Record):
                columns[name] = _objects(values, block.size)
            elif isinstance(values, np.ndarray | list | pa.Array):
                columns[name] = _array(values, block.size).to_pylist()
            else:
                columns[name] = [_scalar(values)] * block.size
        names = list(columns)
        lines += [
            encode(dict(zip(names, row, strict=True)))
            for row in zip(*columns.values(), strict=True)
        ]
    return "[\n" + ",\n".join(lines) + ("\n]\n" if lines else "]\n")


def _objects(record: Record, size: int) -> list[dict[str, float | None]]:
    """Return the record as one dict per row, non-finite numbers as None."""
    if not record.fields:
        return [{} for _ in range(size)]
    grid = np.stack([np.asarray(v, dtype=float) for v in record.fields.values()], axis=1)
    keys = list(record.fields)
    return [
        {key: v if math.isfinite(v) else None for key, v in zip(keys, row, strict=True)}
        for row in grid.tolist()
    ]
