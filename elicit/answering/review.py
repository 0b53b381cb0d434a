"""The review step: what submitting a round would record, and submitting it from the saved drafts.

"Review and submit" on the answer page saves what was typed as drafts, then
leads to :func:`review`: every question of the round with what will be
recorded, what stays as recorded before, what is skipped and what breaks a
rule (linking back to the field). Its button (:func:`submit_reviewed`)
submits the saved drafts, which are the source of truth: all or nothing, a
new version only where an answer changed, 409 once the round has closed.

The page carries a digest of what it listed. If the drafts changed since
(in another tab), the submission is refused and the review shown again, so
nothing is recorded that the expert has not seen. The digest covers the
answers in effect, not whether they are drafts, so sending the same page
twice (a double click) records once and then changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from elicit.answering import fields
from elicit.answering.blueprint import bp
from elicit.answering.entry import consented_expert, expert_required
from elicit.answering.round_page import field_id, judgments_by_question
from elicit.answering.views import LATE, round_by_number
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.judgments import parsing
from elicit.judgments.models import Judgment
from elicit.judgments.rules import Answer, same_answer
from elicit.judgments.submission import drafts_of, read_answer, submit_round
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.rounds.services import closing_time, round_questions, takes_answers
from elicit.studies.models import Question
from elicit.unit_of_work import refuse

CHANGED = lazy_gettext(
    "Your answers changed after this page was shown (perhaps in another tab), so nothing "
    "was submitted. Check them below and submit again."
)


@dataclass
class ReviewItem:
    """One question on the review page and what submitting would do with it.

    ``outcome`` is ``new`` or ``changed`` (recorded on submission),
    ``unchanged`` (recorded before and left as it is), ``skipped`` (no answer)
    or ``attention`` (a draft that breaks a rule; ``errors`` says how).
    ``answer`` is what will be (or stays) recorded.
    """

    number: int
    question: Question
    outcome: str
    answer: Answer | Judgment | None
    judgment: Judgment | None
    errors: dict[str, str]

    def field_id(self, name: str) -> str:
        """Return the id of the answer page's input an error on field ``name`` points to."""
        return field_id(self.question.id, name)


def _values(answer: Answer | Judgment | None) -> list[Any] | None:
    """Return what an answer says, read to the 12 digits that tell a change from a repeat."""
    if answer is None:
        return None
    numbers = [answer.probability, answer.lower, answer.upper, *(answer.quantile_values or [])]
    shown = [None if n is None else f"{n:.12g}" for n in numbers]
    return [*shown, answer.confidence, (answer.rationale or "").strip()]


def review_items(expert: Expert, round_: Round) -> tuple[list[ReviewItem], str]:
    """List every question of ``round_`` with what submitting the saved drafts would do.

    Returns the items and the digest of what they say (see the module docstring).
    """
    drafts = drafts_of(db.session(), expert, round_)
    judgments = judgments_by_question(expert, round_)
    items, listed = [], []
    for number, question in enumerate(round_questions(db.session(), round_), start=1):
        draft, judgment = drafts.get(question.id), judgments.get(question.id)
        answer: Answer | Judgment | None = None
        errors: dict[str, str] = {}
        typed = None
        if draft is not None:
            parsed, errors = read_answer(question, {**parsing.empty_raw(question), **draft.fields})
            answer = parsed
            if parsed is None:
                outcome = "attention"
                typed = parsing.fingerprint(draft.fields)
            elif judgment is None:
                outcome = "new"
            else:
                outcome = "unchanged" if same_answer(judgment, parsed) else "changed"
        elif judgment is not None:
            answer, outcome = judgment, "unchanged"
        else:
            outcome = "skipped"
        items.append(ReviewItem(number, question, outcome, answer, judgment, errors))
        listed.append([question.id, _values(answer), typed])
    digest = hashlib.sha256(json.dumps(listed).encode()).hexdigest()[:32]
    return items, digest


def render_review(
    expert: Expert, round_: Round, *, problem: str | None = None, status: int = 200
) -> tuple[str, int]:
    """Render the review page of ``round_`` with ``status`` (``problem`` heads the page)."""
    items, digest = review_items(expert, round_)
    counts = {
        outcome: sum(item.outcome == outcome for item in items)
        for outcome in ("new", "changed", "unchanged", "skipped", "attention")
    }
    counts["record"] = counts["new"] + counts["changed"]
    sections = groupby(items, lambda item: item.question.section)
    page = render_template(
        "answering/review.html",
        study=expert.study,
        round=round_,
        items=items,
        sections=[(title, list(group)) for title, group in sections],
        counts=counts,
        digest=digest,
        problem=problem,
        open=takes_answers(db.session(), round_, expert.id),
        closes_at=closing_time(db.session(), round_, expert.id),
    )
    return page, status


@bp.route("/expert/rounds/<int:number>/review")
@expert_required
def review(number: int):
    """Show what submitting round ``number`` would record, with the button that submits it."""
    expert = consented_expert()
    if expert is None:
        return redirect(url_for("answering.home"))
    round_ = round_by_number(number)
    if not takes_answers(db.session(), round_, expert.id):
        return redirect(url_for("answering.receipt", number=number))
    return render_review(expert, round_)


@bp.route("/expert/rounds/<int:number>/submission", methods=["POST"])
@expert_required
def submit_reviewed(number: int):
    """Submit the saved drafts of round ``number``, as the review page listed them.

    Recorded: the receipt. A rule broken meanwhile: the review again, with
    each problem (nothing recorded). Drafts changed since the page was shown:
    409 and the review again. The round closed: 409 and the review, listing
    the saved drafts that can no longer be submitted.
    """
    expert = consented_expert()
    if expert is None:
        return redirect(url_for("answering.home"))
    round_ = round_by_number(number)
    shown = request.form.get("reviewed")
    if takes_answers(db.session(), round_, expert.id) and shown != review_items(expert, round_)[1]:
        return render_review(expert, round_, problem=CHANGED, status=409)
    asked = fields.asked_by_id(expert, round_)
    raw_answers = {
        question_id: {**parsing.empty_raw(asked[question_id]), **draft.fields}
        for question_id, draft in drafts_of(db.session(), expert, round_).items()
        if question_id in asked
    }
    try:
        result = submit_round(db.session(), expert, round_, raw_answers, asked=asked)
    except DomainError as error:
        refuse()
        status = 409 if error.code in LATE else 400
        return render_review(expert, round_, problem=error.message, status=status)
    if result.errors:
        return redirect(url_for("answering.review", number=number))
    return redirect(url_for("answering.receipt", number=number))
