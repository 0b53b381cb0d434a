"""Answering a round: the answer page, saving and submitting, the receipt and the own record."""

from __future__ import annotations

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from elicit.analysis.expert_record import expert_record
from elicit.answering import fields, waited
from elicit.answering.blueprint import bp
from elicit.answering.closed import render_closed
from elicit.answering.entry import consented_expert, expert_required
from elicit.answering.round_page import judgments_by_question, question_state, render_round
from elicit.errors import DomainError
from elicit.extensions import db
from elicit.judgments import parsing
from elicit.judgments.models import Judgment
from elicit.judgments.submission import (
    check_answers,
    drafts_of,
    read_answer,
    save_drafts,
    submit_round,
)
from elicit.rounds.models import Round
from elicit.rounds.services import numbered_round, open_round_of, takes_answers
from elicit.studies.models import Question
from elicit.studies.services import question_count
from elicit.unit_of_work import lock_for_writing, reads_first, refuse

LATE = ("round_closed", "round_not_open")
"""Refusals that mean the round does not take answers now (409, not 400)."""

AUTOSAVE_MAX_BYTES = 1024 * 1024
"""The largest autosave body: the page sends only the questions changed since its last save,
and one question's longest storable draft is about 60 kB of UTF-8."""


def round_by_number(number: int) -> Round:
    """Return round ``number`` of the expert's study, or answer 404."""
    round_ = numbered_round(db.session(), g.expert.study_id, number)
    if round_ is None:
        abort(404)
    return round_


@bp.route("/expert/round")
@expert_required
def answer():
    """Show the open round's questions, with drafts, recorded answers and the panel's feedback.

    With ``?check=1`` (where a refused submission lands) each draft that breaks
    a rule has its problems shown beside its fields. Once the round takes no
    more of the expert's answers (closed, or their closing time passed), the
    page says so instead (:mod:`elicit.answering.closed`).
    """
    expert = consented_expert()
    if expert is None:
        return redirect(url_for("answering.home"))
    round_ = open_round_of(db.session(), expert.study)
    if round_ is None or not takes_answers(db.session(), round_, expert.id):
        return render_closed(expert, round_)
    return render_round(expert, round_, check=bool(request.args.get("check")))


@bp.route("/expert/rounds/<int:number>/answers", methods=["POST"])
@reads_first
@expert_required
def submit(number: int):
    """Save the form as drafts ("Save draft", "Review and submit") or record it as sent.

    ``action=draft`` saves the questions whose inputs changed and shows the
    page again; ``action=review`` does the same, then shows the review page,
    whose button submits the saved drafts. ``action=submit`` records the form
    as sent (pages opened before the review step, and scripts): a refused
    submission keeps everything as drafts and redirects to the page with each
    problem beside its field (so a reload never sends the form again). A round
    that closed meanwhile is refused with the typed values still on the page,
    since they can no longer be saved. The form is read and checked before the
    write lock is taken (:func:`~elicit.unit_of_work.reads_first`), and read
    again if a question closed while the post waited for it.
    """
    expert = consented_expert()
    if expert is None:
        return redirect(url_for("answering.home"))
    round_ = round_by_number(number)
    asked = fields.asked_by_id(expert, round_)
    action = request.form.get("action", "draft")
    typed, orphaned = fields.typed_answers(db.session(), round_, asked, request.form)
    checked = check_answers(asked, typed) if action == "submit" else None
    if not orphaned and lock_for_writing(db.session()):
        if (ended := waited.access_ended()) is not None:
            return ended
        current = fields.still_asked(db.session(), round_, asked)
        if len(current) < len(asked):
            asked = current
            typed, orphaned = fields.typed_answers(db.session(), round_, asked, request.form)
            checked = check_answers(asked, typed) if action == "submit" else None
    if orphaned:
        refuse()
        # TRANSLATORS: one item of a list of closed questions and what was typed for each.
        closed = "; ".join(
            gettext("“%(title)s”: you typed %(text)s", title=title, text=text)
            for title, text in orphaned
        )
        problem = gettext(
            "Some questions closed while this page was open, so answers to them can no longer "
            "be saved (%(closed)s). Nothing was saved; check the page and send it again.",
            closed=closed,
        )
        return render_round(expert, round_, typed=typed, problem=problem, status=409)
    try:
        if action == "submit":
            result = submit_round(db.session(), expert, round_, typed, asked=asked, checked=checked)
        else:
            changed = {
                question_id: raw
                for question_id, raw in typed.items()
                if parsing.fingerprint(raw) != fields.shown(request.form, question_id)
            }
            save_drafts(db.session(), expert, round_, changed, asked=asked)
            if action == "review":
                return redirect(url_for("answering.review", number=number))
            return redirect(url_for("answering.answer", saved=1))
    except DomainError as error:
        refuse()
        status = 409 if error.code in LATE else 400
        return render_round(expert, round_, typed=typed, problem=error.message, status=status)
    if result.errors:
        return redirect(url_for("answering.answer", check=1))
    return redirect(url_for("answering.receipt", number=number))


