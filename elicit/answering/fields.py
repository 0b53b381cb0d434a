"""The answer form's contract: what its fields are called and how a sent form is read.

Every input of question 12 is named ``q12-<field>``: ``probability``,
``lower``, ``upper``, ``q0``, ``q1``, ... (one per quantile level),
``confidence`` and ``rationale``. Beside them, ``q12-present`` says the
question was on the page and ``q12-shown`` carries a digest of what its inputs
showed, so "Save draft" can skip the questions left as they were. A question
id in a name is read with :func:`elicit.web.parse_id`: a number beyond the
database's range names no question and is ignored like any unknown field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from elicit.extensions import db
from elicit.judgments import parsing
from elicit.panels.models import Expert
from elicit.rounds.models import Round
from elicit.rounds.services import asked_questions, round_question_ids
from elicit.studies.models import Question
from elicit.web import parse_id

_ANSWER_FIELD = re.compile(r"q([0-9]+)-(probability|lower|upper|q[0-9]+|confidence|rationale)")
_PRESENT = re.compile(r"q([0-9]+)-present")


def prefix(question_id: int) -> str:
    """Return the prefix of every field of question ``question_id`` (``q12``)."""
    return f"q{question_id}"


def shown(form: Mapping[str, str], question_id: int) -> str | None:
    """Return the digest of what question ``question_id``'s inputs showed when the page was made."""
    return form.get(f"{prefix(question_id)}-shown")


def typed_values(form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """List every answer field of ``form`` that holds text, as (``Question 12, lower``, text).

    This is what a form that cannot be saved is answered with, so nothing
    typed is lost; question titles are not looked up (the sender may no longer
    be signed in).
    """
    typed = []
    for name, value in form.items(multi=True):
        match = _ANSWER_FIELD.fullmatch(name)
        if match and value.strip():
            typed.append(
                (
                    # TRANSLATORS: names an answer box by question id and field ("probability",
                    # "lower", "q0", "rationale", ...); the field name stays in English.
                    gettext("Question %(id)s, %(field)s", id=match.group(1), field=match.group(2)),
                    value.replace("\x00", ""),
                )
            )
    return typed


def typed_answers(
    session: Session, round_: Round, asked: Mapping[int, Question], form: Mapping[str, str]
) -> tuple[dict[int, dict[str, Any]], list[tuple[str, str]]]:
    """Read every question's raw answer from a sent answer form.

    Returns the answers to the questions ``round_`` asks (``asked``, by id, as
    :func:`~elicit.rounds.services.round_questions` read them), and the title
    and typed text of any question on the form that the round no longer asks
    (it closed or resolved while the page was open), so that text is not
    dropped unseen. Names of questions of other studies, or of none, are ignored.
    """
    on_form = sorted(
        {
            question_id
            for match in map(_PRESENT.fullmatch, form)
            if match and (question_id := parse_id(match.group(1))) is not None
        }
    )
    typed, orphaned = {}, []
    for question_id in on_form:
        question = asked.get(question_id) or session.get(Question, question_id)
        if question is None or question.study_id != round_.study_id:
            continue
        raw = parsing.raw_from_form(question, form, prefix(question_id))
        if question_id in asked:
            typed[question_id] = raw
        elif not parsing.is_blank(raw):
            texts = [raw[n] for n in ("lower", "probability", "upper", "rationale") if raw[n]]
            orphaned.append((question.title, " / ".join([*raw["quantile_values"], *texts])))
    return typed, orphaned


def asked_by_id(expert: Expert, round_: Round) -> dict[int, Question]:
    """Return the questions ``round_`` asks, by id, as an expert's post reads them.

    They are :func:`~elicit.rounds.services.asked_questions`' copies, kept
    while the expert's study's questions are unchanged (its version was read
    with the expert at the start of the request).
    """
    questions = asked_questions(db.session(), round_, expert.study.questions_version)
    return {question.id: question for question in questions}


def still_asked(
    session: Session, round_: Round, asked: Mapping[int, Question]
) -> dict[int, Question]:
    """Return those of ``asked`` that ``round_`` still asks, reading only the ids it asks.

    A post that read the round's questions before it took the write lock
    (:func:`~elicit.unit_of_work.lock_for_writing`) asks this once it holds the
    lock, so a question withdrawn or resolved while it waited is treated as one
    that closed while the page was open, not as an error. Only SQLite makes it
    wait there; on PostgreSQL the questions were read the moment before, and
    the lock takes nothing, so nothing is read again.
    """
    ids = set(round_question_ids(session, round_))
    return {question_id: question for question_id, question in asked.items() if question_id in ids}
