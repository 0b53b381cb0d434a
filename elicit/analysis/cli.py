"""Offline commands: ``elicit pool``, ``elicit fit``, ``elicit cooke``, ``elicit score``.

They read files (the CSV files of :mod:`elicit.analysis.longform`, or EXCALIBUR
``.dtt``/``.rls``), call :mod:`elicit.core`, and write CSV or JSON
(:mod:`elicit.analysis.results`); they need no application, database or
configuration. Every output row names the method and its parameters, so a
result file says how it was made.

This module imports only :mod:`click`: NumPy, SciPy, pyarrow and
:mod:`elicit.core` are imported by the commands that run, so that ``--help``
and the other ``elicit`` commands do not wait for them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from elicit.analysis.methods import DATA_ARGUMENTS as DATA_ARGUMENTS
from elicit.console import fail

if TYPE_CHECKING:
    from elicit.analysis.csvfile import FormatError
    from elicit.analysis.longform import Judgments
    from elicit.analysis.results import Block

DEFAULT_OVERSHOOT = 0.1
"""Cooke's overshoot when none is given; a test holds it equal to ``cooke.DEFAULT_OVERSHOOT``."""

RECENCY = (
    "The recency-weighted median counts each row as newer than the rows above it (so put "
    "older judgments first), unless the file has a time column (ISO 8601 dates and times, "
    "or numbers), which then orders them."
)

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


def _emit(blocks: list[Block], fmt: str, output: Path | None) -> None:
    """Write the result, to a file or standard output."""
    from elicit.analysis import results

    text = results.write(blocks, fmt, output)
    if text is not None:
        click.echo(text, nl=False)
    else:
        rows = sum(block.size for block in blocks)
        click.echo(f"Wrote {rows} row(s) to {output}.", err=True)


def _refuse(path: Path, error: FormatError) -> NoReturn:
    """Print every problem of a refused file and exit with status 2."""
    for line in error.report():
        click.echo(line, err=True)
    fail(f"{error.count} problem(s) in {path}; nothing was computed")


def _read_all(path: Path, percent: bool) -> Judgments:
    """Read every round of a long CSV; exit 2 with every problem on bad input.

    The memory pyarrow used to read the file goes back to the system before the
    command computes, so that the two do not add up in the peak.
    """
    import pyarrow as pa

    from elicit.analysis import longform

    try:
        table = longform.read_judgments(path, percent=percent)
    except longform.FormatError as error:
        _refuse(path, error)
    pa.default_memory_pool().release_unused()
    return table


def _round(table: Judgments, path: Path, round_: int | None) -> Judgments:
    """Keep the chosen round (each expert's last if None); exit 2 if it has no judgments."""
    selected = table.select(round_)
    if not selected.value.size:
        fail(f"{path} has no judgments in round {round_}")
    return selected


round_option = click.option(
    "--round",
    "round_",
    type=click.IntRange(min=1),
    help="Use this round (default: each expert's last round on each question).",
)
percent_option = click.option(
    "--percent",
    is_flag=True,
    help="Probabilities in the file are percentages (0-100); without it they are in [0, 1].",
)


