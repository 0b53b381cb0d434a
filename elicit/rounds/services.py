"""The round life cycle: the one place where a round changes state.

A round moves ``draft -> open -> closed`` and never back. At most one round of a
study is open at a time, and a round opens only after every earlier round has
closed, so round ``n + 1`` feedback always rests on a finished round ``n``. A
round opens only with someone on the panel.

Closing times
-------------
A round may have a closing time (``Round.closes_at``, UTC); one expert may be
given a later one (a :class:`~elicit.rounds.models.RoundExtension`), so each
expert's own deadline is the later of the two. :func:`takes_answers` is the
one answer to "does this round take answers from this expert now": the round
is open and that expert's deadline has not passed. Every page and every write
asks it, so a round is closed from the moment its closing time passes, whether
or not anything has run since, and no read has to write to make it so. The
closing is recorded afterwards by :func:`record_due_closings` (``elicit rounds
tick``, and before the next round opens), with ``closed_at`` set to the
closing time itself. A deadline that has passed is never moved again: a round
or an expert closed out stays closed.

Every function that depends on the time takes ``now`` (default: the current
UTC time), so tests set the clock instead of waiting for it.

A refusal's message is a clause (lower case, no full stop) that the
facilitator's page shows after "Round 2 was not closed:", in the request's
language (English outside a request).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session, make_transient_to_detached

from elicit import audit
from elicit.accounts.models import User
from elicit.db import table_of, utcnow
from elicit.errors import DomainError
from elicit.rounds.models import Round, RoundExtension, RoundState
from elicit.stopping.models import SettledQuestion
from elicit.stopping.services import register_rules
from elicit.studies.models import Question, Resolution, Study

if TYPE_CHECKING:
    from elicit.panels.models import Expert

TRANSITIONS: dict[RoundState, frozenset[RoundState]] = {
    RoundState.DRAFT: frozenset({RoundState.OPEN}),
    RoundState.OPEN: frozenset({RoundState.CLOSED}),
    RoundState.CLOSED: frozenset(),
}


def _lock_study(session: Session, study_id: int) -> None:
    """Hold the study's row until the transaction ends (PostgreSQL; SQLite locks on BEGIN).

    ``FOR NO KEY UPDATE``: facilitators' actions on one study wait for each
    other, while an expert's write, which only refers to the study (an audit
    entry's foreign key takes ``FOR KEY SHARE``), never waits for it. So a
    close waiting for a submission's hold on the round (see
    :func:`_lock_round`) cannot deadlock with it.
    """
    session.execute(sa.select(Study.id).where(Study.id == study_id).with_for_update(key_share=True))


def _lock_round(session: Session, round_: Round) -> None:
    """Read ``round_`` afresh and hold its row for a change of state (``FOR NO KEY UPDATE``).

    A submission holds the round's row with ``FOR SHARE`` while it writes
    (:func:`hold_round`), so a close waits for a submission under way to
    commit, and a submission that starts after a close reads it closed.
    """
    session.refresh(round_, with_for_update={"key_share": True})


def hold_round(session: Session, round_: Round, *, writer: int | None = None) -> None:
    """Read ``round_`` afresh and keep its state from changing until the transaction ends.

    Writers of answers call this before asking :func:`takes_answers`: the
    round cannot close between that answer and the commit, so a submission
    racing a close is either stored while the round was open, or refused.
    Many experts hold one round at once (``FOR SHARE``); only a change of
    state waits for them. Given ``writer`` (an expert's id), PostgreSQL also
    locks that expert's row (``FOR UPDATE``) in the same statement, so two
    writes of one expert run one after the other; one round trip, not two.
    On SQLite the round is only read afresh: ``BEGIN IMMEDIATE`` already
    serialises writers.
    """
    if writer is not None and session.get_bind().dialect.name != "sqlite":
        session.execute(_HOLD_FOR_WRITER, {"round": round_.id, "expert": writer}).one()
        return
    session.refresh(round_, with_for_update={"read": True})


_ROUNDS = table_of(Round)
_HOLD_FOR_WRITER = (
    sa.select(Round)
    .from_statement(
        sa.text(
            "SELECT "
            + ", ".join(f'rounds."{column.name}"' for column in _ROUNDS.c)
            + " FROM experts, rounds WHERE experts.id = :expert AND rounds.id = :round"
            " FOR UPDATE OF experts FOR SHARE OF rounds"
        ).columns(*_ROUNDS.c)
    )
    .execution_options(populate_existing=True)
)
"""PostgreSQL's :func:`hold_round` for an expert's write: the round held, the expert locked."""


def _moment(now: datetime | None) -> datetime:
    """Return ``now``, or the current UTC time when it is ``None``."""
    return now if now is not None else utcnow()


def closing_time(session: Session, round_: Round, expert_id: int | None = None) -> datetime | None:
    """Return when ``round_`` stops taking answers from expert ``expert_id``; ``None`` for never.

    That is the round's closing time, or the expert's extension if later.
    Without ``expert_id``: when it stops taking answers from everyone (the
    latest extension of all, if later than the round's closing time).
    """
    if round_.closes_at is None:
        return None
    query = sa.select(sa.func.max(RoundExtension.closes_at)).where(
        RoundExtension.round_id == round_.id
    )
    if expert_id is not None:
        query = query.where(RoundExtension.expert_id == expert_id)
    extended = session.scalar(query)
    return max(round_.closes_at, extended) if extended is not None else round_.closes_at


def takes_answers(
    session: Session, round_: Round, expert_id: int | None = None, *, now: datetime | None = None
) -> bool:
    """Whether ``round_`` takes answers from expert ``expert_id`` now (from anyone, if ``None``).

    The one rule every page and write follows: the round is open and the
    expert's own closing time (:func:`closing_time`) has not passed.
    """
    if round_.state is not RoundState.OPEN:
        return False
    deadline = closing_time(session, round_, expert_id)
    return deadline is None or _moment(now) < deadline


def closing_due(session: Session, round_: Round, *, now: datetime | None = None) -> bool:
    """Whether ``round_`` is open in the database but its closing time has passed for everyone.

    Such a round takes no answers (:func:`takes_answers`); its closing is
    recorded by the next :func:`record_due_closings`.
    """
    return round_.state is RoundState.OPEN and not takes_answers(session, round_, now=now)


def _check_future(closes_at: datetime, now: datetime) -> None:
    """Refuse a closing time that is not after ``now``."""
    if closes_at <= now:
        raise DomainError("closing_time_past", gettext("the closing time must be later than now"))


def create_round(session: Session, study: Study, *, actor: User | None = None) -> Round:
    """Add the next round of ``study`` in the draft state."""
    _lock_study(session, study.id)
    last = session.scalar(sa.select(sa.func.max(Round.number)).where(Round.study_id == study.id))
    round_ = Round(study=study, number=(last or 0) + 1, state=RoundState.DRAFT)
    session.add(round_)
    session.flush()
    audit.record(
        session, "round.create", actor=actor, study_id=study.id, target=f"round {round_.number}"
    )
    return round_


def transition(
    session: Session,
    round_: Round,
    target: RoundState,
    *,
    actor: User | None = None,
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> Round:
    """Move ``round_`` to ``target`` if the life cycle allows; else raise :class:`DomainError`.

    The study's row is locked first, so two facilitators acting at once (two
    "open next round" clicks) are handled one after the other and the second
    gets a clear refusal rather than a constraint violation; then the round's
    own row, so a close waits for a submission under way (:func:`hold_round`).

    Parameters
    ----------
    session
        The request's or command's session; the change is flushed, not committed.
    round_
        The round to move.
    target
        The state to move it to.
    actor
        Who did it, for the audit trail (``None`` for the clock).
    closes_at
        Opening only: the round's closing time (UTC), which must be later than
        ``now``; by default the one it has, if any.
    now
        The current time. A round closed after its closing time has passed is
        recorded as closed at that closing time, not at ``now``.
    """
    _lock_study(session, round_.study_id)
    _lock_round(session, round_)
    # Read the clock once the locks are held: a close that waited for a submission
    # is recorded after the answers that submission stored.
    now = _moment(now)
    if target not in TRANSITIONS[round_.state]:
        raise DomainError("invalid_transition", _refused_transition(round_, target))
    details: dict[str, str | None] = {"before": round_.state.value, "after": target.value}
    if target is RoundState.OPEN:
        _check_panel(session, round_)
        blocking = session.scalars(
            sa.select(Round).where(
                Round.study_id == round_.study_id,
                Round.id != round_.id,
                sa.or_(
                    Round.state == RoundState.OPEN,
                    sa.and_(Round.number < round_.number, Round.state != RoundState.CLOSED),
                ),
            )
        ).first()
        if blocking is not None:
            numbers = {"number": round_.number, "other": blocking.number}
            raise DomainError(
                "round_blocked",
                gettext("round %(number)s cannot open while round %(other)s is open", **numbers)
                if blocking.state is RoundState.OPEN
                else gettext(
                    "round %(number)s cannot open before round %(other)s has opened and closed",
                    **numbers,
                ),
            )
        closes_at = closes_at or round_.closes_at
        if closes_at is not None:
            _check_future(closes_at, now)
            details["closes_at"] = closes_at.isoformat()
        round_.closes_at = closes_at
        round_.opened_at = now
        if round_.number == 1:
            register_rules(session, round_.study, actor=actor)
    else:
        deadline = closing_time(session, round_)
        round_.closed_at = deadline if deadline is not None and deadline <= now else now
        details["closed_at"] = round_.closed_at.isoformat()
    round_.state = target
    session.flush()
    audit.record(
        session,
        "round.open" if target is RoundState.OPEN else "round.close",
        actor=actor,
        study_id=round_.study_id,
        target=f"round {round_.number}",
        details=details,
    )
    return round_


def _check_panel(session: Session, round_: Round) -> None:
    """Refuse to open ``round_`` while its study has no one on the panel."""
    panel = session.scalar(
        sa.select(Study.id).where(Study.id == round_.study_id, Study.experts.any())
    )
    if panel is None:
        raise DomainError(
            "empty_panel",
            gettext(
                "round %(number)s cannot open while the panel is empty; add experts first",
                number=round_.number,
            ),
        )


def _refused_transition(round_: Round, target: RoundState) -> str:
    """Say why ``round_`` cannot move from its state to ``target``, a whole clause per case."""
    number = round_.number
    if target is RoundState.DRAFT:
        return gettext("round %(number)s cannot go back to draft", number=number)
    if round_.state is target:
        return (
            gettext("round %(number)s is already open", number=number)
            if target is RoundState.OPEN
            else gettext("round %(number)s is already closed", number=number)
        )
    if target is RoundState.OPEN:
        return gettext("round %(number)s has closed and cannot open again", number=number)
    return gettext("round %(number)s has not opened yet, so it cannot close", number=number)


def open_round(
    session: Session,
    round_: Round,
    *,
    actor: User | None = None,
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> Round:
    """Start taking answers in ``round_``, until ``closes_at`` (UTC) if given."""
    return transition(session, round_, RoundState.OPEN, actor=actor, closes_at=closes_at, now=now)


def close_round(
    session: Session, round_: Round, *, actor: User | None = None, now: datetime | None = None
) -> Round:
    """Stop taking answers in ``round_``; its judgments become the next round's feedback.

    Drafts the experts did not submit stay drafts: they are not answers.
    """
    return transition(session, round_, RoundState.CLOSED, actor=actor, now=now)


def record_due_closings(
    session: Session, *, study: Study | None = None, now: datetime | None = None
) -> list[Round]:
    """Record as closed every open round whose closing time has passed for everyone.

    Each is closed at its closing time (the latest extension's, if later),
    audited with no actor. Running it again, or in two processes at once,
    records each closing once. Only ``study``'s round when given.
    """
    now = _moment(now)
    query = sa.select(Round).where(Round.state == RoundState.OPEN, Round.closes_at.is_not(None))
    if study is not None:
        query = query.where(Round.study_id == study.id)
    closed = []
    for round_ in session.scalars(query.order_by(Round.id)).all():
        _lock_study(session, round_.study_id)
        _lock_round(session, round_)
        if closing_due(session, round_, now=now):
            closed.append(transition(session, round_, RoundState.CLOSED, now=now))
    return closed


def open_next_round(
    session: Session,
    study: Study,
    *,
    actor: User | None = None,
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> Round:
    """Open ``study``'s next round: the first round still in draft, else a new one after the last.

    A round whose closing time has passed is recorded as closed first
    (:func:`record_due_closings`), so the next one can open after it.

    Raises
    ------
    DomainError
        ``round_still_open`` while another round is open (close it first), or
        whatever :func:`transition` refuses. The study's row is locked first,
        so two facilitators clicking at once open one round, not two.
    """
    _lock_study(session, study.id)
    record_due_closings(session, study=study, now=now)
    still_open = open_round_of(session, study)
    if still_open is not None:
        raise DomainError(
            "round_still_open",
            gettext("round %(number)s is still open; close it first", number=still_open.number),
        )
    draft = session.scalar(
        sa.select(Round)
        .where(Round.study_id == study.id, Round.state == RoundState.DRAFT)
        .order_by(Round.number)
    )
    round_ = draft or create_round(session, study, actor=actor)
    return open_round(session, round_, actor=actor, closes_at=closes_at, now=now)


def extend_round(
    session: Session,
    round_: Round,
    closes_at: datetime,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> Round:
    """Move ``round_``'s closing time for everyone to the later ``closes_at`` (or set one).

    Raises
    ------
    DomainError
        If the round is not open, its closing time has already passed, or
        ``closes_at`` is not later than both now and the current closing time.
    """
    now = _moment(now)
    _lock_study(session, round_.study_id)
    _lock_round(session, round_)
    before = round_.closes_at
    _check_extensible(round_, before, now)
    _check_future(closes_at, now)
    if before is not None and closes_at <= before:
        raise DomainError(
            "closing_time_earlier",
            gettext("the new closing time must be later than the current one"),
        )
    round_.closes_at = closes_at
    session.flush()
    audit.record(
        session,
        "round.extend",
        actor=actor,
        study_id=round_.study_id,
        target=f"round {round_.number}",
        details={
            "before": before.isoformat() if before is not None else None,
            "after": closes_at.isoformat(),
        },
    )
    return round_


def extend_for_expert(
    session: Session,
    round_: Round,
    expert: Expert,
    closes_at: datetime,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> RoundExtension:
    """Give ``expert`` alone until ``closes_at`` in ``round_`` (a :class:`RoundExtension`).

    The expert's deadline becomes the later of the round's closing time and
    ``closes_at``; giving them more time again moves their extension.

    Raises
    ------
    DomainError
        If the expert is not on the study's panel, the round is not open or
        has no closing time, the expert's deadline has already passed, or
        ``closes_at`` is not later than it.
    """
    now = _moment(now)
    _lock_study(session, round_.study_id)
    _lock_round(session, round_)
    if expert.study_id != round_.study_id:
        raise DomainError("wrong_study", gettext("this expert is not on the study's panel"))
    if round_.closes_at is None:
        raise DomainError(
            "no_closing_time",
            gettext(
                "round %(number)s has no closing time, so no one needs more time",
                number=round_.number,
            ),
        )
    before = closing_time(session, round_, expert.id)
    _check_extensible(round_, before, now, expert=expert.pseudonym)
    _check_future(closes_at, now)
    if before is not None and closes_at <= before:
        raise DomainError(
            "closing_time_earlier",
            gettext(
                "the new closing time must be later than %(expert)s's current one",
                expert=expert.pseudonym,
            ),
        )
    extension = session.scalar(
        sa.select(RoundExtension).where(
            RoundExtension.round_id == round_.id, RoundExtension.expert_id == expert.id
        )
    )
    if extension is None:
        extension = RoundExtension(round_id=round_.id, expert_id=expert.id, closes_at=closes_at)
        session.add(extension)
    else:
        extension.closes_at = closes_at
    session.flush()
    audit.record(
        session,
        "round.extend_expert",
        actor=actor,
        study_id=round_.study_id,
        target=f"round {round_.number}",
        details={
            "expert": expert.pseudonym,
            "before": before.isoformat() if before is not None else None,
            "after": closes_at.isoformat(),
        },
    )
    return extension


def _check_extensible(
    round_: Round, deadline: datetime | None, now: datetime, *, expert: str | None = None
) -> None:
    """Refuse to move a deadline of a round that is not open, or one that has passed."""
    if round_.state is not RoundState.OPEN:
        raise DomainError(
            "round_not_open",
            gettext(
                "round %(number)s is not open, so its closing time cannot change",
                number=round_.number,
            ),
        )
    if deadline is not None and deadline <= now:
        raise DomainError(
            "closing_time_passed",
            gettext(
                "round %(number)s has already closed for %(expert)s; a closed round stays closed",
                number=round_.number,
                expert=expert,
            )
            if expert is not None
            else gettext(
                "round %(number)s has already closed; a closed round stays closed",
                number=round_.number,
            ),
        )


def open_round_of(session: Session, study: Study) -> Round | None:
    """Return the study's open round, if one is open."""
    return session.scalar(_OPEN_ROUND, {"study": study.id})


def numbered_round(session: Session, study_id: int, number: int) -> Round | None:
    """Return round ``number`` of study ``study_id``, if there is one.

    One indexed row, where going through ``study.rounds`` loads every round
    of the study through the relationship's lazy load (measured: 7% of an
    expert's post on PostgreSQL).
    """
    return session.scalar(_NUMBERED_ROUND, {"study": study_id, "number": number})


def previous_round(session: Session, round_: Round) -> Round | None:
    """Return the closed round before ``round_`` (whose answers are its feedback), if any."""
    return session.scalar(_PREVIOUS_ROUND, {"study": round_.study_id, "number": round_.number - 1})


_OPEN_ROUND = sa.select(Round).where(
    Round.study_id == sa.bindparam("study"), Round.state == RoundState.OPEN
)
"""What :func:`open_round_of` reads, built once (every answer page asks)."""
_NUMBERED_ROUND = sa.select(Round).where(
    Round.study_id == sa.bindparam("study"), Round.number == sa.bindparam("number")
)
"""What :func:`numbered_round` reads, built once (every post of an expert asks)."""
_PREVIOUS_ROUND = sa.select(Round).where(
    Round.study_id == sa.bindparam("study"),
    Round.number == sa.bindparam("number"),
    Round.state == RoundState.CLOSED,
)
"""What :func:`previous_round` reads, built once (every answer page asks)."""


def _asked(columns: sa.Select) -> sa.Select:
    """Narrow ``columns`` to the questions a round asks (see :func:`round_questions`).

    The round is given when the statement runs (:func:`_asking`), so each
    statement is built once: building it, with its subquery and joins, cost
    more than running it.
    """
    settled = sa.select(SettledQuestion.question_id).where(
        SettledQuestion.round_number < sa.bindparam("round_number")
    )
    return (
        columns.outerjoin(Resolution, Resolution.question_id == Question.id)
        .where(
            Question.study_id == sa.bindparam("study_id"),
            Question.close_date >= sa.bindparam("today"),
            Question.first_round <= sa.bindparam("round_number"),
            Question.withdrawn_at.is_(None),
            Resolution.id.is_(None),
            Question.id.not_in(settled),
        )
        .order_by(Question.position)
    )


_ROUND_QUESTIONS = _asked(sa.select(Question))
_ROUND_QUESTION_IDS = _asked(sa.select(Question.id))


def _asking(round_: Round, today: date | None) -> dict[str, Any]:
    """Return the parameters of :func:`_asked`'s statements for ``round_`` on ``today``."""
    return {
        "study_id": round_.study_id,
        "round_number": round_.number,
        "today": today or utcnow().date(),
    }


def round_questions(session: Session, round_: Round, today: date | None = None) -> list[Question]:
    """Return the questions ``round_`` asks, in the study's order.

    A round asks every question of its study that has not resolved, has not
    been withdrawn, is first asked in this round or earlier (a corrected
    question added once rounds had opened waits for the next one), was not
    settled by its stopping rules in an earlier round, and whose close date
    has not passed (``today`` defaults to the current UTC date).

    See Also
    --------
    round_question_ids : the same questions' ids only, much cheaper to read.
    asked_questions : copies kept while the study's questions are unchanged, for expert posts.
    """
    return list(session.scalars(_ROUND_QUESTIONS, _asking(round_, today)))


def asked_questions(
    session: Session, round_: Round, version: int, today: date | None = None
) -> list[Question]:
    """Return :func:`round_questions`' questions as copies kept while they are unchanged.

    For an expert's posts, which read their round's questions on every save
    and submission and only read their values (kind, quantiles, bounds,
    title): loading thirty questions as objects was a sixth of a submission's
    work. ``version`` is ``questions_version`` of ``round_``'s study as read
    in this transaction, which the database renews on any change to the
    study's questions, resolutions or settled rules (migration 0015), so a
    copy kept for another version is never used; the day is part of the key
    too, as questions close by date. The copies are detached: they belong to
    no session, and a relationship read from one raises rather than loads.
    Each process keeps the :data:`ASKED_KEPT` rounds asked most recently.
    """
    today = today or utcnow().date()
    key = (round_.study_id, round_.number, today, version)
    with _ASKED_LOCK:
        kept = _ASKED.get(key)
        if kept is not None:
            _ASKED.move_to_end(key)
            return list(kept)
    kept = tuple(_detached_copy(question) for question in round_questions(session, round_, today))
    with _ASKED_LOCK:
        _ASKED[key] = kept
        while len(_ASKED) > ASKED_KEPT:
            _ASKED.popitem(last=False)
    return list(kept)


ASKED_KEPT = 64
"""How many rounds' questions each process keeps (:func:`asked_questions`)."""
_ASKED: OrderedDict[tuple[int, int, date, int], tuple[Question, ...]] = OrderedDict()
_ASKED_LOCK = threading.Lock()


def _detached_copy(question: Question) -> Question:
    """Return a copy of ``question``'s column values, detached from any session."""
    columns = sa.inspect(Question).column_attrs
    copy = Question(**{column.key: getattr(question, column.key) for column in columns})
    make_transient_to_detached(copy)
    return copy


def round_question_ids(session: Session, round_: Round, today: date | None = None) -> list[int]:
    """Return the ids of the questions ``round_`` asks (:func:`round_questions`), in order.

    A writer holding the round checks with these that questions it read
    earlier in the request are still the ones asked, without loading them again.
    """
    return list(session.scalars(_ROUND_QUESTION_IDS, _asking(round_, today)))
