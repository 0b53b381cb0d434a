"""Closing times: every transition and rule of a round with a deadline, on a set clock.

No test waits for time to pass: the services take ``now``, and a closing time
"in the past" is one set while the clock read earlier.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from elicit.analysis.round_statistics import panel_summary
from elicit.audit import AuditEvent
from elicit.db import utcnow
from elicit.errors import DomainError
from elicit.judgments.models import Judgment, JudgmentDraft
from elicit.judgments.submission import save_drafts, submit_round
from elicit.rounds.models import Round, RoundExtension, RoundState
from elicit.rounds.services import (
    close_round,
    closing_due,
    closing_time,
    create_round,
    extend_for_expert,
    extend_round,
    open_next_round,
    open_round,
    record_due_closings,
    takes_answers,
)
from elicit.studies.round_settings import to_utc, update_round_settings
from tests import factories

T0 = datetime(2030, 5, 4, 12, 0, tzinfo=UTC)
"""The clock of these tests: round 1 opens at T0 and closes an hour later."""
HOUR = timedelta(hours=1)


def audit_entries(session, action):
    """The audit entries of ``action``, oldest first, as (actor id, target, details)."""
    return session.execute(
        sa.select(AuditEvent.actor_id, AuditEvent.target, AuditEvent.details)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id)
    ).all()


@pytest.fixture
def study(session):
    found = factories.study(session)
    factories.question(session, found)
    for name in ("Alder", "Birch"):
        factories.expert(session, found, name)
    return found


@pytest.fixture
def experts(study):
    return {expert.pseudonym: expert for expert in study.experts}


@pytest.fixture
def round1(session, study):
    """Round 1, open from T0 and closing at T0 + 1 hour."""
    return open_round(session, create_round(session, study), closes_at=T0 + HOUR, now=T0)


def answer(study, probability="30"):
    """A raw answer to the study's one question."""
    question = study.questions[0]
    return {question.id: {"probability": probability, "confidence": "", "rationale": ""}}


# Opening


def test_a_round_opens_with_a_closing_time_and_takes_answers_until_then(
    session, study, experts, round1
):
    alder = experts["Alder"].id
    assert round1.state is RoundState.OPEN and round1.opened_at == T0
    assert round1.closes_at == T0 + HOUR and closing_time(session, round1, alder) == T0 + HOUR
    assert takes_answers(session, round1, alder, now=T0 + HOUR - timedelta(seconds=1))
    assert not takes_answers(session, round1, alder, now=T0 + HOUR)
    assert not closing_due(session, round1, now=T0 + HOUR - timedelta(seconds=1))
    assert closing_due(session, round1, now=T0 + HOUR)
    [(actor, target, details)] = audit_entries(session, "round.open")
    assert target == "round 1" and details["closes_at"] == (T0 + HOUR).isoformat()


def test_a_round_without_a_closing_time_takes_answers_until_it_is_closed(session, study, experts):
    round_ = open_round(session, create_round(session, study), now=T0)
    assert closing_time(session, round_) is None
    assert takes_answers(session, round_, experts["Alder"].id, now=T0 + 1000 * HOUR)
    close_round(session, round_, now=T0 + 2 * HOUR)
    assert not takes_answers(session, round_, experts["Alder"].id, now=T0 + 2 * HOUR)
    assert round_.closed_at == T0 + 2 * HOUR


@pytest.mark.parametrize("closes_at", [T0, T0 - timedelta(minutes=1)])
def test_a_closing_time_that_is_not_in_the_future_is_refused(session, study, closes_at):
    round_ = create_round(session, study)
    with pytest.raises(DomainError, match="^the closing time must be later than now$") as caught:
        open_round(session, round_, closes_at=closes_at, now=T0)
    assert caught.value.code == "closing_time_past"
    session.refresh(round_)
    assert round_.state is RoundState.DRAFT and round_.closes_at is None