@click.command(
    "pool",
    help="Pool binary, three-point and quantity judgments, every method or those named. "
    "Probabilities (p) get elicit.core.pooling's pools, three-point judgments "
    "(lower/best/upper) aggreCAT's, quantities (quantiles) the linear pool of fitted "
    "distributions and quantile averaging, a row per quantile level. " + RECENCY,
)
@click.argument("judgments", type=_file)
@round_option
@percent_option
@click.option(
    "--method",
    "methods",
    multiple=True,
    help="A pooling method (repeatable); default all. Names: elicit.core.pooling.METHODS "
    "for probabilities, aggreCAT names (ArMean, IntWAgg, ...) for three-point judgments, "
    "linear_pool_best_fit and vincentize for quantities.",
)
@click.option(
    "--bootstrap",
    "resamples",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Bootstrap resamples for each row's percentile interval over experts (0: none; "
    "the pages use 1000).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed of the bootstrap (default: the pages' seed, recorded in each row).",
)
@output_options
def pool(
    judgments: Path,
    round_: int | None,
    percent: bool,
    methods: tuple[str, ...],
    resamples: int,
    seed: int | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Pool every question's judgments with each method; one row per question and method."""
    from elicit.analysis import aggregates, longform

    known = aggregates.known_methods()
    unknown = sorted(set(methods) - set(known))
    if unknown:
        fail(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if resamples == 1:
        fail("--bootstrap needs at least 2 resamples (or 0 for no intervals)")
    full = _read_all(judgments, percent)
    table = _round(full, judgments, round_)
    bootstrap = aggregates.Bootstrap(resamples, aggregates.DEFAULT_SEED if seed is None else seed)
    try:
        pooled = aggregates.pool_round(table, full=full, methods=methods, bootstrap=bootstrap)
    except longform.FormatError as error:
        _refuse(judgments, error)
    except ValueError as error:
        fail(str(error))
    for note in pooled.notes:
        click.echo(f"note: {note}", err=True)
    if not pooled.blocks:
        fail("no binary (p), three-point (lower/best/upper) or quantile judgments to pool")
    _emit(pooled.blocks, fmt, output)


@click.command(
    "score",
    help="Score every expert and every pooling method on resolved binary questions "
    "(Brier score and its decomposition, log score, AUC, peer score); a three-point "
    "judgment's best estimate is its probability, and a file of three-point judgments "
    "alone back-tests the aggreCAT pools too. OUTCOMES is a CSV "
    "question_id,outcome with yes, no or annulled (as elicit questions resolve takes them; "
    "1 and 0 too); annulled questions are not scored. " + RECENCY,
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
    from elicit.analysis import calibration, longform

    full = _read_all(judgments, percent)
    table = _round(full, judgments, round_)
    try:
        outcome = longform.read_outcomes(outcomes, table.questions)
    except longform.FormatError as error:
        _refuse(outcomes, error)
    try:
        scores = calibration.score(table, outcome, full=full, bins=bins)
    except longform.FormatError as error:
        _refuse(judgments, error)
    except calibration.ScoringError as error:
        fail(str(error))
    for note in scores.notes:
        click.echo(f"note: {note}", err=True)
    _emit(scores.blocks(), fmt, output)


@click.command(
    "cooke",
    help="Cooke's classical model on an EXCALIBUR study: DTT is the experts' quantiles "
    "(STUDY.dtt), RLS the realizations (STUDY.rls; found beside the .dtt if not given). "
    "Writes each expert's calibration, information and weight, and the decision maker's "
    "scores and quantiles. --weighting user takes the weights from a CSV expert_id,weight "
    "(--weights).",
)
@click.argument("dtt", type=_file)
@click.argument("rls", type=_file, required=False)
@click.option(
    "--weighting",
    type=click.Choice(["global", "item", "equal", "user"]),
    default="global",
    show_default=True,
)
@click.option(
    "--weights",
    "weights_file",
    type=_file,
    help="With --weighting user: a CSV expert_id,weight giving every expert of the study a "
    "weight (relative, at least 0).",
)
@click.option(
    "--alpha", type=click.FloatRange(min=0), help="Significance level (default: optimised)."
)
@click.option(
    "--overshoot",
    type=click.FloatRange(min=0),
    default=DEFAULT_OVERSHOOT,
    show_default=True,
    help="Overshoot of the intrinsic range.",
)
@output_options
def cooke_command(
    dtt: Path,
    rls: Path | None,
    weighting: str,
    weights_file: Path | None,
    alpha: float | None,
    overshoot: float,
    fmt: str,
    output: Path | None,
) -> None:
    """Run the classical model and write expert rows, a DM row and the DM's quantiles."""
    expects = (
        "cooke reads an EXCALIBUR study: STUDY.dtt (the experts' quantiles) and, beside it "
        "or given after it, STUDY.rls (the realizations)"
    )
    if dtt.suffix.lower() != ".dtt":
        fail(f"{dtt} is not a .dtt file; {expects}")
    if rls is not None and rls.suffix.lower() != ".rls":
        fail(f"{rls} is not a .rls file; {expects}")
    rls = rls or next(
        (p for p in (dtt.with_suffix(".rls"), dtt.with_suffix(".RLS")) if p.exists()), None
    )
    if rls is None:
        fail(f"no realizations file: give STUDY.rls or put it beside {dtt}")
    if weighting in ("equal", "user") and alpha is not None:
        fail(f"--alpha applies to global and item weighting; {weighting} weighting has none")
    if (weighting == "user") != (weights_file is not None):
        fail("--weighting user and --weights FILE go together")
    from elicit.analysis import calibration, longform

    try:
        study = calibration.read_excalibur(dtt, rls)
    except ValueError as error:
        fail(f"{dtt}: {error}")
    user: dict[str, float] = {}
    if weights_file is not None:
        try:
            given = longform.read_weights(weights_file, study.expert_ids)
        except longform.FormatError as error:
            _refuse(weights_file, error)
        user = dict(zip(study.expert_ids, given.tolist(), strict=True))
    try:
        model = calibration.excalibur_model(
            study, weighting=weighting, alpha=alpha, overshoot=overshoot, user_weights=user
        )
    except ValueError as error:
        fail(f"{dtt}: {error}")
    _emit(model.blocks(), fmt, output)


@click.command(
    "fit",
    help="Fit distributions to every expert's quantiles (SHELF's families, least squares on "
    "the CDF) and pool them per question (linear pool of the best fits, and quantile averaging).",
)
@click.argument("judgments", type=_file)
@round_option
@click.option("--lower", type=float, default=float("-inf"), help="Lower bound of every quantity.")
@click.option("--upper", type=float, default=float("inf"), help="Upper bound of every quantity.")
@click.option(
    "--family",
    "families",
    multiple=True,
    help="Fit only this family (repeatable; names: elicit.core.distributions.FAMILIES); "
    "default every family the bounds allow.",
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
    import numpy as np

    from elicit.analysis import longform
    from elicit.analysis.arrow import from_numpy, strings
    from elicit.analysis.results import Block, Record
    from elicit.core import distributions

    unknown = sorted(set(families) - set(distributions.FAMILIES))
    if unknown:
        fail(
            f"unknown family(ies) {', '.join(unknown)}; known: {', '.join(distributions.FAMILIES)}"
        )
    table = _round(_read_all(judgments, False), judgments, round_)
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
    settings = {
        "lower": lower if np.isfinite(lower) else None,
        "upper": upper if np.isfinite(upper) else None,
        "tdf": 3.0,
        "families": list(families) or None,
    }
    question_ids = strings(table.questions)
    expert_ids = strings(table.experts)
    blocks = []
    for f, family in enumerate(distributions.FAMILIES):
        rows = np.flatnonzero(np.isfinite(fitted.ssq[:, f]))
        names = distributions.PARAMETER_NAMES[family]
        blocks.append(
            Block(
                rows.size,
                {
                    "record": "fit",
                    "question_id": question_ids.take(from_numpy(questions[rows])),
                    "expert_id": expert_ids.take(from_numpy(experts[rows])),
                    "method": family,
                    "parameters": settings,
                    "fitted": Record(
                        {name: fitted.params[rows, f, k] for k, name in enumerate(names)}
                    ),
                    "ssq": fitted.ssq[rows, f],
                    "best": fitted.best_family[rows] == family,
                },
            )
        )
    counts = np.bincount(questions, minlength=n)
    answered = np.flatnonzero(counts)
    for method, result in (("linear_pool_best_fit", pooled), ("vincentize", averaged)):
        blocks.append(
            Block(
                answered.size,
                {
                    "record": "pool",
                    "question_id": question_ids.take(from_numpy(answered)),
                    "method": method,
                    "parameters": settings,
                    "n": counts[answered],
                }
                | {
                    f"q{level * 100:g}": np.asarray(result, dtype=float)[answered, k]
                    for k, level in enumerate(levels.tolist())
                },
            )
        )
    _emit(blocks, fmt, output)


def _check_quantities(values, lower, upper, table, questions, experts) -> None:  # noqa: ANN001
    """Exit 2 naming each judgment whose quantiles do not increase or leave the bounds."""
    import numpy as np

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
