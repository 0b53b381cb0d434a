"""Start-up time of the ``elicit`` command against importing Flask and SQLAlchemy.

Prints, from one run, the best wall time of several fresh processes for:

- the baseline, ``python -c "import flask, sqlalchemy"``;
- ``elicit --help``, ``elicit pool --help`` and ``elicit db --help``;
- creating the web application (``create_app()``), for information.

Target: ``elicit --help`` and ``elicit pool --help`` each within 2x the baseline.
A missed target is printed on a line starting ``MISSED:``; the script exits 0
(``make bench`` reports, it does not stop), or 1 with ``--strict`` and a miss.

Run: ``.venv/bin/python benchmarks/bench_cli_start.py [--strict]``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
ELICIT = str(Path(PYTHON).with_name("elicit"))
RUNS = 7
TARGET = 2.0

CASES = {
    "baseline: import flask, sqlalchemy": [PYTHON, "-c", "import flask, sqlalchemy"],
    "elicit --help": [ELICIT, "--help"],
    "elicit pool --help": [ELICIT, "pool", "--help"],
    "elicit db --help": [ELICIT, "db", "--help"],
    "create_app()": [PYTHON, "-c", "from elicit.app import create_app; create_app()"],
}
TARGETED = ("elicit --help", "elicit pool --help")


def best_time(command: list[str]) -> float:
    """Return the smallest wall time of :data:`RUNS` runs of ``command`` (each must succeed)."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    """Time every case, print the table and the verdicts; return the exit status."""
    print(f"start-up of the elicit command: best of {RUNS} fresh processes each")
    times = {name: best_time(command) for name, command in CASES.items()}
    baseline = times["baseline: import flask, sqlalchemy"]
    print(f"{'case':<38}{'seconds':>9}{'x baseline':>12}")
    for name, seconds in times.items():
        print(f"{name:<38}{seconds:>9.3f}{seconds / baseline:>11.2f}x")
    missed = False
    for name in TARGETED:
        ratio = times[name] / baseline
        if ratio > TARGET:
            missed = True
            print(f"MISSED: {name} takes {ratio:.2f}x the baseline (target at most {TARGET:g}x)")
        else:
            print(f"met: {name} takes {ratio:.2f}x the baseline (target at most {TARGET:g}x)")
    return 1 if missed and "--strict" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
