"""An expert's work on a round: saving drafts as they type, submitting, recording judgments.

Saving and submitting first lock the expert's row, so two requests from the
same expert (a double click, an autosave racing a submit) run one after the
other and can never create two drafts or two judgments for one question. A
recorded judgment is never overwritten silently: each change becomes a new
:class:`~elicit.judgments.models.JudgmentRevision`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from elicit import audit
from elicit.db import UTCDateTime, table_of, upsert, utcnow
from elicit.errors import DomainError
from elicit.judgments import parsing
from elicit.judgments.models import Judgment, JudgmentDraft, JudgmentRevision
from elicit.judgments.rules import Answer, AnswerErrors, check_answer, same_answer
from elicit.panels.models import Expert
from elicit.rounds.models import Round, RoundState
from elicit.rounds.services import (
    hold_round,
    round_questions,
    takes_answers,
)
from elicit.studies.models import Question

_VALUE_COLUMNS = ("probability", "lower", "upper", "quantile_values", "confidence", "rationale")
"""The columns of an answer's values, in judgments and their revisions alike."""

RawAnswers = Mapping[int, Mapping[str, Any]]
"""Raw answers keyed by question id (see :mod:`elicit.judgments.parsing`)."""


@dataclass
class Submission:
    """What submitting did: ids of judgments recorded or left unchanged, or errors by question."""

    recorded: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    errors: dict[int, dict[str, str]] = field(default_factory=dict)


def _begin(
    session: Session,
    expert: Expert,
    round_: Round,
    now: datetime | None,
    asked: Mapping[int, Question] | None,
) -> dict[int, Question]:
    """Serialise the expert's writes, check the round takes answers, return its questions by id.

    The round's row is held until the transaction ends (:func:`hold_round`),
    so it cannot close between this check and the commit: a submission racing
    a close is stored in the open round or refused, never stored after it closed.
    Two requests of one expert are serialised by a lock on the expert's row,
    taken by the same statement (on SQLite, ``BEGIN IMMEDIATE`` already
    serialises every writer). The questions are those the round asks:
    ``asked``, when the caller read them in this transaction after taking the
    write lock (:func:`~elicit.unit_of_work.lock_for_writing`, as
    :func:`elicit.answering.fields.still_asked` does), else read here.
    """
    hold_round(session, round_, writer=expert.id)
    if round_.study_id != expert.study_id:
        raise DomainError("wrong_study", gettext("This round is not in your study."))
    if round_.state is RoundState.DRAFT:
        raise DomainError(
            "round_not_open",
            gettext("Round %(number)s has not opened yet.", number=round_.number),
        )
    if not takes_answers(session, round_, expert.id, now=now):
        raise DomainError(
            "round_closed",
            gettext(
                "Round %(number)s has closed, so answers can no longer be saved or submitted.",
                number=round_.number,
            ),
        )
    if asked is not None:
        return dict(asked)
    return {q.id: q for q in round_questions(session, round_)}


@dataclass
class Checked:
    """Raw answers read and checked against their questions' rules (:func:`check_answers`).

    ``answers`` holds each accepted answer and ``errors`` each refused one's
    problems by field, both by question id; blank answers are in neither.
    """

    answers: dict[int, Answer] = field(default_factory=dict)
    errors: dict[int, dict[str, str]] = field(default_factory=dict)


def check_answers(questions: Mapping[int, Question], raw_answers: RawAnswers) -> Checked:
    """Parse each raw answer that is not blank and apply its question's rules.

    Reads nothing from the database, so a post can check what it was sent
    before it takes the write lock (:func:`~elicit.unit_of_work.lock_for_writing`)
    and hand the result to :func:`submit_round`, which then holds the lock
    only for what needs it. Answers to questions not in ``questions`` are left
    out (:func:`submit_round` refuses them).
    """
    checked = Checked()
    for question_id, raw in raw_answers.items():
        question = questions.get(question_id)
        if question is None or parsing.is_blank(raw):
            continue
        answer, errors = read_answer(question, raw)
        if answer is None:
            checked.errors[question_id] = errors
        else:
            checked.answers[question_id] = answer
    return checked


def read_answer(
    question: Question, raw: Mapping[str, Any]
) -> tuple[Answer, dict[str, str]] | tuple[None, dict[str, str]]:
    """Parse ``raw`` and apply ``question``'s rules: ``(answer, {})`` or ``(None, errors)``."""
    answer, errors = parsing.parse(question, raw)
    if answer is None:
        return None, errors
    errors = check_answer(question, answer)
    return (None, errors) if errors else (answer, {})


