"""Geometry of the small inline SVG charts: the experts' feedback and the dashboard's trends.

Two pictures of a closed round's answers to one question (``templates/answering/_chart.html``):

- a dot plot for probabilities, one dot per expert, stacked where answers are close;
- a range plot for intervals and quantities, one line per expert from the
  lower to the upper value with a dot at the best estimate (or median).

Both mark the panel's median (a line) and interquartile range (a band), and
draw the viewing expert's own answer in a different shape and colour. And one
of a question across rounds, for the facilitator's dashboard
(``templates/facilitating/_trend.html``): :func:`trend`. The figures
themselves come from :mod:`elicit.core`; this module only places them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from flask_babel import gettext, ngettext

from elicit import formatting

WIDTH = 320
LEFT, RIGHT = 16, 304
DOT_RADIUS = 3.5
ROW = 9
AXIS_SPACE = 30
TOP = 14


@dataclass(frozen=True)
class Mark:
    """One expert's answer as drawn: a dot at ``x`` (and a line from ``x1`` to ``x2``) at ``y``."""

    x: float
    y: float
    own: bool
    x1: float | None = None
    x2: float | None = None


@dataclass(frozen=True)
class Chart:
    """Everything the SVG template draws, in SVG user units (``WIDTH`` wide).

    ``order[k]`` is the index, among the answers laid out, of the answer
    ``marks[k]`` draws.
    """

    height: float
    axis_y: float
    ticks: list[tuple[float, str]]
    marks: list[Mark]
    median_x: float
    band: tuple[float, float]
    title: str
    description: str
    width: int = WIDTH
    ranges: bool = field(default=False)
    order: tuple[int, ...] = ()


def with_own(chart: Chart, index: int, answer: str) -> Chart:
    """Return ``chart`` with answer ``index`` drawn as the viewer's own, ``answer`` in words.

    ``chart`` was laid out with no answer as the viewer's; the description
    gains the sentence naming the viewer's answer.
    """
    marks = [
        replace(m, own=True) if i == index else m
        for m, i in zip(chart.marks, chart.order, strict=True)
    ]
    return replace(chart, marks=marks, description=" ".join([chart.description, own_words(answer)]))


def own_words(answer: str) -> str:
    """Say which answer on a chart is the viewer's (``answer`` as shown)."""
    # TRANSLATORS: follows the chart's description; the viewer's answer is drawn as a ring.
    return gettext("Your answer, drawn as a ring: %(answer)s.", answer=answer)


class Axis:
    """Maps values to x positions on a linear or logarithmic axis over ``[low, high]``."""

    def __init__(self, low: float, high: float, log: bool = False) -> None:
        """Set up the axis; a degenerate domain is widened so every value has a place."""
        if log:
            low, high = math.log10(low), math.log10(high)
        if high <= low:
            pad = abs(low) * 0.1 or 1.0
            low, high = low - pad, high + pad
        self.low, self.high, self.log = low, high, log

    def x(self, value: float) -> float:
        """Return the x position of ``value``."""
        v = math.log10(value) if self.log else value
        return round(LEFT + (v - self.low) / (self.high - self.low) * (RIGHT - LEFT), 2)

    def ticks(self, label: Callable[[float], str]) -> list[tuple[float, str]]:
        """Return round-numbered ticks (decades, or 1-2-5 on a short log axis) and labels."""
        if self.log:
            values = [10.0**k for k in range(math.ceil(self.low), math.floor(self.high) + 1)]
            if len(values) < 3:
                values = sorted(
                    m * 10.0**k
                    for k in range(math.floor(self.low), math.ceil(self.high) + 1)
                    for m in (1, 2, 5)
                    if self.low <= math.log10(m * 10.0**k) <= self.high
                )
        else:
            raw = (self.high - self.low) / 5
            magnitude = 10 ** math.floor(math.log10(raw))
            step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
            first = math.ceil(self.low / step) * step
            count = int(math.floor((self.high - first) / step + 1e-9)) + 1
            values = [first + i * step for i in range(count)]
        return [(self.x(v), label(v)) for v in values]


def dot_plot(
    values: Sequence[float], own: int | None, median: float, band: tuple[float, float]
) -> Chart:
    """Lay out probabilities (fractions) as stacked dots on a 0-100 % axis.

    ``own`` is the index of the viewing expert's answer in ``values``, if any.
    Answers within 2.5 percentage points of each other share a column.
    """
    axis = Axis(0.0, 1.0)
    columns: dict[int, int] = {}
    placed = []
    for i, value in enumerate(values):
        column = min(int(value * 40), 39)
        level = columns.get(column, 0)
        columns[column] = level + 1
        placed.append((axis.x(value), level, i == own))
    tallest = max(columns.values(), default=1)
    axis_y = TOP + tallest * (2 * DOT_RADIUS + 1) + 4
    marks = [
        Mark(x=x, y=axis_y - 4 - DOT_RADIUS - level * (2 * DOT_RADIUS + 1), own=is_own)
        for x, level, is_own in placed
    ]
    return Chart(
        height=axis_y + AXIS_SPACE,
        axis_y=axis_y,
        ticks=axis.ticks(partial(formatting.tick, probability=True)),
        marks=marks,
        median_x=axis.x(median),
        band=(axis.x(band[0]), axis.x(band[1])),
        # TRANSLATORS: the title of a chart of the panel's answers to one question.
        title=gettext("Panel's answers"),
        description=_describe(len(values), median, band, values, own, formatting.probability),
        order=tuple(range(len(values))),
    )