def test_a_round_cannot_open_with_an_empty_panel(session):
    empty = factories.study(session, slug="empty")
    round_ = create_round(session, empty)
    with pytest.raises(DomainError) as caught:
        open_round(session, round_)
    assert caught.value.code == "empty_panel"
    assert caught.value.message == (
        "round 1 cannot open while the panel is empty; add experts first"
    )
    with pytest.raises(DomainError, match="panel is empty"):
        open_next_round(session, empty)
    session.refresh(round_)
    assert round_.state is RoundState.DRAFT
    assert audit_entries(session, "round.open") == []


# Time-based closing


def test_the_closing_is_recorded_at_the_closing_time_once_with_no_actor(session, round1):
    assert record_due_closings(session, now=T0 + HOUR - timedelta(seconds=1)) == []
    assert round1.state is RoundState.OPEN

    assert record_due_closings(session, now=T0 + 5 * HOUR) == [round1]
    assert round1.state is RoundState.CLOSED and round1.closed_at == T0 + HOUR
    [(actor, target, details)] = audit_entries(session, "round.close")
    assert actor is None and target == "round 1"
    assert details == {"before": "open", "after": "closed", "closed_at": (T0 + HOUR).isoformat()}

    assert record_due_closings(session, now=T0 + 6 * HOUR) == []
    assert len(audit_entries(session, "round.close")) == 1


def test_rounds_without_a_closing_time_are_never_closed_by_the_clock(session, study):
    round_ = open_round(session, create_round(session, study), now=T0)
    assert record_due_closings(session, now=T0 + 10_000 * HOUR) == []
    assert round_.state is RoundState.OPEN


def test_closing_by_hand_after_the_closing_time_records_the_closing_time(session, round1, study):
    close_round(session, round1, actor=study.owner, now=T0 + 3 * HOUR)
    assert round1.closed_at == T0 + HOUR
    [(actor, _, _)] = audit_entries(session, "round.close")
    assert actor == study.owner.id


def test_closing_by_hand_before_the_closing_time_closes_now(session, round1):
    close_round(session, round1, now=T0 + timedelta(minutes=10))
    assert round1.closed_at == T0 + timedelta(minutes=10)
    assert not takes_answers(session, round1, now=T0 + timedelta(minutes=11))


def test_opening_the_next_round_records_a_due_closing_first(session, study, round1):
    second = open_next_round(session, study, closes_at=T0 + 9 * HOUR, now=T0 + 2 * HOUR)
    assert (round1.state, round1.closed_at) == (RoundState.CLOSED, T0 + HOUR)
    assert (second.number, second.state, second.closes_at) == (2, RoundState.OPEN, T0 + 9 * HOUR)


def test_the_next_round_cannot_open_while_the_open_one_still_takes_answers(study, session, round1):
    with pytest.raises(DomainError, match="round 1 is still open; close it first"):
        open_next_round(session, study, now=T0 + HOUR - timedelta(seconds=1))
    assert round1.state is RoundState.OPEN


# Extensions


def test_extending_for_everyone_moves_the_closing_time_later(session, study, experts, round1):
    extend_round(session, round1, T0 + 3 * HOUR, actor=study.owner, now=T0 + HOUR / 2)
    assert round1.closes_at == T0 + 3 * HOUR
    assert takes_answers(session, round1, experts["Birch"].id, now=T0 + 2 * HOUR)
    [(actor, _, details)] = audit_entries(session, "round.extend")
    assert actor == study.owner.id
    assert details == {"before": (T0 + HOUR).isoformat(), "after": (T0 + 3 * HOUR).isoformat()}


def test_a_closing_time_can_be_set_on_a_round_that_had_none(session, study):
    round_ = open_round(session, create_round(session, study), now=T0)
    extend_round(session, round_, T0 + HOUR, now=T0)
    assert round_.closes_at == T0 + HOUR
    [(_, _, details)] = audit_entries(session, "round.extend")
    assert details["before"] is None


