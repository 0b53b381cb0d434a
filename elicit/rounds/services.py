"""The round life cycle: the one place where a round changes state.

A round moves ``draft -> open -> closed`` and never back. At most one round of a
study is open at a time, and a round opens only after every earlier round has
closed, so round ``n + 1`` feedback always rests on a finished round ``n``.

A refusal's message is a clause (lower case, no full stop) that the
facilitator's page shows after "Round 2 was not closed:", in the request's
language (English outside a request).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from elicit import audit
from elicit.accounts.models import User
from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.rounds.models import Round, RoundState
from elicit.studies.models import Question, Resolution, Study

TRANSITIONS: dict[RoundState, frozenset[RoundState]] = {
    RoundState.DRAFT: frozenset({RoundState.OPEN}),
    RoundState.OPEN: frozenset({RoundState.CLOSED}),
    RoundState.CLOSED: frozenset(),
}


def _lock_study(session: Session, study_id: int) -> None:
    """Hold the study's row until the transaction ends (PostgreSQL; SQLite locks on BEGIN)."""
    session.execute(sa.select(Study.id).where(Study.id == study_id).with_for_update())


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
    session: Session, round_: Round, target: RoundState, *, actor: User | None = None
) -> Round:
    """Move ``round_`` to ``target`` if the life cycle allows; else raise :class:`DomainError`.

    The study's row is locked first, so two facilitators acting at once (two
    "open next round" clicks) are handled one after the other and the second
    gets a clear refusal rather than a constraint violation.
    """
    _lock_study(session, round_.study_id)
    session.refresh(round_)
    if target not in TRANSITIONS[round_.state]:
        raise DomainError("invalid_transition", _refused_transition(round_, target))
    if target is RoundState.OPEN:
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
        round_.opened_at = utcnow()
    else:
        round_.closed_at = utcnow()
    previous = round_.state
    round_.state = target
    session.flush()
    audit.record(
        session,
        f"round.{'open' if target is RoundState.OPEN else 'close'}",
        actor=actor,
        study_id=round_.study_id,
        target=f"round {round_.number}",
        details={"from": previous.value, "to": target.value},
    )
    return round_


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


def open_round(session: Session, round_: Round, *, actor: User | None = None) -> Round:
    """Start taking answers in ``round_``."""
    return transition(session, round_, RoundState.OPEN, actor=actor)


def close_round(session: Session, round_: Round, *, actor: User | None = None) -> Round:
    """Stop taking answers in ``round_``; its judgments become the next round's feedback."""
    return transition(session, round_, RoundState.CLOSED, actor=actor)


def open_next_round(session: Session, study: Study, *, actor: User | None = None) -> Round:
    """Open ``study``'s next round: the first round still in draft, else a new one after the last.

    Raises
    ------
    DomainError
        ``round_still_open`` while another round is open (close it first), or
        whatever :func:`transition` refuses. The study's row is locked first,
        so two facilitators clicking at once open one round, not two.
    """
    _lock_study(session, study.id)
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
    return open_round(session, round_, actor=actor)


def open_round_of(session: Session, study: Study) -> Round | None:
    """Return the study's open round, if one is open."""
    return session.scalar(
        sa.select(Round).where(Round.study_id == study.id, Round.state == RoundState.OPEN)
    )


def previous_round(session: Session, round_: Round) -> Round | None:
    """Return the closed round before ``round_`` (whose answers are its feedback), if any."""
    return session.scalar(
        sa.select(Round).where(
            Round.study_id == round_.study_id,
            Round.number == round_.number - 1,
            Round.state == RoundState.CLOSED,
        )
    )


def round_questions(session: Session, round_: Round, today: date | None = None) -> list[Question]:
    """Return the questions ``round_`` asks, in the study's order.

    A round asks every question of its study that has not resolved, has not
    been withdrawn, is first asked in this round or earlier (a corrected
    question added once rounds had opened waits for the next one), and whose
    close date has not passed (``today`` defaults to the current UTC date).
    """
    today = today or utcnow().date()
    return list(
        session.scalars(
            sa.select(Question)
            .outerjoin(Resolution, Resolution.question_id == Question.id)
            .where(
                Question.study_id == round_.study_id,
                Question.close_date >= today,
                Question.first_round <= round_.number,
                Question.withdrawn_at.is_(None),
                Resolution.id.is_(None),
            )
            .order_by(Question.position)
        )
    )
