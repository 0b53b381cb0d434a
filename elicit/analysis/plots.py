"""Downloadable plots of a study's analysis, drawn by matplotlib: SVG, or PNG on request.

Each plot draws figures :mod:`elicit.analysis.calibration` computed (never its
own), labels its ticks through :mod:`elicit.formatting`, and has a title, axis
labels and units. Output is deterministic: the same data give the same bytes
(SVG ids come from a fixed salt and no date is written), so tests and caches
can compare files.

matplotlib is imported by the functions that draw, not with this module, and
only its object-oriented API with the Agg canvas is used: no pyplot, no global
figure state, safe in a threaded server.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from elicit import formatting
from elicit.analysis import calibration

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
"""The formats a plot is written in, and their media types."""

SIZE = (7.0, 4.5)
"""Inches; at PNG_DPI a PNG is 840 x 540 pixels."""

PNG_DPI = 120

RC: dict[Any, Any] = {
    "svg.hashsalt": "elicit",
    "svg.fonttype": "none",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""matplotlib settings of every plot: fixed SVG ids, and text kept as text (searchable)."""

PANEL_COLOUR, METHOD_COLOUR, DM_COLOUR = "#555555", "#1f5fa8", "#b3261e"


class NoData(LookupError):
    """The study has nothing this plot could show (no resolved question, say)."""


def _t(message: str, **variables: Any) -> str:
    """Translate a plot's words (into the active locale, as the page around it)."""
    return formatting.gettext(message, **variables)


def _canvas() -> Figure:
    """Return an empty figure on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _figure() -> tuple[Figure, Axes]:
    """Return a figure with one plot."""
    figure = _canvas()
    return figure, figure.add_subplot()


def _percent_axis(axis: Any) -> None:
    """Tick a probability axis every 20 %, labelled as the pages write percentages."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    axis.set_major_locator(MultipleLocator(0.2))
    axis.set_major_formatter(FuncFormatter(lambda v, _: formatting.tick(v, probability=True)))


def _number_axis(axis: Any) -> None:
    """Label a number axis's ticks as the pages write numbers."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: formatting.tick(v)))


def _log_axis(ax: Axes, values: list[float]) -> None:
    """Tick a logarithmic x axis at 1, 2 and 5 times powers of ten, labelled as numbers."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    positive = [v for v in values if v > 0]
    low, high = min(positive) / 1.5, max(positive) * 1.5
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    ticks = [m * 10.0**k for k in decades for m in (1, 2, 5)]
    ticks = [t for t in ticks if low <= t <= high]
    if len(ticks) > 8:
        ticks = [10.0**k for k in decades if low <= 10.0**k <= high]
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: formatting.tick(v)))


def reliability(report: calibration.StudyCalibration) -> Figure:
    """Reliability diagram: observed frequency against forecast, per bin, with Wilson intervals.

    The panel's forecasts taken together and the best-ranked pooling method;
    a calibrated forecaster's points lie on the diagonal.
    """
    scores = _scores(report)
    figure, ax = _figure()
    figure.set_size_inches(5.5, 6.5)
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label=_t("Perfect"))
    best = scores.backtest.methods[0]
    for name, colour, label, shift in (
        (calibration.PANEL, PANEL_COLOUR, _t("All experts' forecasts"), -0.006),
        (best, METHOD_COLOUR, _t("Best method: %(method)s", method=best), 0.006),
    ):
        rows = scores.reliability_rows(name)
        x = np.array([r["mean_forecast"] for r in rows]) + shift
        y = np.array([r["observed"] for r in rows])
        err = np.array(
            [[r["observed"] - r["lower"] for r in rows], [r["upper"] - r["observed"] for r in rows]]
        )
        ax.errorbar(x, y, yerr=err, fmt="o", color=colour, capsize=3, label=label)
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal")
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    ax.set_title(_t("Reliability diagram (95% Wilson intervals)"))
    ax.set_xlabel(_t("Forecast probability (%)"))
    ax.set_ylabel(_t("Observed frequency (%)"))
    figure.legend(loc="outside lower center", frameon=False)
    return figure


