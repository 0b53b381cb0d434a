"""Offline commands: ``elicit pool``, ``elicit fit``, ``elicit cooke``, ``elicit score``.

They read files (the long CSV of :mod:`elicit.analysis.longform`, or EXCALIBUR
``.dtt``/``.rls``), call :mod:`elicit.core`, and write CSV or JSON; they never
open the database. Every output row names the method and its parameters, so a
result file says how it was made.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path

import click
import numpy as np

from elicit.analysis import longform
from elicit.cli import fail
from elicit.core import aggrecat, cooke, distributions, excalibur, pooling
from elicit.core.backtest import ExtremizedPool, backtest
from elicit.core.scoring import (
    grouped_auc,
    grouped_brier_decomposition,
    grouped_mean_score,
    log_score,
)

LOG_SCORE_CLIP = 1e-3
"""Forecasts are clipped to [0.001, 0.999] for the log score, so one certain miss stays finite."""

_file = click.Path(exists=True, dir_okay=False, path_type=Path)
_out = click.Path(dir_okay=False, writable=True, path_type=Path)


def output_options(command: Callable) -> Callable:
    """Add ``--format`` and ``--output`` to a command."""
    command = click.option(
        "--output", "-o", type=_out, help="Write here instead of standard output."
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["csv", "json"]),
        default="csv",
        show_default=True,
        help="Output format.",
    )(command)


DATA_ARGUMENTS = frozenset({"presorted", "times", "experts", "round1"})
"""Keyword arguments that carry data or a precomputed sort, not a method's settings."""


def parameters(function: Callable, **given: object) -> str:
    """Return a method's keyword parameters (defaults, overridden by ``given``) as JSON."""
    values = {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
        and p.default is not inspect.Parameter.empty
        and name not in DATA_ARGUMENTS
    }
    values.update(given)
    return json.dumps(
        {k: v for k, v in values.items() if v is None or isinstance(v, int | float | str | bool)},
        sort_keys=True,
    )


def _emit(rows: list[dict], fmt: str, output: Path | None) -> None:
    """Write the result rows, to a file or standard output."""
    text = longform.write_rows(output, rows, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"Wrote {len(rows)} row(s) to {output}.", err=True)


def _read_all(path: Path, percent: bool) -> longform.Judgments:
    """Read every round of a long CSV; exit 2 with every problem on bad input."""
    try:
        return longform.read_judgments(path, percent=percent)
    except longform.FormatError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        fail(f"{len(error.problems)} problem(s) in {path}")


def _round(table: longform.Judgments, path: Path, round_: int | None) -> longform.Judgments:
    """Keep the chosen round (each expert's last if None); exit 2 if it has no judgments."""
    selected = table.select(round_)
    if not selected.value.size:
        fail(f"{path} has no judgments in round {round_}")
    return selected


def _read(path: Path, percent: bool, round_: int | None) -> longform.Judgments:
    """Read a long CSV and keep the chosen round; exit 2 with every problem on bad input."""
    return _round(_read_all(path, percent), path, round_)


round_option = click.option(
    "--round",
    "round_",
    type=click.IntRange(min=1),
    help="Use this round (default: each expert's last round on each question).",
)
percent_option = click.option(
    "--percent", is_flag=True, help="Probabilities in the file are percentages (0-100)."
)


