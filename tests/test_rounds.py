"""The round life cycle: draft -> open -> closed, one open round at a time, in order."""

import pytest
import sqlalchemy as sa

from elicit.audit import AuditEvent
from elicit.errors import DomainError
from elicit.rounds.models import Round, RoundState
from elicit.rounds.services import (
    TRANSITIONS,
    close_round,
    create_round,
    open_round,
    transition,
)
from tests import factories


def current_round(session, study):
    return session.scalars(
        sa.select(Round).where(Round.study_id == study.id, Round.state == RoundState.OPEN)
    ).one_or_none()


@pytest.fixture
def study(session):
    found = factories.study(session)
    factories.expert(session, found)
    return found


def test_a_round_goes_draft_open_closed_with_timestamps_and_audit(session, study):
    round_ = create_round(session, study)
    assert (round_.number, round_.state) == (1, RoundState.DRAFT)
    assert current_round(session, study) is None
    open_round(session, round_)
    assert round_.state is RoundState.OPEN and round_.opened_at is not None
    assert current_round(session, study) is round_
    close_round(session, round_)
    assert round_.state is RoundState.CLOSED and round_.closed_at >= round_.opened_at
    actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-4:] == [
        "round.create",
        "stopping_rules.register",
        "round.open",
        "round.close",
    ]


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        (RoundState.DRAFT, RoundState.CLOSED, "round 1 has not opened yet, so it cannot close"),
        (RoundState.DRAFT, RoundState.DRAFT, "round 1 cannot go back to draft"),
        (RoundState.OPEN, RoundState.DRAFT, "round 1 cannot go back to draft"),
        (RoundState.OPEN, RoundState.OPEN, "round 1 is already open"),
        (RoundState.CLOSED, RoundState.OPEN, "round 1 has closed and cannot open again"),
        (RoundState.CLOSED, RoundState.DRAFT, "round 1 cannot go back to draft"),
        (RoundState.CLOSED, RoundState.CLOSED, "round 1 is already closed"),
    ],
)
def test_forbidden_transitions_are_refused(session, study, start, target, message):
    assert target not in TRANSITIONS[start]
    round_ = create_round(session, study)
    for step in {
        RoundState.DRAFT: [],
        RoundState.OPEN: [RoundState.OPEN],
        RoundState.CLOSED: [RoundState.OPEN, RoundState.CLOSED],
    }[start]:
        transition(session, round_, step)
    with pytest.raises(DomainError, match=f"^{message}$") as caught:
        transition(session, round_, target)
    assert caught.value.code == "invalid_transition"
    assert round_.state is start


def test_the_next_round_opens_only_after_the_previous_closed(session, study):
    first, second = create_round(session, study), create_round(session, study)
    assert second.number == 2
    with pytest.raises(
        DomainError, match="round 2 cannot open before round 1 has opened and closed"
    ):
        open_round(session, second)
    open_round(session, first)
    with pytest.raises(DomainError, match="round 2 cannot open while round 1 is open"):
        open_round(session, second)
    close_round(session, first)
    open_round(session, second)
    assert current_round(session, study) is second


def test_rounds_of_other_studies_do_not_block(session, study):
    other = factories.study(session, study.owner, slug="other")
    factories.expert(session, other)
    open_round(session, create_round(session, study))
    open_round(session, create_round(session, other))
    assert current_round(session, other).study is other


def test_the_database_refuses_two_open_rounds_in_one_study(session, study):
    session.add_all(
        [
            Round(study=study, number=1, state=RoundState.OPEN),
            Round(study=study, number=2, state=RoundState.OPEN),
        ]
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_round_numbers_are_unique_per_study(session, study):
    session.add_all([Round(study=study, number=1), Round(study=study, number=1)])
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_the_state_column_only_takes_known_states(session, study):
    round_ = create_round(session, study)
    with pytest.raises(sa.exc.IntegrityError):
        session.execute(
            sa.text("UPDATE rounds SET state = 'paused' WHERE id = :id"), {"id": round_.id}
        )