def drafts_of(session: Session, expert: Expert, round_: Round) -> dict[int, JudgmentDraft]:
    """Return the expert's drafts in ``round_``, by question id."""
    drafts = session.scalars(_DRAFTS_OF, {"expert": expert.id, "round": round_.id})
    return {draft.question_id: draft for draft in drafts}


_DRAFTS_OF = sa.select(JudgmentDraft).where(
    JudgmentDraft.expert_id == sa.bindparam("expert"),
    JudgmentDraft.round_id == sa.bindparam("round"),
)
"""What :func:`drafts_of` reads, built once."""


def _check_storable(questions: dict[int, Question], raw_answers: RawAnswers) -> None:
    """Refuse answers to questions not asked, or too large to be stored even as drafts."""
    unknown = set(raw_answers) - set(questions)
    if unknown:
        raise DomainError(
            "unknown_question", gettext("Some answers are for questions this round does not ask.")
        )
    for raw in raw_answers.values():
        try:
            parsing.check_storable(raw)
        except ValueError as error:
            # TRANSLATORS: %(reason)s is a sentence saying what is wrong with the answer.
            message = gettext("This answer cannot be saved. %(reason)s", reason=error)
            raise DomainError("unstorable_answer", message) from None


def _recorded(
    session: Session,
    expert: Expert,
    round_: Round,
    *,
    dropping_drafts: list[int] | None = None,
) -> dict[int, sa.Row[Any]]:
    """Return the expert's judgments in ``round_`` as rows, by question id.

    Each row has the judgment's ``id``, ``question_id``, ``revision`` and its
    answer's values (:data:`_VALUE_COLUMNS`), read from the table rather than
    as objects: a request that read before taking the write lock
    (:func:`elicit.unit_of_work.lock_for_writing`) may hold older objects.
    All of them are read, at most one per question the round asks, rather
    than those of the questions sent: a list of ids made the statement's
    text, and its cost to prepare, grow with the form.

    With ``dropping_drafts`` (a submission's questions), the expert's drafts
    of those questions in ``round_`` are deleted too. PostgreSQL does both in
    one statement (the delete as a data-modifying ``WITH``, which runs whether
    or not the ``SELECT`` reads it): one round trip fewer per submission.
    SQLite, which has no such ``WITH``, runs the delete after the read.
    """
    parameters = {"expert": expert.id, "round": round_.id}
    folded = dropping_drafts is not None and session.get_bind().dialect.name == "postgresql"
    if folded:
        rows = session.execute(_RECORDED_DROPPING_DRAFTS, {**parameters, "drafts": dropping_drafts})
        _forget_drafts(session)
    else:
        rows = session.execute(_RECORDED, parameters)
    recorded = {row.question_id: row for row in rows}
    if dropping_drafts is not None and not folded:
        _delete_drafts(session, expert, round_, dropping_drafts)
    return recorded


_JUDGMENTS = table_of(Judgment).c
_RECORDED = sa.select(
    _JUDGMENTS.id,
    _JUDGMENTS.question_id,
    _JUDGMENTS.revision,
    *(_JUDGMENTS[name] for name in _VALUE_COLUMNS),
).where(
    _JUDGMENTS.expert_id == sa.bindparam("expert"),
    _JUDGMENTS.round_id == sa.bindparam("round"),
)
"""What :func:`_recorded` reads, built once (building it cost more than running it)."""


def _store_drafts(
    session: Session,
    expert: Expert,
    round_: Round,
    questions: dict[int, Question],
    raw_answers: RawAnswers,
) -> None:
    """Write each raw answer as the expert's draft, in one statement for all of them.

    A blank answer, or one that shows exactly what is already recorded,
    removes the draft: there is nothing unsubmitted to keep. The others are
    inserted, or update the draft there is (one ``INSERT ... ON CONFLICT`` run
    for every row), so the drafts need not be read first; drafts already
    loaded are expired, to be read again when used.
    """
    recorded = _recorded(session, expert, round_)
    kept, removed = [], []
    for question_id, raw in raw_answers.items():
        judgment = recorded.get(question_id)
        same_as_recorded = judgment is not None and dict(raw) == parsing.raw_from_values(
            questions[question_id], judgment
        )
        if parsing.is_blank(raw) or same_as_recorded:
            removed.append(question_id)
        else:
            kept.append(question_id)
    if removed:
        _delete_drafts(session, expert, round_, removed)
    if kept:
        now = utcnow()
        rows = [
            {
                "expert_id": expert.id,
                "question_id": question_id,
                "round_id": round_.id,
                "fields": dict(raw_answers[question_id]),
                "updated_at": now,
            }
            for question_id in kept
        ]
        _upsert_drafts(session, rows)
        for draft in session.identity_map.values():
            if isinstance(draft, JudgmentDraft):
                session.expire(draft)


