"""What the answer page and its posts cost in database work, counted in SQL statements, not timed.

The panel's feedback is read as arrays once per change of the round it is on
and kept (:func:`elicit.feedback.services.panel_feedback`); a change of that
round (a rationale hidden) is seen by the next page. A submission reads what
it needs for a whole round's answers in bulk, not per question.
"""

from __future__ import annotations

import sqlalchemy as sa

from elicit.extensions import db
from elicit.feedback.services import panel_feedback, set_rationale_hidden
from elicit.judgments.models import Judgment
from elicit.panels.services import issue_invitation
from elicit.rounds.services import previous_round
from tests import factories
from tests import test_expert_journey as journey
from tests.test_expert_journey import enter

panel = journey.panel
second_round = journey.second_round


class Statements:
    """Collect the SQL statements the app's engine runs while in a ``with`` block."""

    def __enter__(self) -> list[str]:
        self.seen: list[str] = []
        sa.event.listen(db.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc) -> None:
        sa.event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args) -> None:
        self.seen.append(statement)


def reads_round_answers(statements: list[str]) -> bool:
    """Whether a statement is the feedback's array read of a round's judgments, by question."""
    return any("ORDER BY judgments.question_id, judgments.expert_id" in s for s in statements)


def test_the_feedback_is_kept_until_its_round_changes(client, panel, second_round, session):
    first = previous_round(session, second_round)
    kept = panel_feedback(session, first, secret=b"k", min_answers=3)
    assert panel_feedback(session, first, secret=b"k", min_answers=3) is kept
    hidden = session.scalar(sa.select(Judgment).where(Judgment.rationale == "reason number 2"))
    set_rationale_hidden(session, hidden, True)
    changed = panel_feedback(session, first, secret=b"k", min_answers=3)
    assert changed is not kept
    binary = panel["questions"][0]
    assert "reason number 2" in [a.rationale for a in kept[binary.id].answers]
    assert "reason number 2" not in [a.rationale for a in changed[binary.id].answers]
    assert changed[binary.id].count == kept[binary.id].count == 4


def test_a_rationale_hidden_after_the_page_was_seen_is_gone_on_the_next(
    client, panel, second_round, session
):
    enter(client, panel["tokens"][0])
    assert "reason number 2" in client.get("/expert/round").text
    with Statements() as warm:
        again = client.get("/expert/round").text
    assert "reason number 2" in again and not reads_round_answers(warm)
    hidden = session.scalar(sa.select(Judgment).where(Judgment.rationale == "reason number 2"))
    set_rationale_hidden(session, hidden, True)
    session.commit()
    with Statements() as changed:
        page = client.get("/expert/round").text
    assert "reason number 2" not in page and "reason number 3" in page
    assert reads_round_answers(changed)


def page_statements(client, session, experts: int, slug: str) -> list[str]:
    """Statements of a first answer page in round 2 of a study of ``experts`` x 4 questions."""
    owner = factories.user(session, email=f"{slug}@x.test")
    study = factories.large_study(
        session, experts=experts, questions=4, rounds=2, slug=slug, owner=owner
    )
    expert = study.experts[0]
    token = issue_invitation(session, expert)
    session.commit()
    enter(client, token)
    with Statements() as statements:
        page = client.get("/expert/round")
    assert page.status_code == 200 and "The panel in round 1" in page.text
    return statements


def test_the_page_reads_as_much_for_a_large_panel_as_for_a_small_one(client, session):
    small = page_statements(client, session, 4, "small")
    large = page_statements(client, session, 60, "large")
    assert len(small) == len(large)
    assert reads_round_answers(small) and reads_round_answers(large)


def test_a_submission_reads_as_much_for_three_answers_as_for_one(client, panel, session):
    binary, interval, quantity = panel["questions"]
    enter(client, panel["tokens"][0])
    page = client.get("/expert/round").text
    one = journey.form(page, [binary], {binary: {"probability": "30"}})
    # The first post reads the round's questions, which later posts take from the process.
    assert (
        client.post("/expert/rounds/1/answers", data={**one, "action": "draft"}).status_code == 302
    )
    with Statements() as single:
        assert client.post("/expert/rounds/1/answers", data=one).status_code == 302
    enter(client, panel["tokens"][1])
    page = client.get("/expert/round").text
    three = journey.form(
        page,
        [binary, interval, quantity],
        {
            binary: {"probability": "30"},
            interval: {"lower": "10", "probability": "20", "upper": "30"},
            quantity: {"quantile_values": ["1", "5", "9"]},
        },
    )
    with Statements() as triple:
        assert client.post("/expert/rounds/1/answers", data=three).status_code == 302
    assert session.scalar(sa.select(sa.func.count(Judgment.id))) == 4
    assert len(reads(triple)) == len(reads(single))


def reads(statements: list[str]) -> list[str]:
    """The statements that read (each written row may be its own INSERT on SQLite)."""
    return [s for s in statements if s.lstrip().startswith("SELECT")]
