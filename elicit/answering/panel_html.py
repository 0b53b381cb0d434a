"""The panel's feedback on the answer page as HTML: rendered once, put together per viewer.

What the panel answered to a question in the previous round is the same for
every expert but for three things: which answer is the viewer's own (a ring on
the chart, "(you)" in the list, a sentence in the chart's description), and the
order of the reasons (:func:`elicit.feedback.services.rationale_order`). So
each question's chart, figures and reasons are rendered once per
:class:`~elicit.feedback.services.PanelQuestion` (one round at one change, in
one language: :func:`elicit.feedback.services.panel_feedback`), every answer
both as others' and as the viewer's, and a page only joins the parts. What is
kept goes with the panel's feedback: when the round changes, it is rendered
again.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field, replace

from flask import get_template_attribute
from markupsafe import Markup, escape

from elicit import formatting
from elicit.answering.fields import prefix
from elicit.feedback.charts import own_words
from elicit.feedback.services import PanelQuestion, answer_words, rationale_order
from elicit.judgments.models import Judgment
from elicit.studies.models import Question


@dataclass(frozen=True)
class Parts:
    """One question's feedback rendered for any viewer.

    ``marks[k]`` and ``own_marks[k]`` draw the chart's ``k``-th mark as
    another's answer and as the viewer's; ``reasons[i]`` and ``own_reasons[i]``
    list answer ``i``'s reasons likewise (``None`` without reasons).
    ``descriptions`` and ``own_answers`` keep, by answer, the chart's
    description for the viewer who gave it and their answer in their own words
    (:func:`elicit.formatting.answer`), as they are asked for.
    """

    chart_open: str
    chart_frame: str
    marks: tuple[str, ...]
    own_marks: tuple[str, ...]
    figures: Markup
    reasons_open: str
    reasons: tuple[str | None, ...]
    own_reasons: tuple[str | None, ...]
    descriptions: dict[int, str] = field(default_factory=dict)
    own_answers: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PanelHtml:
    """One question's feedback for one viewer: the chart, the figures line and the reasons.

    ``own_answer`` is the viewer's answer as recorded, if they gave one.
    """

    chart: Markup
    figures: Markup
    rationales: Markup
    own_answer: str | None = None


_rendered: weakref.WeakKeyDictionary[PanelQuestion, Parts] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _render(panel: PanelQuestion, question: Question) -> Parts:
    """Render every part of ``panel``'s feedback on ``question`` (see :class:`Parts`)."""
    chart_macro = "answering/_chart.html"
    feedback_macro = "answering/_feedback.html"
    mark = get_template_attribute(chart_macro, "mark")
    reason = get_template_attribute(feedback_macro, "reason")
    chart = panel.chart
    assert chart is not None
    answers = panel.answers
    return Parts(
        chart_open=str(
            get_template_attribute(chart_macro, "chart_open")(chart, f"{prefix(question.id)}-chart")
        ),
        chart_frame=str(get_template_attribute(chart_macro, "chart_frame")(chart)),
        marks=tuple(str(mark(chart, m)) for m in chart.marks),
        own_marks=tuple(str(mark(chart, replace(m, own=True))) for m in chart.marks),
        figures=Markup(get_template_attribute(feedback_macro, "figures")(panel, question)),
        reasons_open=str(
            get_template_attribute(feedback_macro, "reasons_open")(
                sum(1 for a in answers if a.rationale)
            )
        ),
        reasons=tuple(str(reason(a, question)) if a.rationale else None for a in answers),
        own_reasons=tuple(
            str(reason(replace(a, own=True), question)) if a.rationale else None for a in answers
        ),
    )


def panel_html(
    panel: PanelQuestion,
    question: Question,
    viewer_id: int,
    *,
    secret: bytes,
    round_id: int,
    own: Judgment | None = None,
) -> PanelHtml:
    """Put ``panel``'s feedback on ``question`` together for expert ``viewer_id``.

    ``round_id`` is the round the feedback is on; with ``secret`` it draws the
    order of the reasons. ``own`` is the viewer's judgment in that round (the
    one the panel's answers hold), if they gave one.
    """
    with _lock:
        parts = _rendered.get(panel)
    if parts is None:
        parts = _render(panel, question)
        with _lock:
            _rendered[panel] = parts
    mine = panel.position(viewer_id)
    chart = panel.chart
    assert chart is not None
    description = chart.description
    if mine is not None:
        description = parts.descriptions.get(mine) or parts.descriptions.setdefault(
            mine, " ".join([description, own_words(answer_words(panel, mine))])
        )
    marks = [
        parts.own_marks[k] if index == mine else parts.marks[k]
        for k, index in enumerate(chart.order)
    ]
    order = rationale_order(secret, round_id, viewer_id, question.id, len(panel.answers))
    reasons = [
        parts.own_reasons[i] if i == mine else parts.reasons[i]
        for i in order
        if parts.reasons[i] is not None
    ]
    own_answer = None
    if own is not None and mine is not None:
        own_answer = parts.own_answers.get(mine) or parts.own_answers.setdefault(
            mine, formatting.answer(own, question)
        )
    return PanelHtml(
        own_answer=own_answer,
        chart=Markup(
            "".join([parts.chart_open, str(escape(description)), parts.chart_frame, *marks])
            + "</svg>"
        ),
        figures=parts.figures,
        rationales=Markup(
            "".join([parts.reasons_open, *reasons, "</ul></details>"]) if reasons else ""
        ),
    )