def backtest(report: calibration.StudyCalibration) -> Figure:
    """Back-test ranking: each pooling method's Brier score on the resolved questions."""
    scores = _scores(report)
    result = scores.backtest
    figure, ax = _figure()
    figure.set_size_inches(SIZE[0], max(SIZE[1], 0.28 * len(result.methods) + 1.2))
    y = np.arange(len(result.methods))
    colours = [METHOD_COLOUR if i == 0 else "#8fa9c9" for i in y]
    ax.barh(y, result.brier, color=colours)
    ax.set_yticks(y, list(result.methods))
    ax.invert_yaxis()
    _number_axis(ax.xaxis)
    ax.set_title(_t("Back-test on %(n)s resolved questions", n=len(scores.questions)))
    ax.set_xlabel(_t("Brier score (0 to 1, lower is better)"))
    ax.set_ylabel(_t("Pooling method"))
    return figure


def cooke(report: calibration.StudyCalibration) -> Figure:
    """Calibration against information: each expert (by pseudonym) and the decision maker."""
    model = report.cooke
    if model is None or model.model is None:
        raise NoData("no calibration question with a known value")
    m = model.model
    figure, ax = _figure()
    ax.scatter(m.calibration, m.information_seeds, color=METHOD_COLOUR, label=_t("Experts"))
    for name, x, y in zip(model.experts, m.calibration, m.information_seeds, strict=True):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    dm = model.dm
    ax.scatter(
        [dm.calibration],
        [dm.information_seeds],
        color=DM_COLOUR,
        marker="D",
        label=_t("Decision maker (%(weighting)s weights)", weighting=model.weighting),
    )
    ax.set_xscale("log")
    _log_axis(ax, [*m.calibration.tolist(), dm.calibration])
    ax.set_title(_t("Cooke's classical model: calibration and information"))
    ax.set_xlabel(_t("Calibration score (p-value, log scale)"))
    ax.set_ylabel(_t("Information score on the seed questions (nats)"))
    ax.legend(loc="best", frameon=False)
    return figure


def answers(report: calibration.StudyCalibration) -> Figure:
    """Answers per round: how many judgments (expert x question) each round received."""
    progress = _progress(report)
    figure, ax = _figure()
    ax.bar([str(r) for r in progress.rounds.tolist()], progress.answers, color=METHOD_COLOUR)
    _number_axis(ax.yaxis)
    ax.set_title(_t("Answers per round"))
    ax.set_xlabel(_t("Round"))
    ax.set_ylabel(_t("Answers (one per expert and question)"))
    return figure


def convergence(report: calibration.StudyCalibration) -> Figure:
    """Convergence: each probability question's interquartile range, round by round."""
    progress = _progress(report)
    if not progress.questions:
        raise NoData("no probability question")
    figure, ax = _figure()
    rounds = progress.rounds
    iqr = progress.iqr * 100
    for line in iqr:
        ax.plot(rounds, line, color="#9db3cf", linewidth=1, marker=".")
    ax.plot([], [], color="#9db3cf", linewidth=1, marker=".", label=_t("Each question"))
    with np.errstate(all="ignore"):
        middle = np.nanmedian(iqr, axis=0)
    ax.plot(
        rounds,
        middle,
        color=METHOD_COLOUR,
        linewidth=2.5,
        marker="o",
        label=_t("Median over questions"),
    )
    ax.set_xticks(rounds, [str(r) for r in rounds.tolist()])
    _number_axis(ax.yaxis)
    ax.set_title(_t("Convergence across rounds (%(n)s questions)", n=len(progress.questions)))
    ax.set_xlabel(_t("Round"))
    ax.set_ylabel(_t("Interquartile range of the panel (percentage points)"))
    ax.legend(loc="best", frameon=False)
    return figure


