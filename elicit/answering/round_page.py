"""Building a round's answer page: each question with its inputs, state, errors and feedback.

What each input shows, in order of precedence: what was just typed (a
refused submission), the saved draft, the recorded judgment, the expert's
answer in the round before if the study pre-fills answers
(``Study.prefill_previous_answers``), else nothing. A pre-filled answer is
not saved until the expert saves or submits the page: it counts as a change
from an empty question, so "Save draft" and "Review and submit" keep it.

Each question is in one of four states, shown in the page's question index
and beside the question (the template words them): ``submitted`` (recorded,
no draft since), ``draft`` (a saved draft that would be accepted),
``attention`` (a saved draft that breaks a rule) and ``empty``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from elicit.answering.answer_html import CONFIDENCES, Look, question_html
from elicit.answering.fields import prefix
from elicit.answering.panel_html import PanelHtml, panel_html
from elicit.extensions import db
from elicit.feedback.services import PanelQuestion, panel_feedback
from elicit.judgments import parsing
from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.judgments.submission import drafts_of, read_answer
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.rounds.services import closing_time, previous_round, round_questions, takes_answers
from elicit.studies.models import Question

NEEDS_ATTENTION = lazy_gettext(
    "Some answers need attention; nothing was submitted yet. "
    "Everything you typed is saved as a draft."
)


def question_state(
    draft: JudgmentDraft | None, judgment: Judgment | None, problems: dict[str, str]
) -> str:
    """Name the state of a question (see the module docstring) from its draft and judgment."""
    if draft is not None:
        return "attention" if problems else "draft"
    return "submitted" if judgment is not None else "empty"


def field_id(question_id: int, name: str) -> str:
    """Return the id of the input an error on field ``name`` points to (the first percentile's)."""
    return f"{prefix(question_id)}-{'q0' if name == 'quantile_values' else name}"


@dataclass
class QuestionView:
    """One question as the answer page shows it: its inputs, state, errors and feedback."""

    number: int
    question: Question
    raw: dict[str, Any]
    state: str
    judgment: Judgment | None
    errors: dict[str, str]
    feedback: PanelQuestion | None
    feedback_hidden: bool
    previous: Judgment | None
    answered: bool
    prefilled: bool = False
    panel: PanelHtml | None = None
    first_round: bool = False

    @property
    def prefix(self) -> str:
        """The prefix of this question's field names (see :mod:`elicit.answering.fields`)."""
        return prefix(self.question.id)

    @property
    def fingerprint(self) -> str:
        """Digest of what the inputs show, so a "Save draft" can skip questions left as shown.

        A pre-filled question is digested as empty, so its answer is saved even if left as shown.
        """
        return parsing.fingerprint(parsing.empty_raw(self.question) if self.prefilled else self.raw)

    @property
    def slider_value(self) -> float | None:
        """The percentage a binary question's slider shows: the typed one if in range, else none.

        An unanswered question's slider shows no value at all, so it does not
        suggest one (a thumb at 50 % would be an anchor).
        """
        value = parsing.parse_number(self.raw["probability"])
        low, high = (0, 100) if self.question.allow_certainty else (1, 99)
        return value if value is not None and low <= value <= high else None

    def field_id(self, name: str) -> str:
        """Return the id of the input an error on field ``name`` points to."""
        return field_id(self.question.id, name)

    @property
    def look(self) -> Look:
        """What decides the structure of its HTML (see :mod:`elicit.answering.answer_html`)."""
        feedback = None
        if not self.first_round:
            if self.feedback is None:
                feedback = "none"
            elif self.feedback_hidden:
                feedback = "hidden"
            else:
                feedback = "shown" if self.panel is not None else "too few"
        confidence = self.raw.get("confidence")
        return Look(
            state=self.state,
            recorded=self.judgment is not None,
            answered=self.answered,
            errors=tuple(sorted(self.errors)),
            feedback=feedback,
            previous=self.panel is not None and self.panel.own_answer is not None,
            prefilled=self.prefilled,
            slider=self.question.kind.value == "binary" and self.slider_value is not None,
            confidence=confidence if confidence in CONFIDENCES else None,
        )

    def values(self, look: Look) -> dict[str, object]:
        """Return what fills in this question's placeholders in ``look``."""
        raw = self.raw
        typed = raw.get("quantile_values") or []
        values: dict[str, object] = {
            "number": self.number,
            "fingerprint": self.fingerprint,
            "version": self.judgment.revision if self.judgment is not None else "",
            **{f"raw-{name}": raw.get(name) or "" for name in ("probability", "lower", "upper")},
            "raw-rationale": raw.get("rationale") or "",
            **{
                f"raw-q{i}": typed[i] if i < len(typed) else ""
                for i in range(len(self.question.quantiles or []))
            },
            **{f"error-{name}": message for name, message in self.errors.items()},
        }
        if look.slider:
            values["slider"] = f"{self.slider_value:g}"
        if self.panel is not None:
            values |= {
                "previous": self.panel.own_answer,
                "chart": self.panel.chart,
                "figures": self.panel.figures,
                "rationales": self.panel.rationales,
            }
        return values

    def html(self, round_number: int, open_: bool, minimum: int) -> tuple[Markup, Markup]:
        """Return this question's entry in the page's index and its article."""
        look = self.look
        return question_html(
            self.question,
            look,
            self.values(look),
            round_number=round_number,
            open_=open_,
            minimum=minimum,
        )


def judgments_by_question(expert: Expert, round_: Round) -> dict[int, Judgment]:
    """Return ``expert``'s recorded judgments in ``round_``, by question id."""
    judgments = db.session.scalars(_JUDGMENTS, {"expert": expert.id, "round": round_.id})
    return {judgment.question_id: judgment for judgment in judgments}


_JUDGMENTS = sa.select(Judgment).where(
    Judgment.expert_id == sa.bindparam("expert"), Judgment.round_id == sa.bindparam("round")
)
"""What :func:`judgments_by_question` reads, built once (every answer page reads it twice)."""


def question_views(
    expert: Expert, round_: Round, typed: dict[int, dict[str, Any]] | None = None
) -> list[QuestionView]:
    """Assemble every question of ``round_`` for the answer page.

    A draft that breaks a rule carries its problems as errors, shown beside
    its fields, so a question the index says needs attention says why. The
    panel's feedback is the round's, shared by every viewer
    (:func:`~elicit.feedback.services.panel_feedback`), put together for this
    expert as HTML (:mod:`elicit.answering.panel_html`) where it is shown.
    """
    questions = round_questions(db.session(), round_)
    drafts = drafts_of(db.session(), expert, round_)
    judgments = judgments_by_question(expert, round_)
    previous = previous_round(db.session(), round_)
    secret = current_app.config["SECRET_KEY"].encode()
    feedback: dict[int, PanelQuestion] = {}
    earlier: dict[int, Judgment] = {}
    if previous is not None:
        feedback = panel_feedback(
            db.session(), previous, secret=secret, min_answers=expert.study.feedback_min_answers
        )
        earlier = judgments_by_question(expert, previous)
    views = []
    prefill = expert.study.prefill_previous_answers
    for number, question in enumerate(questions, start=1):
        judgment = judgments.get(question.id)
        draft = drafts.get(question.id)
        before = earlier.get(question.id)
        prefilled = False
        if typed and question.id in typed:
            raw = typed[question.id]
        elif draft is not None:
            raw = {**parsing.empty_raw(question), **draft.fields}
        elif judgment is not None:
            raw = parsing.raw_from_values(question, judgment)
        elif prefill and before is not None:
            raw, prefilled = parsing.raw_from_values(question, before), True
        else:
            raw = parsing.empty_raw(question)
        problems = read_answer(question, raw)[1] if draft is not None else {}
        answered = judgment is not None or (draft is not None and not problems)
        panel = feedback.get(question.id)
        hidden = expert.study.hide_feedback_until_answered and not answered
        shown = None
        if panel is not None and panel.shown and not hidden and previous is not None:
            shown = panel_html(
                panel, question, expert.id, secret=secret, round_id=previous.id, own=before
            )
        views.append(
            QuestionView(
                number=number,
                question=question,
                raw=raw,
                state=question_state(draft, judgment, problems),
                judgment=judgment,
                errors=problems,
                feedback=panel,
                feedback_hidden=hidden,
                previous=before,
                answered=answered,
                prefilled=prefilled,
                panel=shown,
                first_round=round_.number <= 1,
            )
        )
    return views


def script_messages() -> dict[str, str]:
    """Return the sentences ``answer.js`` shows, in the page's language.

    The page carries them as JSON, so the script holds no text of its own;
    the script fills in each ``%(name)s``.
    """
    return {
        "showFeedback": gettext("Show the panel's answers"),
        "unsaved": gettext("Unsaved changes…"),
        "saving": gettext("Saving…"),
        # TRANSLATORS: %(time)s is the time of day, e.g. "14:05".
        "saved": gettext("All changes saved as drafts (%(time)s)."),
        "sending": gettext("Sending…"),
        "closed": gettext(
            "This question has closed: your text for it was not saved (it is still on this page)."
        ),
        # TRANSLATORS: %(reason)s is a whole sentence from the server saying why.
        "refused": gettext("Not saved: %(reason)s Your text is still on this page."),
        # TRANSLATORS: %(reason)s is a short clause such as "the connection failed".
        "retrying": gettext("Not saved yet (%(reason)s); your text is still here. Trying again…"),
        # TRANSLATORS: %(status)s is an HTTP status code such as 503.
        "serverStatus": gettext("the server answered %(status)s"),
        "offline": gettext("the connection failed"),
        "reenter": gettext(
            "Not saved: your session has ended. Open your invitation link again (in another "
            "tab or window); this page then saves what you typed. Your text is still here."
        ),
        "otherExpert": gettext(
            "Not saved: another expert has entered on this browser since this page was opened. "
            "Copy anything you want to keep."
        ),
    }


def render_round(
    expert: Expert,
    round_: Round,
    *,
    typed: dict[int, dict[str, Any]] | None = None,
    check: bool = False,
    problem: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """Render the answer page for ``round_`` (see :func:`question_views`) with ``status``.

    With ``check`` (where a refused submission lands, and where the review
    page's links lead) every draft that breaks a rule is also listed in the
    error summary at the top of the page.
    """
    views = question_views(expert, round_, typed)
    flagged = [v for v in views if v.errors] if check else []
    if flagged and problem is None:
        problem = NEEDS_ATTENTION
    open_ = takes_answers(db.session(), round_, expert.id)
    minimum = expert.study.feedback_min_answers
    pieces = [(v.question.section, v.html(round_.number, open_, minimum)) for v in views]
    sections = [
        (title, [html for _, html in items]) for title, items in groupby(pieces, lambda p: p[0])
    ]
    page = render_template(
        "answering/round.html",
        study=expert.study,
        round=round_,
        sections=sections,
        answered=sum(v.answered for v in views),
        total=len(views),
        flagged=flagged,
        problem=problem,
        open=open_,
        closes_at=closing_time(db.session(), round_, expert.id),
        script_messages=script_messages(),
    )
    return page, status
