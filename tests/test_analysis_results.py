"""Result files of the offline commands: CSV and JSON, numbers in full, parameters as JSON."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from elicit.analysis.results import Block, Record, write


@pytest.fixture
def blocks():
    """Two blocks with different columns: pooled values and a fit with a nested record."""
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.random(500), [1 / 3, 0.1 + 0.2, 1e-300, 5e-324, np.nan]])
    pooled = Block(
        values.size,
        {
            "question_id": [f"q,{i}" if i % 2 else f'q"{i}' for i in range(values.size)],
            "method": "linear",
            "parameters": {"fraction": 0.1, "eps": None},
            "n": np.arange(values.size),
            "value": values,
        },
    )
    fit = Block(
        2,
        {
            "question_id": ["x", "y"],
            "method": "lognormal",
            "fitted": Record(
                {"meanlog": np.array([np.log(20), 1.0]), "sdlog": np.array([0.4, np.inf])}
            ),
            "best": np.array([True, False]),
        },
    )
    return [pooled, fit], values


def test_csv_has_every_column_full_precision_and_compact_json(blocks):
    parts, values = blocks
    rows = list(csv.DictReader(io.StringIO(write(parts, "csv", None))))
    assert list(rows[0]) == ["question_id", "method", "parameters", "n", "value", "fitted", "best"]
    assert len(rows) == values.size + 2
    assert [float(r["value"]) for r in rows[:-3]] == values[:-1].tolist()
    assert rows[-3]["value"] == "" and rows[-1]["value"] == ""
    assert rows[1]["question_id"] == "q,1" and rows[0]["question_id"] == 'q"0'
    assert rows[0]["parameters"] == '{"fraction":0.1,"eps":null}'
    assert json.loads(rows[-2]["fitted"]) == {"meanlog": np.log(20), "sdlog": 0.4}
    assert json.loads(rows[-1]["fitted"]) == {"meanlog": 1.0, "sdlog": None}
    assert rows[-1]["parameters"] == "" and rows[-2]["best"] == "true"


def test_json_nests_objects_one_row_to_a_line(blocks, tmp_path):
    parts, values = blocks
    path = tmp_path / "out.json"
    assert write(parts, "json", path) is None
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") == values.size + 2 + 2
    rows = json.loads(text)
    assert rows[0]["parameters"] == {"fraction": 0.1, "eps": None}
    assert [r["value"] for r in rows[: values.size - 1]] == values[:-1].tolist()
    assert rows[values.size - 1]["value"] is None
    assert rows[-2] == {
        "question_id": "x",
        "method": "lognormal",
        "fitted": {"meanlog": np.log(20), "sdlog": 0.4},
        "best": True,
    }
    assert rows[-1]["fitted"] == {"meanlog": 1.0, "sdlog": None}


def test_a_csv_file_is_written_where_asked(blocks, tmp_path):
    parts, _ = blocks
    path = tmp_path / "out.csv"
    assert write(parts, "csv", path) is None
    assert path.read_text(encoding="utf-8") == write(parts, "csv", None)
