"""Benchmark: SHELF-style fitting of 10,000 three-quantile judgments, all ten families.

Compares ``elicit.core.distributions.fit_quantiles`` (all judgments of a family
fitted at once by a batched Levenberg-Marquardt) with the obvious alternative:
a per-row loop calling ``scipy.optimize.minimize`` (Nelder-Mead, as R's
``optim`` in SHELF) on the same objective from SHELF's starting values, one
judgment and family at a time (``scipy_reference_fit`` in
``tests/core/test_distributions.py``).

The loop is timed on a random subsample of rows and scaled to 10,000, as
printed. It runs twice: with SciPy's default Nelder-Mead tolerances, and with
tight ones (``xatol=1e-10, fatol=1e-15``) that converge as far as ours. Errors
are the sums of squared CDF differences; "difference" is ours minus the loop's
on the subsample (negative: ours fits better).

Run from the repository root::

    .venv/bin/python benchmarks/bench_fitting.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from elicit.core.distributions import (  # noqa: E402
    FAMILIES,
    fit_quantiles,
    linear_pool_quantiles,
)
from tests.core.test_distributions import TIGHT, scipy_reference_fit  # noqa: E402

N = 10_000
SUBSAMPLE = 40
LEVELS = np.array([0.05, 0.5, 0.95])
LOWER, UPPER = 0.0, 100.0


def judgments(n: int, seed: int = 2024) -> np.ndarray:
    """Judgments as experts give them: a median, lopsided 5 %/95 % spreads, rounded to 0.1."""
    rng = np.random.default_rng(seed)
    median = rng.uniform(10, 90, n)
    low = median - rng.uniform(0.05, 0.95, n) * (median - LOWER)
    high = median + rng.uniform(0.05, 0.95, n) * (UPPER - median)
    values = np.round(np.column_stack([low, median, high]), 1)
    values[:, 0] = np.maximum(values[:, 0], 0.1)
    values[:, 2] = np.minimum(values[:, 2], 99.9)
    bad = np.diff(values, axis=1).min(axis=1) <= 0  # rounding can tie two quantiles
    values[bad] = [20.0, 30.0, 50.0]
    return values


def loop(values: np.ndarray, rows: np.ndarray, options: dict | None) -> tuple[float, np.ndarray]:
    """Per-row, per-family scipy.optimize.minimize; seconds and sums of squares (rows, 10)."""
    start = time.perf_counter()
    ssq = np.array(
        [
            [
                scipy_reference_fit(values[i], LEVELS, LOWER, UPPER, f, options=options)
                for f in FAMILIES
            ]
            for i in rows
        ]
    )
    return time.perf_counter() - start, ssq


def main() -> None:
    """Time both, print figures and ratios."""
    values = judgments(N)
    print(
        f"{N:,} judgments, levels {LEVELS.tolist()}, bounds [{LOWER:g}, {UPPER:g}]: "
        f"{len(FAMILIES)} families each"
    )

    start = time.perf_counter()
    fit = fit_quantiles(values, LEVELS, LOWER, UPPER)
    ours = time.perf_counter() - start
    print(
        f"\nfit_quantiles (batched Levenberg-Marquardt): {ours:8.2f} s for all {N:,} rows "
        f"({1e3 * ours / N:.2f} ms/row)"
    )
    names, counts = np.unique(fit.best_family, return_counts=True)
    print("  best fitting: " + ", ".join(f"{a} {b}" for a, b in zip(names, counts, strict=True)))

    rows = np.random.default_rng(7).choice(N, SUBSAMPLE, replace=False)
    for label, options in (("scipy default tolerances", None), ("tight tolerances", TIGHT)):
        seconds, ssq = loop(values, rows, {} if options is None else options)
        scaled = seconds / SUBSAMPLE * N
        diff = fit.ssq[rows] - ssq
        finite = np.isfinite(diff)
        print(f"\nper-row scipy.optimize.minimize loop, {label}:")
        print(
            f"  timed on {SUBSAMPLE} random rows: {seconds:.2f} s "
            f"({1e3 * seconds / SUBSAMPLE:.1f} ms/row); scaled to {N:,} rows: {scaled:,.0f} s"
        )
        print(f"  speed-up of fit_quantiles: {scaled / ours:,.0f}x")
        print(
            f"  error difference (ours - loop) over {finite.sum()} fits: "
            f"max {diff[finite].max():+.2e}, median {np.median(diff[finite]):+.2e}, "
            f"min {diff[finite].min():+.2e}"
        )
        worse = (diff > 1e-12) & finite
        print(f"  fits where ours is worse by more than 1e-12: {worse.sum()}")
        per_family = [f"{f} {diff[:, j].max():+.1e}" for j, f in enumerate(FAMILIES)]
        print("  max difference per family: " + ", ".join(per_family))

    groups = np.random.default_rng(8).integers(0, 1000, N)
    start = time.perf_counter()
    linear_pool_quantiles([0.05, 0.5, 0.95], *fit.distributions(), groups, 1000)
    print(
        f"\nlinear_pool_quantiles, best fits, 1,000 questions x 3 levels: "
        f"{time.perf_counter() - start:.2f} s"
    )


if __name__ == "__main__":
    main()