@bp.route("/expert/rounds/<int:number>/drafts", methods=["POST"])
@reads_first
@expert_required
def autosave(number: int):
    """Save drafts sent as JSON ``{"answers": {"<question id>": {field: text}}}``.

    Answers the round no longer asks (the question closed meanwhile) are
    listed back under ``closed`` and the rest are saved; ``complete`` lists the
    questions whose saved answer would be accepted on submission, and
    ``states`` gives each saved question's state for the page's question index
    (see :mod:`elicit.answering.round_page`).

    A body over :data:`AUTOSAVE_MAX_BYTES` is refused (413), as are more answers
    than the study has questions (400); unknown fields of an answer are ignored.
    """
    expert = consented_expert()
    if expert is None:
        abort(403, gettext("Consent to take part first."))
    if (request.content_length or 0) > AUTOSAVE_MAX_BYTES or (
        len(request.get_data()) > AUTOSAVE_MAX_BYTES
    ):
        abort(413, gettext("What was sent is too large to be saved at once."))
    round_ = round_by_number(number)
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        abort(400, 'Send {"answers": {...}} as JSON.')
    if len(payload["answers"]) > question_count(db.session(), expert.study_id):
        abort(400, "More answers were sent than the study has questions.")
    asked = fields.asked_by_id(expert, round_)
    by_key = {str(question_id): question for question_id, question in asked.items()}
    raw_answers, closed = {}, []
    for key, data in payload["answers"].items():
        question = by_key.get(key)
        if question is None:
            closed.append(key)
            continue
        try:
            raw_answers[question.id] = parsing.raw_from_json(question, data)
        except ValueError as error:
            abort(400, f"Question {key}: {error}")
    if lock_for_writing(db.session()):
        if (ended := waited.access_ended()) is not None:
            return ended
        asked = fields.still_asked(db.session(), round_, asked)
    for question_id in [q for q in raw_answers if q not in asked]:
        del raw_answers[question_id]
        closed.append(str(question_id))
    try:
        save_drafts(db.session(), expert, round_, raw_answers, asked=asked)
    except DomainError as error:
        status = 409 if error.code in LATE else 400
        return jsonify({"error": {"code": error.code, "message": error.message}}), status
    problems = {
        question_id: read_answer(asked[question_id], raw)[1]
        for question_id, raw in raw_answers.items()
    }
    drafts = drafts_of(db.session(), expert, round_)
    judgments = judgments_by_question(expert, round_)
    states = {
        str(question_id): question_state(
            drafts.get(question_id), judgments.get(question_id), problems[question_id]
        )
        for question_id in raw_answers
    }
    return jsonify(
        {
            "saved": sorted(map(str, raw_answers)),
            "complete": sorted(str(q) for q, errors in problems.items() if not errors),
            "closed": closed,
            "states": states,
        }
    )


@bp.route("/expert/rounds/<int:number>/receipt")
@expert_required
def receipt(number: int):
    """List exactly what is recorded for the expert in round ``number``."""
    expert = consented_expert()
    if expert is None:
        return redirect(url_for("answering.home"))
    round_ = round_by_number(number)
    judgments = (
        db.session.query(Judgment)
        .join(Question)
        .filter(Judgment.expert_id == expert.id, Judgment.round_id == round_.id)
        .order_by(Question.position)
        .all()
    )
    return render_template(
        "answering/receipt.html",
        study=expert.study,
        round=round_,
        judgments=judgments,
        pending=len(drafts_of(db.session(), expert, round_)),
        open=takes_answers(db.session(), round_, expert.id),
    )


@bp.route("/expert/record")
@expert_required
def record():
    """Show the expert's own answers across rounds, with scores once questions resolve."""
    expert = consented_expert()
    if expert is None:
        return redirect(url_for("answering.home"))
    return render_template(
        "answering/record.html",
        study=expert.study,
        expert=expert,
        records=expert_record(db.session(), expert),
    )
