"""Speed and memory of ``elicit pool`` on a 2,000,000-row long CSV, beside pyarrow reading it.

The file (10,000 questions x 200 experts, one probability each, about 40 MB) is
written once to ``build/``. Then, in the same run:

(a) the baseline: a fresh Python process that only imports ``pyarrow.csv`` and
    reads the file with ``pyarrow.csv.read_csv``;
(b) ``elicit pool FILE -o OUT`` as a fresh process, two ways: the installed
    ``elicit`` command (whatever the top-level command loads, today the Flask
    application) and the ``pool`` command alone
    (``python -c "from elicit.analysis.cli import pool; pool()"``), which is what
    ``elicit pool`` costs once the top-level command loads nothing it does not need;
(c) the pooling itself, :func:`elicit.core.pooling.pool_all` on the same arrays, in
    this process.

Each process is run ``REPEATS`` times: its best wall time and its largest peak
resident memory (``wait4``'s ``ru_maxrss``) are shown. Targets: the wall time of
(b) at most 2 x (a) + (c), its peak memory at most 2 x (a)'s. A missed target is
printed on a line starting ``MISSED:``; the script exits 0 (1 with ``--strict``
and a miss). It also checks that the file ``elicit pool`` wrote holds the same
numbers as ``pool_all``. Last, it shows where the command alone spends its time:
the start-up and imports of fresh processes, then each step timed in this process.

Run: ``.venv/bin/python benchmarks/bench_cli_pool.py [--strict]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
from pyarrow import csv as pa_csv

from elicit.analysis import longform
from elicit.core import pooling

N_QUESTIONS = 10_000
N_EXPERTS = 200
REPEATS = 5
TIME_TARGET = 2.0
MEMORY_TARGET = 2.0
BUILD = Path(__file__).resolve().parent.parent / "build"
DATA = BUILD / f"bench-cli-pool-{N_QUESTIONS}x{N_EXPERTS}.csv"
OUT = BUILD / "bench-cli-pool-out.csv"


def write_judgments(path: Path) -> None:
    """Write the long CSV: every expert's probability (whole percent) for every question."""
    rng = np.random.default_rng(20251122)
    questions = np.char.add("q", np.char.zfill(np.arange(N_QUESTIONS).astype(str), 5))
    experts = np.char.add("E", np.char.zfill(np.arange(N_EXPERTS).astype(str), 3))
    n = N_QUESTIONS * N_EXPERTS
    table = pa.table(
        {
            "question_id": np.repeat(questions, N_EXPERTS),
            "expert_id": np.tile(experts, N_QUESTIONS),
            "round": np.ones(n, dtype=np.int64),
            "element": np.full(n, "p"),
            "value": np.round(rng.beta(2.0, 3.0, n), 2),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    pa_csv.write_csv(table, str(path), write_options=options)


def run(command: list[str]) -> tuple[float, int]:
    """Run a process ``REPEATS`` times: its best wall time (s) and largest peak memory (bytes)."""
    best, peak = np.inf, 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        errors = process.stderr.read().decode()
        process.stderr.close()
        if process.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{errors}")
        best, peak = min(best, elapsed), max(peak, usage.ru_maxrss * 1024)
    return best, peak


def main(strict: bool = False) -> int:
    """Time and measure (a), (b) and (c); print the figures and any missed target."""
    if not DATA.exists():
        write_judgments(DATA)
    python = sys.executable
    elicit = str(Path(python).with_name("elicit"))
    print(
        f"elicit pool: {N_QUESTIONS:,} questions x {N_EXPERTS} experts = "
        f"{N_QUESTIONS * N_EXPERTS:,} rows, {DATA.stat().st_size / 1e6:.1f} MB "
        f"({DATA.relative_to(BUILD.parent)}); pyarrow {pa.__version__}, NumPy {np.__version__}; "
        f"processes: best time and largest peak memory of {REPEATS} runs"
    )
    baseline, baseline_memory = run(
        [python, "-c", "import sys, pyarrow.csv; pyarrow.csv.read_csv(sys.argv[1])", str(DATA)]
    )
    table = longform.read_judgments(DATA)
    values, groups, _ = longform.probabilities(table)
    n = len(table.questions)
    pooled = pooling.pool_all(values, groups, n)
    pooling_time = best(lambda: pooling.pool_all(values, groups, n))
    budget = TIME_TARGET * baseline + pooling_time
    ceiling = MEMORY_TARGET * baseline_memory
    memory = mb(baseline_memory)
    print(f"(a) pyarrow.csv.read_csv, fresh process  {baseline:6.2f} s  {memory:6.0f} MiB")
    print(f"(c) pool_all in this process             {pooling_time:6.2f} s")
    print(
        f"targets: at most {TIME_TARGET:g} x (a) + (c) = {budget:.2f} s, "
        f"at most {MEMORY_TARGET:g} x (a) = {mb(ceiling):.0f} MiB\n"
    )
    commands = {
        "(b) elicit pool (installed command)": [elicit, "pool", str(DATA), "-o", str(OUT)],
        "(b) elicit pool (the command alone)": [
            python,
            "-c",
            "import sys; from elicit.analysis.cli import pool; "
            "pool(sys.argv[1:], prog_name='elicit pool')",
            str(DATA),
            "-o",
            str(OUT),
        ],
    }
    missed = []
    for label, command in commands.items():
        elapsed, memory = run(command)
        agree = same_as(pooled, table.questions)
        print(
            f"{label}  {elapsed:6.2f} s  {mb(memory):6.0f} MiB  "
            f"= {elapsed / baseline:4.1f} x (a) time, {memory / baseline_memory:4.1f} x (a) "
            f"memory; same numbers as pool_all: {'yes' if agree else 'NO'}"
        )
        for what, got, limit, unit in (
            ("time", elapsed, budget, "s"),
            ("memory", mb(memory), mb(ceiling), "MiB"),
        ):
            verdict = "met" if got <= limit else "MISSED"
            line = f"{label} {what}: {got:.2f} {unit}, target at most {limit:.2f} {unit}"
            print(f"{verdict}: {line}")
            if verdict == "MISSED":
                missed.append(line)
        if not agree:
            missed.append(f"{label} wrote numbers that differ from pool_all")
    breakdown(python, table, pooling_time)
    return 1 if strict and missed else 0


def breakdown(python: str, table: longform.Judgments, pooling_time: float) -> None:
    """Print where the command alone spends its time: start-up and imports, then each step."""
    from elicit.analysis import cli, results

    imports = {
        "python": "pass",
        "python + pyarrow.csv, pyarrow.compute": "import pyarrow.csv, pyarrow.compute",
        "python + the elicit package (Flask)": "import elicit",
        "python + scipy.special (elicit.core.pooling)": "import scipy.special",
        "python + everything elicit pool imports": "import elicit.analysis.cli, "
        "elicit.analysis.longform, elicit.analysis.results, elicit.core.aggrecat",
    }
    print("\nwhere the command alone spends its time (fresh processes, then in this process):")
    for label, code in imports.items():
        print(f"  {label:<46} {run([python, '-c', code])[0]:6.2f} s")
    blocks = cli._binary_pools(table, ())
    steps = {
        "read and check the file (read_judgments)": best(lambda: longform.read_judgments(DATA)),
        "pool (pool_all, as (c))": pooling_time,
        "write the CSV (80,000 rows)": best(lambda: results.write(blocks, "csv", OUT)),
    }
    for label, elapsed in steps.items():
        print(f"  {label:<46} {elapsed:6.2f} s")


def mb(size: float) -> float:
    """Convert bytes to MiB."""
    return size / 2**20


def best(step: Callable[[], object]) -> float:
    """Return the best wall time of ``REPEATS`` calls of ``step`` in this process."""
    elapsed = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        step()
        elapsed = min(elapsed, time.perf_counter() - start)
    return elapsed


def same_as(pooled: dict[str, np.ndarray], questions: list[str]) -> bool:
    """Whether the last output file holds exactly ``pooled`` for every question and method."""
    out = pa_csv.read_csv(str(OUT)).to_pydict()
    index = {q: i for i, q in enumerate(questions)}
    return all(
        pooled[method][index[question]] == value
        for question, method, value in zip(
            out["question_id"], out["method"], out["value"], strict=True
        )
    ) and len(out["value"]) == len(questions) * len(pooled)


if __name__ == "__main__":
    sys.exit(main(strict="--strict" in sys.argv[1:]))
