"""Pooled forecasts of one round: every applicable pool per question, with bootstrap intervals.

One function, :func:`pool_round`, computes them from a
:class:`~elicit.analysis.longform.Judgments` for ``elicit pool``, the analyst's
pages and the exports alike, so a figure cannot read differently in two places:

* binary questions (``p``): every pool of :data:`elicit.core.pooling.METHODS`
  (in one pass, :func:`elicit.core.pooling.pool_all`);
* three-point questions (``lower``/``best``/``upper``): the aggreCAT family
  (:data:`elicit.core.aggrecat.METHODS`; the shift methods only on a round after
  the first, with every judgment's round-1 counterpart given);
* quantity questions (quantiles): the linear pool of each judgment's best fitting
  distribution (:func:`elicit.core.distributions.fit_quantiles`, no bounds, then
  :func:`~elicit.core.distributions.linear_pool_quantiles`) and quantile averaging
  (:func:`~elicit.core.distributions.vincentize`).

Rows are tidy, one per (question, round, method, quantile) with the columns
:data:`COLUMNS`. A probability pool has one row, ``quantile`` empty. A quantity
pool has one row per quantile level the question asks for, ``quantile`` giving
the level; the linear pool also gives level 0.5 (the pooled median, the pool's
``value`` on the pages) when the question does not ask for it. ``round`` is the
round judged, empty when the rows mix rounds (``elicit pool`` without
``--round`` on a file of several rounds: each expert's last round).

With ``resamples`` > 0 each row has a percentile bootstrap interval over experts
(:func:`elicit.core.consensus.grouped_bootstrap_ci`): a question's judgments are
resampled with replacement, whole (the three points, or all quantiles of a
judgment, together), ``resamples`` times, from a generator seeded with ``seed``
for every method alike (so one method's interval does not depend on which others
were asked for). The row's ``parameters`` then record ``bootstrap`` (the number
of resamples), ``seed`` and ``level`` (and ``grid_size`` for the linear pool of
fitted distributions, whose resamples are evaluated on a grid by
:func:`~elicit.core.distributions.bootstrap_linear_pool_quantiles`). Judgments
are resampled in the order of question and expert id, so the same judgments in
any row order give the same interval.

:func:`consensus` gives each question's count, mean, median, quartiles, IQR and
coefficient of variation of the experts' central values (:data:`CONSENSUS`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from elicit.analysis import longform
from elicit.analysis.arrow import from_numpy, strings
from elicit.analysis.longform import FormatError, Judgments
from elicit.analysis.methods import parameters
from elicit.analysis.results import Block

DEFAULT_RESAMPLES = 1000
"""Bootstrap resamples the pages and downloads use (``elicit pool --bootstrap 1000``)."""
DEFAULT_SEED = 12
"""The seed the pages and downloads use (``elicit pool --seed 12``)."""
DEFAULT_LEVEL = 0.95
"""Confidence level of every interval."""
GRID_SIZE = 512
"""Points per question and level at which the linear pool's bootstrap evaluates the fits."""

QUANTITY_METHODS = ("linear_pool_best_fit", "vincentize")
COLUMNS = (
    "question_id",
    "round",
    "method",
    "quantile",
    "parameters",
    "n",
    "value",
    "low",
    "high",
)
CONSENSUS = ("question_id", "round", "n", "mean", "median", "q25", "q75", "iqr", "cv")


def known_methods() -> list[str]:
    """Every method name :func:`pool_round` takes, sorted."""
    from elicit.core import aggrecat, pooling

    return sorted(set(pooling.METHODS) | set(aggrecat.METHODS) | set(QUANTITY_METHODS))