@click.command("pool", help="Pool binary and three-point judgments, every method or those named.")
@click.argument("judgments", type=_file)
@round_option
@percent_option
@click.option(
    "--method",
    "methods",
    multiple=True,
    help="A pooling method (repeatable); default all. Names: elicit.core.pooling.METHODS "
    "for probabilities, aggreCAT names (ArMean, IntWAgg, ...) for three-point judgments.",
)
@output_options
def pool(
    judgments: Path,
    round_: int | None,
    percent: bool,
    methods: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Pool every question's judgments with each method; one row per question and method."""
    known = set(pooling.METHODS) | set(aggrecat.METHODS)
    unknown = sorted(set(methods) - known)
    if unknown:
        fail(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    full = _read_all(judgments, percent)
    table = _round(full, judgments, round_)
    rows: list[dict] = []
    values, groups, _ = longform.probabilities(table)
    n = len(table.questions)
    counts = np.bincount(groups, minlength=n)
    for name, function in pooling.METHODS.items():
        if values.size and (not methods or name in methods):
            pooled = function(values, groups, n)
            rows += _rows(table.questions, counts, name, parameters(function), pooled)
    try:
        points, groups3, experts3 = longform.three_points(table)
    except longform.FormatError as error:
        fail("; ".join(error.problems))
    if points.size:
        round1 = _round_one(full, points, groups3, experts3)
        counts3 = np.bincount(groups3, minlength=n)
        for name, function in aggrecat.METHODS.items():
            if methods and name not in methods:
                continue
            if name in aggrecat.NEEDS_ROUND1 and round1 is None:
                click.echo(f"note: {name} needs round 1 and a later round; skipped", err=True)
                continue
            kwargs = {"experts": experts3} if name in aggrecat.NEEDS_EXPERTS else {}
            if name in aggrecat.NEEDS_ROUND1:
                kwargs["round1"] = round1
            pooled = function(points[:, 0], points[:, 1], points[:, 2], groups3, n, **kwargs)
            rows += _rows(table.questions, counts3, name, parameters(function), pooled)
    if not rows:
        fail("no binary (p) or three-point (lower/best/upper) judgments to pool")
    _emit(rows, fmt, output)


def _round_one(full: longform.Judgments, points, groups, experts):  # noqa: ANN001, ANN202
    """Each three-point judgment's round-1 values, if every one of them has a round 1 before it."""
    first, g1, e1 = longform.three_points(full.select(1))
    index = {(q, e): i for i, (q, e) in enumerate(zip(g1.tolist(), e1.tolist(), strict=True))}
    rows = [index.get(key) for key in zip(groups.tolist(), experts.tolist(), strict=True)]
    if any(r is None for r in rows) or np.array_equal(full.select(1).value, full.value):
        return None
    matched = first[np.array(rows)]
    return matched[:, 0], matched[:, 1], matched[:, 2]


def _rows(questions, counts, method, params, pooled) -> list[dict]:  # noqa: ANN001
    """One output row per question that has judgments."""
    return [
        {
            "question_id": questions[i],
            "method": method,
            "parameters": params,
            "n": int(counts[i]),
            "value": float(pooled[i]),
        }
        for i in np.flatnonzero(counts)
    ]


@click.command(
    "score",
    help="Score every expert and every pooling method on resolved binary questions "
    "(Brier score and its decomposition, log score, AUC).",
)
@click.argument("judgments", type=_file)
@click.argument("outcomes", type=_file)
@round_option
@percent_option
@click.option("--bins", type=click.IntRange(min=1), default=10, show_default=True)
@output_options
def score(
    judgments: Path,
    outcomes: Path,
    round_: int | None,
    percent: bool,
    bins: int,
    fmt: str,
    output: Path | None,
) -> None:
    """Score experts and pools; pools are ranked by Brier score (fitted ones leave-one-out)."""
    table = _read(judgments, percent, round_)
    try:
        outcome = longform.read_outcomes(outcomes, table.questions)
    except longform.FormatError as error:
        fail("; ".join(error.problems))
    values, groups, experts = longform.probabilities(table)
    if not values.size:
        fail("no binary (p) judgments to score")
    resolved = ~np.isnan(outcome)
    bad = np.flatnonzero(resolved & (outcome != 0) & (outcome != 1))
    if bad.size:
        fail(f"outcome of {table.questions[bad[0]]!r} is {outcome[bad[0]]:g}, not 0 or 1")
    keep = resolved[groups]
    if not keep.any():
        fail("none of the judged questions has an outcome")
    p, o, who = values[keep], outcome[groups[keep]], experts[keep]
    n_experts = len(table.experts)
    parts = grouped_brier_decomposition(p, o, who, n_experts, bins=bins)
    auc = grouped_auc(p, o, who, n_experts)
    logs = grouped_mean_score(log_score(p, o, clip=LOG_SCORE_CLIP), who, n_experts)
    params = json.dumps({"bins": bins, "log_score_clip": LOG_SCORE_CLIP})
    rows = [
        {
            "kind": "expert",
            "name": table.experts[e],
            "parameters": params,
            "n": int(parts.count[e]),
            "brier": float(parts.brier[e]),
            "log_score": float(logs[e]),
            "auc": float(auc[e]),
            "reliability": float(parts.reliability[e]),
            "resolution": float(parts.resolution[e]),
            "uncertainty": float(parts.uncertainty[e]),
            "within_bin_variance": float(parts.within_bin_variance[e]),
            "within_bin_covariance": float(parts.within_bin_covariance[e]),
        }
        for e in range(n_experts)
        if parts.count[e]
    ]
    methods = dict(pooling.METHODS) | {
        "extremized_log_odds_fitted": ExtremizedPool(pooling.log_odds_pool)
    }
    result = backtest(
        values, groups, len(table.questions), outcome, methods, bins=bins, clip=LOG_SCORE_CLIP
    )
    scored = int(result.scored.sum())
    for row in result.rows():
        name = row.pop("method")
        rank = row.pop("rank")
        rows.append(
            {"kind": "method", "name": name, "parameters": params, "n": scored, "rank": rank} | row
        )
    _emit(rows, fmt, output)


@click.command(
    "cooke",
    help="Cooke's classical model on an EXCALIBUR study (STUDY.dtt, with STUDY.rls beside it "
    "or given): each expert's calibration, information and weight, and the decision maker's "
    "scores and quantiles.",
)
@click.argument("dtt", type=_file)
@click.argument("rls", type=_file, required=False)
@click.option(
    "--weighting",
    type=click.Choice(["global", "item", "equal"]),
    default="global",
    show_default=True,
)
@click.option(
    "--alpha", type=click.FloatRange(min=0), help="Significance level (default: optimised)."
)
@click.option("--overshoot", type=click.FloatRange(min=0), default=cooke.DEFAULT_OVERSHOOT)
@output_options
def cooke_command(
    dtt: Path,
    rls: Path | None,
    weighting: str,
    alpha: float | None,
    overshoot: float,
    fmt: str,
    output: Path | None,
) -> None:
    """Run the classical model and write expert rows, a DM row and the DM's quantiles."""
    rls = rls or next(
        (p for p in (dtt.with_suffix(".rls"), dtt.with_suffix(".RLS")) if p.exists()), None
    )
    if rls is None:
        fail(f"no realizations file: give STUDY.rls or put it beside {dtt}")
    if weighting == "equal" and alpha is not None:
        fail("--alpha applies to global and item weighting; equal weighting has none")
    try:
        study = excalibur.read_excalibur(dtt, rls)
        args = (study.answers, study.realizations, study.quantiles, study.log_scale)
        if weighting == "equal":
            model = None
            dm = cooke.equal_weight_dm(*args, overshoot=overshoot)
        else:
            model = cooke.classical_model(
                *args, weighting=weighting, alpha=alpha, overshoot=overshoot
            )
            dm = model.dm
    except ValueError as error:
        fail(f"{dtt}: {error}")
    params = json.dumps(
        {
            "weighting": weighting,
            "alpha": None if model is None else model.alpha,
            "alpha_optimised": alpha is None and model is not None,
            "overshoot": overshoot,
        }
    )
    method = f"cooke_{weighting}"
    rows = []
    if model is not None:
        for e, expert in enumerate(study.expert_ids):
            rows.append(
                {
                    "record": "expert",
                    "method": method,
                    "parameters": params,
                    "name": expert,
                    "calibration": float(model.calibration[e]),
                    "information_seeds": float(model.information_seeds[e]),
                    "information_all": float(model.information_all[e]),
                    "combined": float(model.combined[e]),
                    "weight": float(model.weights[e]),
                }
            )
    rows.append(
        {
            "record": "decision_maker",
            "method": method,
            "parameters": params,
            "name": "DM",
            "calibration": dm.calibration,
            "information_seeds": dm.information_seeds,
            "information_all": dm.information_all,
            "combined": dm.combined,
        }
    )
    for i, item in enumerate(study.item_ids):
        rows.append(
            {"record": "dm_quantiles", "method": method, "parameters": params, "name": item}
            | {
                f"q{level * 100:g}": float(value)
                for level, value in zip(study.quantiles, dm.quantiles[i], strict=True)
            }
            | {"realization": float(study.realizations[i])}
        )
    _emit(rows, fmt, output)


@click.command(
    "fit",
    help="Fit distributions to every expert's quantiles (SHELF's families, least squares on "
    "the CDF) and pool them per question (linear pool of the best fits, and quantile averaging).",
)
@click.argument("judgments", type=_file)
@round_option
@click.option("--lower", type=float, default=-np.inf, help="Lower bound of every quantity.")
@click.option("--upper", type=float, default=np.inf, help="Upper bound of every quantity.")
@click.option(
    "--family",
    "families",
    multiple=True,
    type=click.Choice(distributions.FAMILIES),
    help="Fit only these families (repeatable); default every family the bounds allow.",
)
@output_options
def fit(
    judgments: Path,
    round_: int | None,
    lower: float,
    upper: float,
    families: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Write one row per judgment and family (parameters, error, best) and the pooled quantiles."""
    table = _read(judgments, False, round_)
    levels, grid = longform.quantiles(table)
    if not levels.size:
        fail("no quantile (q05, q50, ...) judgments to fit")
    complete = ~np.isnan(grid).any(axis=2)
    experts, questions = np.nonzero(complete)
    if not experts.size:
        fail("no judgment gives every quantile level found in the file")
    partial = int((~complete & ~np.isnan(grid).all(axis=2)).sum())
    if partial:
        click.echo(
            f"note: {partial} judgment(s) give only some of the levels "
            f"{', '.join(f'q{level * 100:g}' for level in levels)}; left out",
            err=True,
        )
    values = grid[experts, questions]
    _check_quantities(values, lower, upper, table, questions, experts)
    try:
        fitted = distributions.fit_quantiles(
            values, levels, lower, upper, families=list(families) or None
        )
        n = len(table.questions)
        codes, params, low, high = fitted.distributions()
        pooled = distributions.linear_pool_quantiles(levels, codes, params, low, high, questions, n)
        averaged = distributions.vincentize(values, questions, n)
    except ValueError as error:
        fail(str(error))
    settings = json.dumps(
        {
            "lower": lower if np.isfinite(lower) else None,
            "upper": upper if np.isfinite(upper) else None,
            "tdf": 3.0,
            "families": list(families) or None,
        }
    )
    rows = []
    chosen = fitted.best_family
    for f, family in enumerate(distributions.FAMILIES):
        if not np.isfinite(fitted.ssq[:, f]).any():
            continue
        names = distributions.PARAMETER_NAMES[family]
        for i in np.flatnonzero(np.isfinite(fitted.ssq[:, f])):
            rows.append(
                {
                    "record": "fit",
                    "question_id": table.questions[questions[i]],
                    "expert_id": table.experts[experts[i]],
                    "method": family,
                    "parameters": settings,
                    "fitted": json.dumps(
                        dict(zip(names, fitted.params[i, f, : len(names)].tolist(), strict=True))
                    ),
                    "ssq": float(fitted.ssq[i, f]),
                    "best": bool(chosen[i] == family),
                }
            )
    counts = np.bincount(questions, minlength=n)
    for method, result in (("linear_pool_best_fit", pooled), ("vincentize", averaged)):
        for q in np.flatnonzero(counts):
            rows.append(
                {
                    "record": "pool",
                    "question_id": table.questions[q],
                    "method": method,
                    "parameters": settings,
                    "n": int(counts[q]),
                }
                | {
                    f"q{level * 100:g}": float(v)
                    for level, v in zip(levels, result[q], strict=True)
                }
            )
    _emit(rows, fmt, output)


def _check_quantities(values, lower, upper, table, questions, experts) -> None:  # noqa: ANN001
    """Exit 2 naming each judgment whose quantiles do not increase or leave the bounds."""
    problems = []
    rising = (np.diff(values, axis=1) > 0).all(axis=1)
    inside = ((values > lower) & (values < upper)).all(axis=1)
    for i in np.flatnonzero(~rising | ~inside):
        who = f"question {table.questions[questions[i]]!r}, expert {table.experts[experts[i]]!r}"
        given = ", ".join(f"{v:g}" for v in values[i])
        if not rising[i]:
            problems.append(f"{who}: quantiles {given} do not increase")
        else:
            problems.append(f"{who}: quantiles {given} are not inside ({lower:g}, {upper:g})")
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        fail(f"{len(problems)} judgment(s) cannot be fitted")


COMMANDS = [pool, fit, score, cooke_command]
"""The offline commands, attached to the ``elicit`` command group in :func:`elicit.create_app`."""
