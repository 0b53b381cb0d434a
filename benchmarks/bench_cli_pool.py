"""Speed and memory of ``elicit pool`` on a 2,000,000-row long CSV, beside pyarrow reading it.

The file (10,000 questions x 200 experts, one probability each, about 40 MB) is
written once to ``build/``. Then, in the same run:

(a) the baseline: a fresh Python process that only imports ``pyarrow.csv`` and
    reads the file with ``pyarrow.csv.read_csv``;
(b) the installed ``elicit pool FILE -o OUT`` as a fresh process, in this
    environment, where pandas is installed (the ``bench`` extra brings it), as
    it is for many analysts. pyarrow imports pandas, when it can, on its first
    conversion to or from Python or NumPy objects; the command converts
    through Arrow's buffers (:mod:`elicit.analysis.arrow`) so that it does not;
(c) the pooling itself, :func:`elicit.core.pooling.pool_all` on the same arrays, in
    this process.

For information, (b) is also run with pandas made unimportable
(``sys.modules["pandas"] = None`` before the command starts); the two should
not differ.

The processes take turns (a, b, b without pandas, a, b, ...), ``REPEATS``
rounds, so that load from other processes on the machine hits them alike: each
one's best wall time and its largest peak resident memory (``wait4``'s
``ru_maxrss``) are shown. Targets: the wall time of (b) at most 2 x (a) + (c),
its peak memory at most 2 x (a)'s. A missed target is printed on a line
starting ``MISSED:``; the script exits 0 (1 with ``--strict`` and a miss). It
also checks that each file ``elicit pool`` wrote holds the same numbers as
``pool_all``. Last, it shows where ``elicit pool`` spends its time: the
start-up and imports of fresh processes, then each step timed in this process.

Run: ``.venv/bin/python benchmarks/bench_cli_pool.py [--strict]``.
"""

from __future__ import annotations

import importlib.metadata
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
REPEATS = 7
TIME_TARGET = 2.0
MEMORY_TARGET = 2.0
BUILD = Path(__file__).resolve().parent.parent / "build"
DATA = BUILD / f"bench-cli-pool-{N_QUESTIONS}x{N_EXPERTS}.csv"
OUT = BUILD / "bench-cli-pool-out.csv"
OUT_WITHOUT_PANDAS = BUILD / "bench-cli-pool-out-without-pandas.csv"


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


def run(commands: dict[str, list[str]]) -> dict[str, tuple[float, int]]:
    """Run the processes in turn, ``REPEATS`` rounds: each one's best time (s) and peak (bytes)."""
    figures = {label: (np.inf, 0) for label in commands}
    for _ in range(REPEATS):
        for label, command in commands.items():
            elapsed, memory = once(command)
            best, peak = figures[label]
            figures[label] = min(best, elapsed), max(peak, memory)
    return figures