def range_plot(
    rows: Sequence[tuple[float, float, float]],
    own: int | None,
    median: float,
    band: tuple[float, float],
    *,
    domain: tuple[float, float] | None = None,
    log: bool = False,
    probability: bool = False,
    unit: str | None = None,
) -> Chart:
    """Lay out ranges ``(low, best, high)`` as one line each, sorted by best estimate.

    ``domain`` fixes the axis (0-1 for probabilities); otherwise it spans the
    answers with a little room on each side. ``log`` draws a log axis (all
    values positive). ``unit`` is named in the description of a quantity.
    """
    if domain is None:
        low = min(r[0] for r in rows)
        high = max(r[2] for r in rows)
        if log:
            low, high = low / 1.15, high * 1.15
        else:
            pad = (high - low) * 0.05
            low, high = low - pad, high + pad
        domain = (low, high)
    axis = Axis(*domain, log=log)
    order = sorted(range(len(rows)), key=lambda i: rows[i][1])
    marks = [
        Mark(
            x=axis.x(rows[i][1]),
            y=TOP + k * ROW + ROW / 2,
            own=i == own,
            x1=axis.x(rows[i][0]),
            x2=axis.x(rows[i][2]),
        )
        for k, i in enumerate(order)
    ]
    axis_y = TOP + len(rows) * ROW + 4
    label = partial(formatting.tick, probability=probability)
    shown = formatting.probability if probability else partial(formatting.quantity, unit=unit)
    return Chart(
        height=axis_y + AXIS_SPACE,
        axis_y=axis_y,
        ticks=axis.ticks(label),
        marks=marks,
        median_x=axis.x(median),
        band=(axis.x(band[0]), axis.x(band[1])),
        # TRANSLATORS: the title of a chart of the panel's ranges for one question.
        title=gettext("Panel's ranges"),
        description=_describe(len(rows), median, band, [r[1] for r in rows], own, shown),
        ranges=True,
        order=tuple(order),
    )


def _describe(
    count: int,
    median: float,
    band: tuple[float, float],
    values: Sequence[float],
    own: int | None,
    show: Callable[[float], str],
) -> str:
    """Describe the chart in words, for screen readers and anyone who cannot see it.

    In the request's language, with every figure written by ``show``.
    """
    # TRANSLATORS: describes a chart; the figures are percentages or numbers with a unit.
    words = ngettext(
        "%(count)s answer; median %(median)s, interquartile range %(low)s to %(high)s.",
        "%(count)s answers; median %(median)s, interquartile range %(low)s to %(high)s.",
        count,
        count=formatting.integer(count),
        median=show(median),
        low=show(band[0]),
        high=show(band[1]),
    )
    if own is None:
        return words
    return " ".join([words, own_words(show(values[own]))])


TREND_WIDTH, TREND_HEIGHT = 160, 56
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 8, 152, 6, 50


@dataclass(frozen=True)
class Trend:
    """A small picture of one question across rounds: the median as a line, the IQR as a band.

    ``line`` and ``band`` are SVG point lists; ``dots`` the median of each round.
    """

    line: str
    band: str
    dots: list[tuple[float, float]]
    title: str
    description: str
    width: int = TREND_WIDTH
    height: int = TREND_HEIGHT


def trend(
    rounds: Sequence[tuple[int, float, float, float]], question: object, log: bool = False
) -> Trend:
    """Lay out (round number, median, lower quartile, upper quartile) for a convergence chart.

    Probabilities are drawn on 0-100 %; quantities between the smallest lower
    and the largest upper quartile (on a log axis when ``log`` and all are
    positive). Rounds are spaced evenly, the first at the left edge.
    """
    values = [v for _, median, low, high in rounds for v in (median, low, high)]
    if getattr(question, "kind", None) == "quantity":
        log = log and min(values, default=1.0) > 0
        low, high = min(values, default=0.0), max(values, default=1.0)
    else:
        low, high, log = 0.0, 1.0, False
    axis = Axis(low, high, log)
    span = TREND_BOTTOM - TREND_TOP

    def y(value: float) -> float:
        fraction = (axis.x(value) - LEFT) / (RIGHT - LEFT)
        return round(TREND_BOTTOM - fraction * span, 2)

    steps = max(len(rounds) - 1, 1)
    xs = [round(TREND_LEFT + i * (TREND_RIGHT - TREND_LEFT) / steps, 2) for i in range(len(rounds))]
    upper = [(x, y(r[3])) for x, r in zip(xs, rounds, strict=True)]
    lower = [(x, y(r[2])) for x, r in zip(xs, rounds, strict=True)]
    dots = [(x, y(r[1])) for x, r in zip(xs, rounds, strict=True)]
    parts = [
        # TRANSLATORS: part of a chart's description: one round's median and interquartile range.
        gettext(
            "round %(number)s: median %(median)s, middle half %(range)s",
            number=number,
            median=formatting.figure(median, question),
            range=formatting.interval(q25, q75, question),
        )
        for number, median, q25, q75 in rounds
    ]
    return Trend(
        line=" ".join(f"{x},{y}" for x, y in dots),
        band=" ".join(f"{x},{y}" for x, y in upper + lower[::-1]),
        dots=dots,
        # TRANSLATORS: the title of a small chart of one question's answers across rounds.
        title=gettext("Median and middle half of the answers, round by round"),
        description="; ".join(parts) + ".",
    )