@pytest.mark.parametrize(
    ("new", "now", "code"),
    [
        (T0 + HOUR / 2, T0, "closing_time_earlier"),
        (T0 + HOUR, T0, "closing_time_earlier"),
        (T0 + 3 * HOUR, T0 + HOUR, "closing_time_passed"),
        (T0 + 3 * HOUR, T0 + 2 * HOUR, "closing_time_passed"),
    ],
)
def test_refused_extensions_change_nothing(session, round1, new, now, code):
    with pytest.raises(DomainError) as caught:
        extend_round(session, round1, new, now=now)
    assert caught.value.code == code
    session.refresh(round1)
    assert round1.closes_at == T0 + HOUR
    assert audit_entries(session, "round.extend") == []


def test_a_closed_round_cannot_be_extended(session, round1):
    close_round(session, round1, now=T0)
    with pytest.raises(DomainError, match="round 1 is not open, so its closing time cannot"):
        extend_round(session, round1, T0 + 5 * HOUR, now=T0)


def test_one_expert_gets_more_time_and_the_round_closes_after_their_deadline(
    session, study, experts, round1
):
    alder, birch = experts["Alder"], experts["Birch"]
    extend_for_expert(session, round1, alder, T0 + 2 * HOUR, actor=study.owner, now=T0)
    after_round = T0 + HOUR + timedelta(minutes=30)
    assert closing_time(session, round1, alder.id) == T0 + 2 * HOUR
    assert closing_time(session, round1, birch.id) == T0 + HOUR
    assert closing_time(session, round1) == T0 + 2 * HOUR
    assert takes_answers(session, round1, alder.id, now=after_round)
    assert not takes_answers(session, round1, birch.id, now=after_round)
    assert not closing_due(session, round1, now=after_round)
    assert record_due_closings(session, now=after_round) == []

    extend_for_expert(session, round1, alder, T0 + 3 * HOUR, now=after_round)
    assert session.scalar(sa.select(sa.func.count()).select_from(RoundExtension)) == 1
    details = [d for _, _, d in audit_entries(session, "round.extend_expert")]
    assert details == [
        {
            "expert": "Alder",
            "before": (T0 + HOUR).isoformat(),
            "after": (T0 + 2 * HOUR).isoformat(),
        },
        {
            "expert": "Alder",
            "before": (T0 + 2 * HOUR).isoformat(),
            "after": (T0 + 3 * HOUR).isoformat(),
        },
    ]

    assert record_due_closings(session, now=T0 + 4 * HOUR) == [round1]
    assert round1.closed_at == T0 + 3 * HOUR


def test_an_extension_for_everyone_beyond_an_experts_own_one_wins(session, experts, round1):
    alder = experts["Alder"]
    extend_for_expert(session, round1, alder, T0 + 2 * HOUR, now=T0)
    extend_round(session, round1, T0 + 5 * HOUR, now=T0)
    assert closing_time(session, round1, alder.id) == T0 + 5 * HOUR


def test_refused_expert_extensions(session, study, experts, round1):
    alder, birch = experts["Alder"], experts["Birch"]
    with pytest.raises(DomainError) as caught:
        extend_for_expert(session, round1, birch, T0 + HOUR, now=T0)
    assert caught.value.message == "the new closing time must be later than Birch's current one"
    with pytest.raises(DomainError, match="^round 1 has already closed for Birch;"):
        extend_for_expert(session, round1, birch, T0 + 5 * HOUR, now=T0 + HOUR)
    other = factories.study(session, study.owner, slug="other")
    stranger = factories.expert(session, other, "Stranger")
    with pytest.raises(DomainError, match="not on the study's panel"):
        extend_for_expert(session, round1, stranger, T0 + 5 * HOUR, now=T0)
    without = open_round(session, create_round(session, other), now=T0)
    with pytest.raises(DomainError, match="has no closing time, so no one needs more time"):
        extend_for_expert(session, without, stranger, T0 + 5 * HOUR, now=T0)
    assert session.scalar(sa.select(sa.func.count()).select_from(RoundExtension)) == 0
    assert alder.id not in {e.expert_id for e in round1.extensions}


# Answers and the closing time