def once(command: list[str]) -> tuple[float, int]:
    """Run a process once: its wall time (s) and peak resident memory (bytes)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode()
    process.stderr.close()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors}")
    return elapsed, usage.ru_maxrss * 1024


def main(strict: bool = False) -> int:
    """Time and measure (a), (b) and (c); print the figures and any missed target."""
    if not DATA.exists():
        write_judgments(DATA)
    python = sys.executable
    elicit = str(Path(python).with_name("elicit"))
    print(
        f"elicit pool: {N_QUESTIONS:,} questions x {N_EXPERTS} experts = "
        f"{N_QUESTIONS * N_EXPERTS:,} rows, {DATA.stat().st_size / 1e6:.1f} MB "
        f"({DATA.relative_to(BUILD.parent)}); pyarrow {pa.__version__}, NumPy {np.__version__}, "
        f"pandas {pandas_version()}; processes take turns, {REPEATS} rounds: "
        "best time and largest peak memory of each"
    )
    baseline_label = "(a) pyarrow.csv.read_csv, fresh process"
    label = "(b) elicit pool"
    without_label = "    the same, pandas unimportable"
    commands = {
        baseline_label: [
            python,
            "-c",
            "import sys, pyarrow.csv; pyarrow.csv.read_csv(sys.argv[1])",
            str(DATA),
        ],
        label: [elicit, "pool", str(DATA), "-o", str(OUT)],
        without_label: [
            python,
            "-c",
            "import sys; sys.modules['pandas'] = None; from elicit.cli import main; main()",
            "pool",
            str(DATA),
            "-o",
            str(OUT_WITHOUT_PANDAS),
        ],
    }
    figures = run(commands)
    baseline, baseline_memory = figures[baseline_label]
    table = longform.read_judgments(DATA)
    values, groups, _ = longform.probabilities(table)
    n = len(table.questions)
    pooled = pooling.pool_all(values, groups, n)
    pooling_time = best(lambda: pooling.pool_all(values, groups, n))
    budget = TIME_TARGET * baseline + pooling_time
    ceiling = MEMORY_TARGET * baseline_memory
    print(f"{baseline_label:<40} {baseline:6.2f} s  {mb(baseline_memory):6.0f} MiB")
    print(f"{'(c) pool_all in this process':<40} {pooling_time:6.2f} s")
    print(
        f"targets: at most {TIME_TARGET:g} x (a) + (c) = {budget:.2f} s, "
        f"at most {MEMORY_TARGET:g} x (a) = {mb(ceiling):.0f} MiB\n"
    )
    missed = []
    for shown, out in ((label, OUT), (without_label, OUT_WITHOUT_PANDAS)):
        elapsed, memory = figures[shown]
        agree = same_as(pooled, table.questions, out)
        print(
            f"{shown:<40} {elapsed:6.2f} s  {mb(memory):6.0f} MiB  "
            f"= {elapsed / baseline:4.1f} x (a) time, {memory / baseline_memory:4.1f} x (a) "
            f"memory; same numbers as pool_all: {'yes' if agree else 'NO'}"
        )
        if not agree:
            missed.append(f"{shown.strip()} wrote numbers that differ from pool_all")
    elapsed, memory = figures[label]
    for what, got, limit, unit in (
        ("time", elapsed, budget, "s"),
        ("memory", mb(memory), mb(ceiling), "MiB"),
    ):
        verdict = "met" if got <= limit else "MISSED"
        line = f"{label} {what}: {got:.2f} {unit}, target at most {limit:.2f} {unit}"
        print(f"{verdict}: {line}")
        if verdict == "MISSED":
            missed.append(line)
    breakdown(python, table, pooling_time)
    return 1 if strict and missed else 0


def pandas_version() -> str:
    """Return the installed pandas version (without importing it), or "not installed"."""
    try:
        return importlib.metadata.version("pandas")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def breakdown(python: str, table: longform.Judgments, pooling_time: float) -> None:
    """Print where ``elicit pool`` spends its time: start-up and imports, then each step."""
    from elicit.analysis import aggregates, results

    imports = {
        "python": "pass",
        "python + pyarrow.csv, pyarrow.compute": "import pyarrow.csv, pyarrow.compute",
        "python + scipy.special (elicit.core.pooling)": "import scipy.special",
        "python + everything elicit pool imports": "import elicit.cli, elicit.analysis.cli, "
        "elicit.analysis.aggregates, elicit.analysis.longform, elicit.analysis.results, "
        "elicit.core.aggrecat",
        "python + pandas (elicit pool does not import it)": "import pandas",
    }
    if pandas_version() == "not installed":
        del imports["python + pandas (elicit pool does not import it)"]
    print("\nwhere elicit pool spends its time (fresh processes, then in this process):")
    started = run({label: [python, "-c", code] for label, code in imports.items()})
    for label, (elapsed, _) in started.items():
        print(f"  {label:<50} {elapsed:6.2f} s")
    blocks = aggregates.pool_round(table).blocks
    steps = {
        "read and check the file (read_judgments)": best(lambda: longform.read_judgments(DATA)),
        "pool (pool_all, as (c))": pooling_time,
        "write the CSV (80,000 rows)": best(lambda: results.write(blocks, "csv", OUT)),
    }
    for label, elapsed in steps.items():
        print(f"  {label:<50} {elapsed:6.2f} s")


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


def same_as(pooled: dict[str, np.ndarray], questions: list[str], path: Path) -> bool:
    """Whether the output file ``path`` holds exactly ``pooled`` for every question and method."""
    out = pa_csv.read_csv(str(path)).to_pydict()
    index = {q: i for i, q in enumerate(questions)}
    return all(
        pooled[method][index[question]] == value
        for question, method, value in zip(
            out["question_id"], out["method"], out["value"], strict=True
        )
    ) and len(out["value"]) == len(questions) * len(pooled)


if __name__ == "__main__":
    sys.exit(main(strict="--strict" in sys.argv[1:]))