@dataclass(frozen=True)
class Bootstrap:
    """How intervals are drawn: ``resamples`` (0 for none), ``seed`` and ``level``."""

    resamples: int = 0
    seed: int = DEFAULT_SEED
    level: float = DEFAULT_LEVEL

    def parameters(self) -> dict[str, object]:
        """Return what a row's ``parameters`` record of the bootstrap (nothing without one)."""
        if not self.resamples:
            return {}
        return {"bootstrap": self.resamples, "level": self.level, "seed": self.seed}

    def interval(
        self, pool: Callable, values: np.ndarray, groups: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Return the interval of ``pool`` per question (None without a bootstrap)."""
        if not self.resamples:
            return None
        from elicit.core.consensus import grouped_bootstrap_ci  # imports scipy.stats: slow

        result = grouped_bootstrap_ci(
            pool, values, groups, n, n_resamples=self.resamples, level=self.level, seed=self.seed
        )
        return result.low, result.high


@dataclass
class Pools:
    """The result of :func:`pool_round`: row blocks (:data:`COLUMNS`) and notes for the user."""

    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def pool_round(
    table: Judgments,
    *,
    full: Judgments | None = None,
    methods: Sequence[str] = (),
    bootstrap: Bootstrap | None = None,
) -> Pools:
    """Pool every question of ``table`` with every applicable method (or those in ``methods``).

    ``table`` holds the judgments to pool (one round, or each expert's last);
    ``full`` is every round, for the aggreCAT methods that need round 1 (default
    ``table``).

    Raises
    ------
    FormatError
        If a three-point judgment is incomplete or out of order, or a quantity
        judgment's quantiles do not increase.
    ValueError
        If a method name is unknown.
    """
    unknown = sorted(set(methods) - set(known_methods()))
    if unknown:
        raise ValueError(
            f"unknown method(s) {', '.join(unknown)}; known: {', '.join(known_methods())}"
        )
    boot = bootstrap or Bootstrap()
    context = _Context(table, _one_round(table), methods, boot)
    result = Pools()
    result.blocks += _binary(context)
    result.blocks += _three_point(context, full if full is not None else table, result.notes)
    result.blocks += _quantities(context, result.notes)
    return result


def _one_round(table: Judgments) -> int | None:
    """Return the round of ``table``'s rows if they are all of one round, else None."""
    if not table.round.size or table.round.min() != table.round.max():
        return None
    return int(table.round[0])


@dataclass(frozen=True)
class _Context:
    table: Judgments
    round: int | None
    methods: Sequence[str]
    bootstrap: Bootstrap

    def wants(self, name: str) -> bool:
        return not self.methods or name in self.methods

    def block(
        self,
        counts: np.ndarray,
        method: str,
        params: dict,
        value: np.ndarray,
        interval: tuple[np.ndarray, np.ndarray] | None,
        quantile: float | None = None,
    ) -> Block:
        """Rows of one method (at one quantile level): one per question with judgments."""
        answered = np.flatnonzero(counts)
        ids = strings(self.table.questions).take(from_numpy(answered))
        nothing = np.full(counts.size, np.nan)
        low, high = interval or (nothing, nothing)
        return Block(
            answered.size,
            {
                "question_id": ids,
                "round": self.round,
                "method": method,
                "quantile": quantile,
                "parameters": dict(sorted((params | self.bootstrap.parameters()).items())),
                "n": counts[answered],
                "value": np.asarray(value, dtype=float)[answered],
                "low": np.asarray(low, dtype=float)[answered],
                "high": np.asarray(high, dtype=float)[answered],
            },
        )


def _by_question(groups: np.ndarray, experts: np.ndarray) -> np.ndarray:
    """Order rows by question, then expert: the order judgments are resampled in."""
    return np.lexsort((experts, groups))


def _indexed(function: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> Callable:
    """Make ``function`` a pool over row indices (passed as the bootstrap's values)."""

    def pool(rows: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
        return function(np.asarray(rows, dtype=np.intp), groups, n)

    return pool


def _binary(context: _Context) -> list[Block]:
    """Pool the probabilities with the methods of ``pooling.METHODS`` wanted."""
    from elicit.core import pooling

    table = context.table
    values, groups, experts = longform.probabilities(table)
    wanted = [name for name in pooling.METHODS if context.wants(name)]
    if not values.size or not wanted:
        return []
    n = len(table.questions)
    rows = np.flatnonzero(table.kind == longform.P)
    times = None if table.time is None else table.time[rows]
    if len(wanted) == len(pooling.METHODS):
        pooled = pooling.pool_all(values, groups, n, times=times)
    else:
        recency = {"recency_weighted_median": {"times": times}}
        pooled = {
            name: pooling.METHODS[name](values, groups, n, **recency.get(name, {}))
            for name in wanted
        }
    counts = np.bincount(groups, minlength=n)
    blocks = []
    for name in wanted:
        params = parameters(pooling.METHODS[name])
        if name == "recency_weighted_median":
            params["recency"] = "time column" if table.time is not None else "row order"
            interval = _recency_interval(context, values, groups, experts, times)
        else:
            interval = context.bootstrap.interval(
                lambda v, g, k, name=name: pooling.pool(name, v, g, k), values, groups, n
            )
        blocks.append(context.block(counts, name, params, pooled[name], interval))
    return blocks


def _recency_interval(
    context: _Context,
    values: np.ndarray,
    groups: np.ndarray,
    experts: np.ndarray,
    times: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Bootstrap the recency-weighted median, each judgment's time (or row) going with it."""
    from elicit.core import pooling

    if not context.bootstrap.resamples:
        return None
    order = _by_question(groups, experts)
    clock = (times if times is not None else np.arange(values.size, dtype=float))[order]
    ordered = values[order]

    def recent(at: np.ndarray, g: np.ndarray, n_groups: int) -> np.ndarray:
        return pooling.recency_weighted_median_pool(ordered[at], g, n_groups, times=clock[at])

    positions = np.arange(values.size, dtype=float)
    n = len(context.table.questions)
    return context.bootstrap.interval(_indexed(recent), positions, groups[order], n)


def _three_point(context: _Context, full: Judgments, notes: list[str]) -> list[Block]:
    """Pool the three-point judgments with the aggreCAT methods wanted."""
    from elicit.core import aggrecat

    table = context.table
    points, groups, experts = longform.three_points(table)
    if not points.size:
        return []
    n, n_experts = len(table.questions), len(table.experts)
    pooled_rounds = table.round[(table.kind >= longform.LOWER) & (table.kind <= longform.UPPER)]
    round1 = round_one(full, groups, experts) if (pooled_rounds > 1).any() else None
    counts = np.bincount(groups, minlength=n)
    blocks = []
    for name in aggrecat_methods(context.wants, round1, notes):

        def run(at: np.ndarray, g: np.ndarray, n_groups: int, name: str = name) -> np.ndarray:
            # resample b's experts are b * n_experts + e, so per-expert terms stay in their resample
            # (made, like the round-1 values, only for the methods that use them)
            who = (g // n) * n_experts + experts[at] if name in aggrecat.NEEDS_EXPERTS else None
            first = None
            if round1 is not None and name in aggrecat.NEEDS_ROUND1:
                first = tuple(part[at] for part in round1)
            return aggrecat_pool(name, points[at], g, n_groups, experts=who, round1=first)

        every = np.arange(groups.size)
        pooled = run(every, groups, n)
        interval = context.bootstrap.interval(_indexed(run), every.astype(float), groups, n)
        params = parameters(aggrecat.METHODS[name])
        blocks.append(context.block(counts, name, params, pooled, interval))
    return blocks


def aggrecat_methods(
    wanted: Callable[[str], bool], round1: tuple | None, notes: list[str]
) -> list[str]:
    """Return the aggreCAT methods to run: those ``wanted`` that the round-1 values allow.

    A shift method (``aggrecat.NEEDS_ROUND1``) needs each judgment's round-1
    values (``round1``, from :func:`round_one`); without them it is left out
    and a note in ``notes`` says so.
    """
    from elicit.core import aggrecat

    chosen = []
    for name in aggrecat.METHODS:
        if not wanted(name):
            continue
        if name in aggrecat.NEEDS_ROUND1 and round1 is None:
            notes.append(f"{name} needs a round after the first and its round-1 judgments; skipped")
            continue
        chosen.append(name)
    return chosen


def aggrecat_pool(
    name: str,
    points: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    *,
    experts: np.ndarray | None,
    round1: tuple | None,
) -> np.ndarray:
    """Pool three-point judgments (``points``: lower, best, upper columns) with aggreCAT ``name``.

    The one call of :data:`elicit.core.aggrecat.METHODS` for the pools and the
    back-test: the method gets each judgment's expert and round-1 values
    (:func:`round_one`) if it uses them.
    """
    from elicit.core import aggrecat

    kwargs: dict[str, object] = {}
    if name in aggrecat.NEEDS_EXPERTS:
        kwargs["experts"] = experts
    if name in aggrecat.NEEDS_ROUND1 and round1 is not None:
        kwargs["round1"] = round1
    return aggrecat.METHODS[name](
        points[:, 0], points[:, 1], points[:, 2], groups, n_groups, **kwargs
    )


def round_one(full: Judgments, groups: np.ndarray, experts: np.ndarray) -> tuple | None:
    """Return each three-point judgment's round-1 values, if all have one and a round 2 exists."""
    if not (full.round > 1).any():
        return None
    first, g1, e1 = longform.three_points(full.select(1))
    n_experts = len(full.experts)
    known, wanted = g1 * n_experts + e1, groups * n_experts + experts
    at = np.minimum(np.searchsorted(known, wanted), max(known.size - 1, 0))
    if not known.size or not (known[at] == wanted).all():
        return None
    matched = first[at]
    return matched[:, 0], matched[:, 1], matched[:, 2]


def _quantities(context: _Context, notes: list[str]) -> list[Block]:
    """Pool the quantities: linear pool of fitted distributions, quantile averaging.

    Questions are pooled together when they ask for the same quantile levels; a
    judgment that gives only some of its question's levels is left out (with a note).
    """
    wanted = [name for name in QUANTITY_METHODS if context.wants(name)]
    table = context.table
    levels, grid = longform.quantiles(table)
    if not levels.size or not wanted:
        return []
    asked = ~np.isnan(grid).all(axis=0)  # (question, level): some expert gave it
    given = ~np.isnan(grid)
    complete = (given == asked[None]).all(axis=2) & given.any(axis=2)
    partial = int((given.any(axis=2) & ~complete).sum())
    if partial:
        notes.append(f"{partial} quantity judgment(s) give only some of their question's levels")
    blocks: list[Block] = []
    patterns, which = np.unique(asked, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
        if not pattern.any():
            continue
        questions = np.flatnonzero(which.reshape(-1) == p)
        experts, at = np.nonzero(complete[:, questions])
        if experts.size:
            groups = questions[at]
            order = _by_question(groups, experts)
            values = grid[experts[order], groups[order]][:, pattern]
            blocks += _pool_quantities(
                context, wanted, levels[pattern], values, groups[order], experts[order]
            )
    return blocks


def _pool_quantities(
    context: _Context,
    wanted: list[str],
    levels: np.ndarray,
    values: np.ndarray,
    groups: np.ndarray,
    experts: np.ndarray,
) -> list[Block]:
    """Pool quantity judgments that share ``levels``, rows ordered by question and expert."""
    from elicit.core import distributions

    table = context.table
    _check_rising(table, values, groups, experts)
    blocks = []
    if "linear_pool_best_fit" in wanted:
        fitted = distributions.fit_quantiles(values, levels, -np.inf, np.inf)
        codes, params, low, high = fitted.distributions()
        out = np.union1d(levels, [0.5])
        n = len(table.questions)
        boot = context.bootstrap
        settings: dict[str, object] = {"lower": None, "upper": None, "families": None}
        if not boot.resamples:
            pooled = distributions.linear_pool_quantiles(out, codes, params, low, high, groups, n)
            interval = None
        else:
            # the bootstrap evaluates each fit on a grid once (the generic one would bisect
            # every resample's pool): see bootstrap_linear_pool_quantiles
            pooled, lows, highs, _ = distributions.bootstrap_linear_pool_quantiles(
                out,
                codes,
                params,
                low,
                high,
                groups,
                n,
                n_resamples=boot.resamples,
                level=boot.level,
                seed=boot.seed,
                grid_size=GRID_SIZE,
            )
            interval = (lows, highs)
            settings["grid_size"] = GRID_SIZE
        blocks += _levels(context, groups, "linear_pool_best_fit", settings, out, pooled, interval)
    if "vincentize" in wanted:

        def average(at: np.ndarray, g: np.ndarray, n_groups: int) -> np.ndarray:
            return distributions.vincentize(values[at], g, n_groups)

        blocks += _per_level(context, groups, "vincentize", {}, levels, average)
    return blocks


def _per_level(
    context: _Context,
    groups: np.ndarray,
    method: str,
    params: dict,
    levels: np.ndarray,
    pool: Callable,
) -> list[Block]:
    """One block per quantile level of a quantity pool (over rows ``0..len(groups)``)."""
    n = len(context.table.questions)
    every = np.arange(groups.size)
    pooled = pool(every, groups, n)
    interval = context.bootstrap.interval(_indexed(pool), every.astype(float), groups, n)
    return _levels(context, groups, method, params, levels, pooled, interval)


def _levels(
    context: _Context,
    groups: np.ndarray,
    method: str,
    params: dict,
    levels: np.ndarray,
    pooled: np.ndarray,
    interval: tuple[np.ndarray, np.ndarray] | None,
) -> list[Block]:
    """One block per quantile level of a quantity pool's result ``pooled`` (question, level)."""
    counts = np.bincount(groups, minlength=len(context.table.questions))
    return [
        context.block(
            counts,
            method,
            params,
            pooled[:, k],
            None if interval is None else (interval[0][:, k], interval[1][:, k]),
            float(level),
        )
        for k, level in enumerate(levels.tolist())
    ]


def _check_rising(
    table: Judgments, values: np.ndarray, groups: np.ndarray, experts: np.ndarray
) -> None:
    """Refuse quantity judgments whose quantiles do not increase, naming each.

    Raises
    ------
    FormatError
    """
    bad = np.flatnonzero(~(np.diff(values, axis=1) > 0).all(axis=1))
    if bad.size:
        raise FormatError(
            [
                f"question {table.questions[groups[i]]!r}, expert {table.experts[experts[i]]!r}: "
                f"quantiles {', '.join(f'{v:g}' for v in values[i])} do not increase"
                for i in bad[: longform.MAX_PROBLEMS].tolist()
            ],
            more=max(bad.size - longform.MAX_PROBLEMS, 0),
        )


def consensus(table: Judgments) -> Block:
    """Each question's consensus statistics (:data:`CONSENSUS`) over its experts' central values.

    The central value is the probability, the best estimate of a three-point
    judgment, or a quantity judgment's median (its middle quantile when the
    question asks for no median), as the facilitator's dashboard takes it.
    """
    from elicit.core.consensus import grouped_cv, grouped_iqr, grouped_mean, grouped_quantiles

    rows = table.kind <= longform.BEST
    rows &= table.kind != longform.LOWER
    levels, grid = longform.quantiles(table)
    values = [table.value[rows]]
    groups = [table.question[rows]]
    if levels.size:
        asked = ~np.isnan(grid).all(axis=0)
        for q in np.flatnonzero(asked.any(axis=1)).tolist():
            own = np.flatnonzero(asked[q])
            middle = own[np.searchsorted(levels[own], 0.5)] if 0.5 in levels[own] else None
            column = middle if middle is not None else own[own.size // 2]
            given = np.flatnonzero(~np.isnan(grid[:, q, column]))
            values.append(grid[given, q, column])
            groups.append(np.full(given.size, q))
    v, g = np.concatenate(values), np.concatenate(groups).astype(np.intp)
    n = len(table.questions)
    counts = np.bincount(g, minlength=n)
    answered = np.flatnonzero(counts)
    stats = grouped_quantiles(v, g, n, [0.5, 0.25, 0.75])
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = grouped_cv(v, g, n)
    return Block(
        answered.size,
        {
            "question_id": strings(table.questions).take(from_numpy(answered)),
            "round": _one_round(table),
            "n": counts[answered],
            "mean": grouped_mean(v, g, n)[answered],
            "median": stats[answered, 0],
            "q25": stats[answered, 1],
            "q75": stats[answered, 2],
            "iqr": grouped_iqr(v, g, n)[answered],
            "cv": cv[answered],
        },
    )