def test_answers_are_taken_until_the_closing_time_and_refused_after(
    session, study, experts, round1
):
    alder, birch = experts["Alder"], experts["Birch"]
    save_drafts(session, alder, round1, answer(study, "40"), now=T0 + HOUR / 2)
    result = submit_round(session, birch, round1, answer(study, "25"), now=T0 + HOUR / 2)
    assert len(result.recorded) == 1
    for write in (save_drafts, submit_round):
        with pytest.raises(DomainError) as caught:
            write(session, alder, round1, answer(study, "45"), now=T0 + HOUR)
        assert caught.value.code == "round_closed"
    draft = session.scalar(sa.select(JudgmentDraft).where(JudgmentDraft.expert_id == alder.id))
    assert draft.fields["probability"] == "40"


def test_an_extended_expert_may_still_submit_after_the_round_closing_time(
    session, study, experts, round1
):
    alder = experts["Alder"]
    extend_for_expert(session, round1, alder, T0 + 2 * HOUR, now=T0)
    result = submit_round(session, alder, round1, answer(study), now=T0 + HOUR + HOUR / 2)
    assert len(result.recorded) == 1
    with pytest.raises(DomainError):
        submit_round(session, experts["Birch"], round1, answer(study), now=T0 + HOUR + HOUR / 2)


def test_unsubmitted_drafts_stay_drafts_and_are_not_counted(session, study, experts, round1):
    alder, birch = experts["Alder"], experts["Birch"]
    save_drafts(session, alder, round1, answer(study, "90"), now=T0)
    submit_round(session, birch, round1, answer(study, "20"), now=T0)
    record_due_closings(session, now=T0 + 2 * HOUR)
    assert round1.state is RoundState.CLOSED
    assert session.scalar(sa.select(sa.func.count()).select_from(JudgmentDraft)) == 1
    assert session.scalars(sa.select(Judgment.expert_id)).all() == [birch.id]
    summary = panel_summary(session, round1)[study.questions[0].id]
    assert summary.answers == 1 and summary.median == pytest.approx(0.2)


# The study's time zone


def test_a_wall_clock_time_is_read_in_the_study_time_zone(session, study):
    update_round_settings(
        session, study, time_zone="Europe/Warsaw", prefill_previous_answers=True, actor=study.owner
    )
    assert to_utc(study, datetime(2030, 1, 15, 17, 0)) == datetime(2030, 1, 15, 16, 0, tzinfo=UTC)
    assert to_utc(study, datetime(2030, 7, 15, 17, 0)) == datetime(2030, 7, 15, 15, 0, tzinfo=UTC)
    with pytest.raises(DomainError, match="there is no 02:30 in Europe/Warsaw that day") as caught:
        to_utc(study, datetime(2030, 3, 31, 2, 30))
    assert caught.value.code == "nonexistent_time"
    [(actor, _, details)] = audit_entries(session, "study.round_settings")
    assert actor == study.owner.id
    assert details == {
        "before": {"time_zone": "UTC", "prefill": False},
        "after": {"time_zone": "Europe/Warsaw", "prefill": True},
    }


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "x" * 100, "utc"])
def test_an_unknown_time_zone_is_refused(session, study, name):
    with pytest.raises(DomainError) as caught:
        update_round_settings(session, study, time_zone=name, prefill_previous_answers=True)
    assert caught.value.code == "unknown_time_zone"
    session.refresh(study)
    assert (study.time_zone, study.prefill_previous_answers) == ("UTC", False)


# elicit rounds tick


def test_tick_records_due_closings_and_is_idempotent(session, runner, study):
    now = utcnow()
    round_ = open_round(
        session, create_round(session, study), closes_at=now - HOUR, now=now - 2 * HOUR
    )
    session.commit()

    first = runner.invoke(args=["rounds", "tick"])
    assert first.exit_code == 0, first.output
    assert f"Closed round 1 of {study.slug} at its closing time" in first.output
    session.expire_all()
    closed = session.get(Round, round_.id)
    assert closed.state is RoundState.CLOSED and closed.closed_at == now - HOUR

    again = runner.invoke(args=["rounds", "tick"])
    assert again.exit_code == 0 and "No round is due to close." in again.output
    assert len(audit_entries(session, "round.close")) == 1