def quantity(report: calibration.StudyCalibration, question: str) -> Figure:
    """Draw a quantity: each expert's range and fitted CDF, and the linear pool of the fits."""
    try:
        view = report.quantity_view(question)
    except (KeyError, ValueError) as error:
        raise NoData(str(error)) from error
    figure = _canvas()
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    for cdf in view.expert_cdf:
        top.plot(view.x, cdf, color="#9db3cf", linewidth=1)
    top.plot(view.x, view.pooled_cdf, color=METHOD_COLOUR, linewidth=2.5, label=_t("Linear pool"))
    top.plot([], [], color="#9db3cf", linewidth=1, label=_t("Each expert's fitted distribution"))
    _percent_axis(top.yaxis)
    top.set_ylim(0, 1)
    top.set_ylabel(_t("Cumulative probability (%)"))
    top.legend(loc="lower right", frameon=False)
    y = np.arange(len(view.experts))
    bottom.hlines(y, view.values[:, 0], view.values[:, -1], color=PANEL_COLOUR, linewidth=2)
    middle = view.values[:, view.values.shape[1] // 2]
    bottom.plot(middle, y, "o", color=PANEL_COLOUR)
    bottom.set_yticks(y, view.experts)
    bottom.invert_yaxis()
    _number_axis(bottom.xaxis)
    unit = view.unit or _t("no unit")
    lowest, highest = formatting.ordinal(view.levels[0]), formatting.ordinal(view.levels[-1])
    bottom.set_ylabel(_t("Expert"))
    bottom.set_xlabel(
        _t(
            "%(question)s (%(unit)s); ranges from the %(low)s to the %(high)s percentile",
            question=question,
            unit=unit,
            low=lowest,
            high=highest,
        )
    )
    figure.suptitle(
        _t("%(question)s: each expert's range and the pooled distribution", question=question)
    )
    return figure


PLOTS: dict[str, Callable[..., Figure]] = {
    "answers": answers,
    "convergence": convergence,
    "reliability": reliability,
    "backtest": backtest,
    "cooke": cooke,
    "quantity": quantity,
}
"""Every plot by the name in its URL and file name; ``quantity`` also takes a question key."""


def caption(name: str, question: str | None = None) -> str:
    """Return the words a page or report shows under the plot ``name``."""
    if name == "quantity":
        return _t("%(question)s: each expert's distribution and the pooled one", question=question)
    return {
        "answers": _t("Answers per round"),
        "convergence": _t("Convergence across rounds"),
        "reliability": _t("Reliability diagram"),
        "backtest": _t("Back-test ranking"),
        "cooke": _t("Calibration and information (Cooke)"),
    }[name]


def _scores(report: calibration.StudyCalibration) -> calibration.Scores:
    """Return the report's scores, or raise :class:`NoData`."""
    if report.scores is None:
        raise NoData("no resolved question to score")
    return report.scores


def _progress(report: calibration.StudyCalibration) -> calibration.Progress:
    """Return the report's round-by-round progress, or raise :class:`NoData`."""
    if not report.full.value.size:
        raise NoData("no judgments")
    return calibration.progress(report.full)


def available(report: calibration.StudyCalibration) -> list[str]:
    """Return the names of the plots ``report`` has data for (``quantity`` once per question)."""
    names = []
    if report.full.value.size:
        names.append("answers")
        if calibration.progress(report.full).questions:
            names.append("convergence")
    if report.scores is not None:
        names += ["reliability", "backtest"]
    if report.cooke is not None and report.cooke.model is not None:
        names.append("cooke")
    return names


def render(figure: Figure, fmt: str = "svg") -> bytes:
    """Write ``figure`` as SVG or PNG bytes, the same bytes for the same figure.

    Raises
    ------
    ValueError
        For a format not in :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    import matplotlib

    out = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context(RC):
        figure.savefig(out, format=fmt, dpi=PNG_DPI, metadata=metadata)
    return out.getvalue()


def plot(
    name: str, report: calibration.StudyCalibration, fmt: str = "svg", question: str | None = None
) -> bytes:
    """Draw the plot ``name`` of ``report`` and return it in ``fmt``.

    Raises
    ------
    KeyError
        For an unknown name.
    NoData
        When the study has nothing this plot could show.
    ValueError
        For an unknown format.
    """
    import matplotlib

    draw = PLOTS[name]
    with matplotlib.rc_context(RC):
        figure = draw(report, question) if name == "quantity" else draw(report)
    return render(figure, fmt)
