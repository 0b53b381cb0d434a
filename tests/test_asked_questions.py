"""What a round asks, kept per process for experts' posts while the study's questions are unchanged.

The study's ``questions_version`` is renewed by the database's own triggers
(migration 0015), so a change made by any client, raw SQL included, makes the
next post read the questions afresh.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import DetachedInstanceError

from elicit.judgments.models import Judgment
from elicit.rounds.services import asked_questions, round_questions
from elicit.stopping.models import SettledQuestion
from elicit.studies.models import Outcome, Study
from elicit.studies.services import resolve_question
from tests import factories
from tests import test_expert_journey as journey
from tests.test_answer_page_cost import Statements
from tests.test_expert_journey import enter, form

panel = journey.panel


def version(session, study) -> int:
    """Return ``study``'s questions_version as stored now."""
    return session.scalar(sa.select(Study.questions_version).where(Study.id == study.id))


@pytest.fixture
def two_studies(session):
    """Two studies with two questions each, the first's second question resolved and settled."""
    first = factories.study(session, slug="first")
    other = factories.study(session, owner=first.owner, slug="other")
    questions = [
        factories.question(session, study, key=f"{study.slug}-{k}")
        for study in (first, other)
        for k in "ab"
    ]
    session.commit()
    return first, other, questions


CHANGES = {
    "question closed": "UPDATE questions SET close_date = '2020-01-01' WHERE id = :a",
    "question deleted": "DELETE FROM questions WHERE id = :a",
    "resolution changed": "UPDATE resolutions SET source = 'corrected' WHERE question_id = :b",
    "resolution deleted": "DELETE FROM resolutions WHERE question_id = :b",
    "settled rule changed": "UPDATE settled_questions SET round_number = 9 WHERE question_id = :b",
    "settled rule deleted": "DELETE FROM settled_questions WHERE question_id = :b",
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_by_any_client_renews_only_its_studys_version(session, two_studies, change):
    first, other, questions = two_studies
    a, b = questions[0], questions[1]
    resolve_question(
        session,
        b,
        outcome=Outcome.YES,
        source="records",
        resolved_on=date(2026, 1, 1),
        actor=first.owner,
    )
    session.add(SettledQuestion(question_id=b.id, round_number=1))
    session.commit()
    before, untouched = version(session, first), version(session, other)
    session.execute(sa.text(CHANGES[change]), {"a": a.id, "b": b.id})
    session.commit()
    assert version(session, first) not in (before, 0)
    assert version(session, other) == untouched


def test_new_questions_resolutions_and_settled_rules_renew_the_version(session, two_studies):
    first, _other, questions = two_studies
    seen = [version(session, first)]
    factories.question(session, first, key="first-c")
    session.commit()
    seen.append(version(session, first))
    resolve_question(
        session,
        questions[0],
        outcome=Outcome.NO,
        source="records",
        resolved_on=date(2026, 1, 1),
        actor=first.owner,
    )
    session.commit()
    seen.append(version(session, first))
    session.add(SettledQuestion(question_id=questions[1].id, round_number=1))
    session.commit()
    seen.append(version(session, first))
    assert len(set(seen)) == 4 and 0 not in seen


def test_kept_questions_are_detached_copies_of_what_the_round_asks(session, panel):
    round_ = panel["round"]
    study = panel["study"]
    kept = asked_questions(session, round_, study.questions_version)
    fresh = round_questions(session, round_)
    assert [(q.id, q.kind, q.quantiles, q.lower_bound, q.title) for q in kept] == [
        (q.id, q.kind, q.quantiles, q.lower_bound, q.title) for q in fresh
    ]
    assert all(k is not q for k, q in zip(kept, fresh, strict=True))
    with Statements() as statements:
        again = asked_questions(session, round_, study.questions_version)
    assert statements == [] and [q.id for q in again] == [q.id for q in kept]
    with pytest.raises(DetachedInstanceError):
        _ = kept[0].study


def test_an_experts_post_reads_the_questions_again_once_they_changed(client, panel, session):
    """A post keeps the round's questions; a question withdrawn by raw SQL is no longer asked.

    Without the database's trigger the second post would use the kept
    questions and record an answer to the withdrawn question.
    """
    enter(client, panel["tokens"][0])
    binary, interval, _ = panel["questions"]
    page = client.get("/expert/round").text
    draft = form(page, [interval], {interval: {"lower": "10"}}, action="draft")
    assert client.post("/expert/rounds/1/answers", data=draft).status_code == 302
    with Statements() as statements:
        assert client.post("/expert/rounds/1/answers", data=draft).status_code == 302
    assert not [s for s in statements if "FROM questions" in s], "kept questions were read again"
    session.execute(
        sa.text(
            "UPDATE questions SET withdrawn_at = close_date, withdrawn_reason = 'wrong'"
            " WHERE id = :id"
        ),
        {"id": binary.id},
    )
    session.commit()
    values = {binary: {"probability": "40", "rationale": "after the change"}}
    refused = client.post("/expert/rounds/1/answers", data=form(page, [binary], values))
    assert refused.status_code == 409
    assert "Some questions closed while this page was open" in refused.text
    assert "after the change" in refused.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Judgment)) == 0