_DRAFT_UPSERTS: dict[str, Any] = {}
"""The statement :func:`_upsert_drafts` runs on SQLite, by dialect name."""


def _upsert_drafts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` as drafts, each updating the draft of its question there is.

    PostgreSQL takes every row in one statement, from one JSON array
    (:data:`_UPSERT_DRAFTS_FROM_JSON`), where psycopg's ``executemany`` would
    send one statement per row: measured on a 30-answer form, the client's
    CPU time fell from 0.58 to 0.15 ms. Elsewhere the dialect's
    ``INSERT ... ON CONFLICT DO UPDATE`` runs for every row (SQLite's driver
    loops in C), built once per dialect: building it (its ``excluded`` row
    above all) cost more than running it.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        first = rows[0]
        session.execute(
            _UPSERT_DRAFTS_FROM_JSON,
            {
                "expert": first["expert_id"],
                "round": first["round_id"],
                "now": first["updated_at"],
                "rows": json.dumps(
                    [{"question_id": r["question_id"], "fields": r["fields"]} for r in rows]
                ),
            },
        )
        return
    if dialect not in _DRAFT_UPSERTS:
        statement = upsert(session, JudgmentDraft)
        _DRAFT_UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=["expert_id", "question_id", "round_id"],
            set_={"fields": statement.excluded.fields, "updated_at": statement.excluded.updated_at},
        )
    session.execute(_DRAFT_UPSERTS[dialect], rows)


_UPSERT_DRAFTS_FROM_JSON = sa.text(
    """
    INSERT INTO judgment_drafts (expert_id, question_id, round_id, fields, updated_at)
    SELECT :expert, draft.question_id, :round, draft.fields, :now
    FROM json_to_recordset(CAST(:rows AS json)) AS draft(question_id integer, fields json)
    ON CONFLICT (expert_id, question_id, round_id)
    DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at
    """
).bindparams(sa.bindparam("now", type_=UTCDateTime))
"""PostgreSQL's insert or update of one expert's drafts in a round (:func:`_upsert_drafts`)."""


def _delete_drafts(
    session: Session, expert: Expert, round_: Round, question_ids: list[int]
) -> None:
    """Delete the expert's drafts of ``question_ids`` in ``round_``, in one statement.

    Drafts loaded earlier in the session are taken out of it, to be read
    again if needed, rather than asking the database which rows went
    (``synchronize_session="fetch"``).
    """
    session.execute(
        _DELETE_DRAFTS, {"expert": expert.id, "round": round_.id, "questions": question_ids}
    )
    _forget_drafts(session)


def _forget_drafts(session: Session) -> None:
    """Take the drafts loaded earlier out of ``session``, once some of them were deleted."""
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, JudgmentDraft):
            session.expunge(loaded)


_DRAFTS = table_of(JudgmentDraft)
_DELETE_DRAFTS = sa.delete(_DRAFTS).where(
    _DRAFTS.c.expert_id == sa.bindparam("expert"),
    _DRAFTS.c.round_id == sa.bindparam("round"),
    _DRAFTS.c.question_id.in_(sa.bindparam("questions", expanding=True)),
)
"""What :func:`_delete_drafts` runs, built once."""
_RECORDED_DROPPING_DRAFTS = _RECORDED.add_cte(
    sa.delete(_DRAFTS)
    .where(
        _DRAFTS.c.expert_id == sa.bindparam("expert"),
        _DRAFTS.c.round_id == sa.bindparam("round"),
        _DRAFTS.c.question_id == sa.any_(sa.bindparam("drafts", type_=ARRAY(sa.Integer))),
    )
    .cte("dropped")
)
"""PostgreSQL's :func:`_recorded` dropping drafts: the drafts' delete runs as its ``WITH``.

The questions are one array parameter, so the statement's text is the same
whatever the form's size: psycopg converts it once and PostgreSQL prepares it
once (an expanded ``IN`` list, 30 parameters and more, was converted anew on
every submission).
"""


def save_drafts(
    session: Session,
    expert: Expert,
    round_: Round,
    raw_answers: RawAnswers,
    *,
    asked: Mapping[int, Question] | None = None,
    now: datetime | None = None,
) -> None:
    """Keep what the expert typed for some questions of ``round_``, valid or not.

    ``asked`` may give the round's questions by id as the caller read them in
    this transaction once it held the write lock
    (:func:`~elicit.unit_of_work.lock_for_writing`), so they are not read again.

    Raises
    ------
    DomainError
        If the round does not take the expert's answers at ``now`` (default:
        the current time) or a question is not asked in it.
    """
    questions = _begin(session, expert, round_, now, asked)
    _check_storable(questions, raw_answers)
    _store_drafts(session, expert, round_, questions, raw_answers)


def submit_round(
    session: Session,
    expert: Expert,
    round_: Round,
    raw_answers: RawAnswers,
    *,
    asked: Mapping[int, Question] | None = None,
    checked: Checked | None = None,
    now: datetime | None = None,
) -> Submission:
    """Record the expert's answers to ``round_``: all of them, or none if any breaks a rule.

    Questions left blank are skipped (a judgment already recorded for one
    stands, and a draft of one is removed). If every answered question passes,
    each is recorded (a new revision only where it changed) and its draft, if
    any, removed; otherwise nothing is recorded, every raw answer is kept as a
    draft, so nothing typed is lost, and ``errors`` says why. ``asked`` is as
    for :func:`save_drafts`; ``checked`` may give what :func:`check_answers`
    found for ``raw_answers`` and the questions asked, so the answers are not
    read again while the write lock is held.

    Raises
    ------
    DomainError
        If the round does not take the expert's answers at ``now`` (default:
        the current time; ``round_closed``) or a question is not asked in it.
    """
    questions = _begin(session, expert, round_, now, asked)
    _check_storable(questions, raw_answers)
    if checked is None:
        checked = check_answers(questions, raw_answers)
    result = Submission(errors=dict(checked.errors))
    if result.errors:
        _store_drafts(session, expert, round_, questions, raw_answers)
        return result
    _record_all(session, expert, round_, checked.answers, result, drafts=list(raw_answers))
    audit.record(
        session,
        "round.submit",
        study_id=expert.study_id,
        target=f"round {round_.number}",
        details={"recorded": len(result.recorded), "unchanged": len(result.unchanged)},
    )
    return result


def _values(answer: Answer) -> dict[str, Any]:
    """Return the columns a judgment (and each of its revisions) stores for ``answer``."""
    return {
        "probability": answer.probability,
        "lower": answer.lower,
        "upper": answer.upper,
        "quantile_values": (
            [float(v) for v in answer.quantile_values] if answer.quantile_values else None
        ),
        "confidence": answer.confidence,
        "rationale": answer.rationale.strip(),
    }


def _record_all(
    session: Session,
    expert: Expert,
    round_: Round,
    answers: Mapping[int, Answer],
    result: Submission,
    *,
    drafts: list[int],
) -> None:
    """Store checked ``answers`` as the expert's judgments in ``round_``; drop their drafts.

    The same rule as :func:`record_judgment` (a new judgment at revision 1, a
    changed one raised by one, an unchanged one left as it is), for a whole
    round in a few statements whatever its size: one read of the judgments
    there are, with the delete of the expert's drafts of the questions in
    ``drafts`` (:func:`_recorded`), one writing the changed
    rows and their revisions (:func:`_update_judgments`), one ``INSERT`` of
    the new ones and one of their revisions. Rows are written as table rows,
    not ORM objects (loading and flushing thirty objects was about a quarter
    of a submission's time); judgments loaded earlier in the session are expired.
    """
    table = table_of(Judgment)
    before = _recorded(session, expert, round_, dropping_drafts=drafts)
    now = utcnow()
    changed, new, revisions = [], [], []
    for question_id, answer in answers.items():
        row = before.get(question_id)
        if row is None:
            new.append(
                {
                    "expert_id": expert.id,
                    "question_id": question_id,
                    "round_id": round_.id,
                    "revision": 1,
                    "created_at": now,
                    "updated_at": now,
                    **_values(answer),
                }
            )
        elif same_answer(row, answer):
            result.unchanged.append(row.id)
        else:
            changed.append({"judgment": row.id, "revision": row.revision + 1, **_values(answer)})
            result.recorded.append(row.id)
    if changed:
        _update_judgments(session, expert, round_, changed, now)
    if new:
        inserted = session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), new
        ).scalars()
        for judgment_id, values in zip(inserted, new, strict=True):
            revisions.append(
                {
                    "judgment_id": judgment_id,
                    "revision": 1,
                    "recorded_at": now,
                    **{name: values[name] for name in _VALUE_COLUMNS},
                }
            )
            result.recorded.append(judgment_id)
    _write_revisions(session, revisions)
    for loaded in session.identity_map.values():
        if isinstance(loaded, Judgment):
            session.expire(loaded)


def _update_judgments(
    session: Session, expert: Expert, round_: Round, changed: list[dict[str, Any]], now: datetime
) -> None:
    """Write ``changed`` (rows of ``judgment``'s id, its new ``revision`` and values) at once.

    Each changed judgment is updated and its new version inserted as a
    revision. SQLite takes the rows in one ``executemany`` of each statement
    (its driver's loop is in C). PostgreSQL gets one statement doing both,
    from the rows sent as one JSON array (:data:`_UPDATE_FROM_JSON`), where
    psycopg would run one statement per row and per table: measured, one
    ``UPDATE`` from JSON took about 15% less time than an ``executemany`` of a
    30-answer round, and folding the revisions into it saves the second
    statement's 30 rows and a round trip. An answer without quantiles keeps
    JSON ``null`` there, as the ORM writes it. The judgments are all the
    expert's in ``round_``, and the statement says so: PostgreSQL plans the
    JSON rows as a hundred and, without it, read the whole table to join them
    (0.56 ms for the demo's 1,919 judgments, growing with every study) rather
    than the expert's few by index (0.08 ms).
    """
    if session.get_bind().dialect.name != "postgresql":
        table = table_of(Judgment)
        session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("judgment")),
            [{**row, "updated_at": now} for row in changed],
        )
        _write_revisions(
            session,
            [
                {
                    "judgment_id": row["judgment"],
                    "revision": row["revision"],
                    "recorded_at": now,
                    **{name: row[name] for name in _VALUE_COLUMNS},
                }
                for row in changed
            ],
        )
        return
    session.execute(
        _UPDATE_FROM_JSON,
        {"rows": json.dumps(changed), "now": now, "expert": expert.id, "round": round_.id},
    )


_VALUES_RECORD = """
    probability double precision, lower double precision, upper double precision,
    quantile_values json, confidence integer, rationale text
"""
"""The types of :data:`_VALUE_COLUMNS` in a JSON row read by ``json_to_recordset``."""


def _insert_revisions(judgment: str, recorded_at: str) -> str:
    """Return the ``INSERT`` of revisions selecting ``judgment`` and ``recorded_at`` as given.

    The values come from the rows the statement's ``FROM`` follows with; an
    answer without quantiles keeps JSON ``null``, as the ORM writes it.
    """
    return f"""
    INSERT INTO judgment_revisions (
        judgment_id, revision, recorded_at, probability, lower, upper, quantile_values,
        confidence, rationale
    )
    SELECT
        {judgment}, revision, {recorded_at}, probability, lower, upper,
        COALESCE(quantile_values, 'null'::json), confidence, rationale
    """


_UPDATE_FROM_JSON = sa.text(
    f"""
    WITH changed AS (
        SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS changed(
            judgment integer, revision integer, {_VALUES_RECORD}
        )
    ), updated AS (
        UPDATE judgments SET
            revision = changed.revision,
            updated_at = :now,
            probability = changed.probability,
            lower = changed.lower,
            upper = changed.upper,
            quantile_values = COALESCE(changed.quantile_values, 'null'::json),
            confidence = changed.confidence,
            rationale = changed.rationale
        FROM changed
        WHERE judgments.id = changed.judgment
            AND judgments.expert_id = :expert AND judgments.round_id = :round
    )
    {_insert_revisions("judgment", ":now")}
    FROM changed
    """
).bindparams(sa.bindparam("now", type_=UTCDateTime))
"""PostgreSQL's update of many judgments, with their revisions, from one JSON array."""


def record_judgment(
    session: Session, expert: Expert, question: Question, round_: Round, answer: Answer
) -> Judgment:
    """Store ``answer`` as ``expert``'s judgment of ``question`` in ``round_``.

    The round must be open and belong to the expert's study, as must the
    question. A changed answer to the same question in the same round updates
    the judgment, raises its revision and keeps the new version as a
    :class:`JudgmentRevision`; an unchanged one is left as it is, so repeating
    a submission is harmless.

    Raises
    ------
    DomainError
        If the round is not open or the question, round and expert do not belong together.
    AnswerErrors
        If the values break a rule of the question's kind.
    """
    if round_.state is not RoundState.OPEN:
        raise DomainError(
            "round_not_open",
            gettext(
                "Round %(number)s is not open, so no answer can be recorded in it.",
                number=round_.number,
            ),
        )
    if not expert.study_id == question.study_id == round_.study_id:
        raise DomainError(
            "wrong_study", gettext("The question and the round are not in this expert's study.")
        )
    errors = check_answer(question, answer)
    if errors:
        raise AnswerErrors(errors)
    before = find_judgment(session, expert, question, round_)
    revision = before.revision if before is not None else 0
    judgment = _record(session, expert, question, round_, answer, before)
    session.flush()
    if judgment.revision != revision:
        _write_revisions(session, [_revision_of(judgment)])
    return judgment


def _record(
    session: Session,
    expert: Expert,
    question: Question,
    round_: Round,
    answer: Answer,
    judgment: Judgment | None,
) -> Judgment:
    """Store ``answer`` over ``judgment`` (the one recorded, if any) as an object; no flush.

    :func:`record_judgment` has checked the round, the question and the
    answer, and writes the new revision if the revision rose
    (:func:`_revision_of`, :func:`_write_revisions`). A whole round's answers
    are written as rows instead (:func:`_record_all`).
    """
    if judgment is None:
        now = utcnow()
        judgment = Judgment(
            expert=expert,
            question=question,
            round=round_,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        session.add(judgment)
    elif same_answer(judgment, answer):
        return judgment
    else:
        judgment.revision += 1
        judgment.updated_at = utcnow()
    for name, value in _values(answer).items():
        setattr(judgment, name, value)
    return judgment


def _revision_of(judgment: Judgment) -> dict[str, Any]:
    """Return the row of ``judgment``'s current version in ``judgment_revisions``."""
    return {
        "judgment_id": judgment.id,
        "revision": judgment.revision,
        "recorded_at": judgment.updated_at,
        **{name: getattr(judgment, name) for name in _VALUE_COLUMNS},
    }


def _write_revisions(session: Session, revisions: list[dict[str, Any]]) -> None:
    """Insert ``revisions`` (rows of ``judgment_revisions``, their judgments' ids known) at once.

    Revisions are only ever written, never read back in the same unit of
    work, so they go in as one statement into the table rather than as objects:
    on PostgreSQL from one JSON array (:data:`_REVISIONS_FROM_JSON`), where
    psycopg's ``executemany`` would send one statement per row; elsewhere as
    one ``executemany``.
    """
    if not revisions:
        return
    if session.get_bind().dialect.name == "postgresql":
        rows = [{**row, "recorded_at": row["recorded_at"].isoformat()} for row in revisions]
        session.execute(_REVISIONS_FROM_JSON, {"rows": json.dumps(rows)})
        return
    session.execute(sa.insert(table_of(JudgmentRevision)), revisions)


_REVISIONS_FROM_JSON = sa.text(
    f"""
    {_insert_revisions("judgment_id", "recorded_at")}
    FROM json_to_recordset(CAST(:rows AS json)) AS revision(
        judgment_id integer, revision integer, recorded_at timestamp with time zone,
        {_VALUES_RECORD}
    )
    """
)
"""PostgreSQL's insert of many judgment revisions from one JSON array (:func:`_write_revisions`)."""


def find_judgment(
    session: Session, expert: Expert, question: Question, round_: Round
) -> Judgment | None:
    """Return ``expert``'s judgment of ``question`` in ``round_``, if there is one."""
    return session.scalar(
        sa.select(Judgment).where(
            Judgment.expert_id == expert.id,
            Judgment.question_id == question.id,
            Judgment.round_id == round_.id,
        )
    )
