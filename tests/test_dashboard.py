"""The dashboard: figures from the core, response by group, pending people, query count."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from elicit.accounts.models import Role, StudyRole
from elicit.analysis.dashboard import build_dashboard
from elicit.extensions import db
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import Anonymity, QuestionKind
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import login

PAGE = "/facilitate/studies/study/dashboard"
PEOPLE = [
    ("Alder", "Ada Lovelace", "officials"),
    ("Birch", "Bo Diddley", "officials"),
    ("Cedar", "Cy Young", "academics"),
    ("Elm", "Eve Arden", "academics"),
    ("Fir", "Flo Rida", ""),
]
BEST = [0.1, 0.25, 0.3, 0.6]
MEDIANS = [100.0, 140.0, 180.0, 320.0]


@pytest.fixture
def study(session):
    """Round 1 closed (four of five answered), round 2 open (two answered so far)."""
    found = factories.study(session)
    interval = factories.question(
        session, found, key="range", kind=QuestionKind.BINARY_INTERVAL, title="Talks by May?"
    )
    quantity = factories.question(
        session,
        found,
        key="km",
        kind=QuestionKind.QUANTITY,
        title="Front length?",
        lower_bound=0.0,
        unit="km",
    )
    experts = [
        add_expert(session, found, pseudonym=p, name=n, email=f"{p}@x.test", panel_group=g)
        for p, n, g in PEOPLE
    ]
    first = open_next_round(session, found)
    for expert, best, median in zip(experts, BEST, MEDIANS, strict=False):
        record_judgment(
            session,
            expert,
            interval,
            first,
            Answer(lower=best / 2, probability=best, upper=min(best * 1.5, 0.95)),
        )
        record_judgment(
            session,
            expert,
            quantity,
            first,
            Answer(quantile_values=[median / 2, median, median * 2]),
        )
    close_round(session, first)
    second = open_next_round(session, found)
    for expert in experts[:2]:
        record_judgment(
            session, expert, interval, second, Answer(lower=0.2, probability=0.3, upper=0.4)
        )
    return found


def board(session, study, show_names=True):
    return build_dashboard(session, study, list(study.questions), show_names=show_names)


def test_each_rounds_figures_are_the_cores(session, study):
    rounds = board(session, study).rounds
    interval, quantity = study.questions
    first = rounds[0].questions
    assert first[interval.id].answers == 4
    assert first[interval.id].median == pytest.approx(np.quantile(BEST, 0.5))
    assert (first[interval.id].q25, first[interval.id].q75) == pytest.approx(
        (np.quantile(BEST, 0.25), np.quantile(BEST, 0.75))
    )
    assert first[interval.id].mean == pytest.approx(np.mean(BEST))
    assert first[quantity.id].median == pytest.approx(np.median(MEDIANS))
    assert first[quantity.id].mean == pytest.approx(np.mean(MEDIANS))
    second = rounds[1].questions
    assert second[interval.id].answers == 2 and quantity.id not in second


def test_response_overall_and_by_group(session, study):
    first, second = board(session, study).rounds
    assert (first.overall.answered, first.overall.size) == (4, 5)
    assert {g.group: (g.answered, g.size) for g in first.groups} == {
        "": (0, 1),
        "academics": (2, 2),
        "officials": (2, 2),
    }
    assert {g.group: (g.answered, g.size) for g in second.groups} == {
        "": (0, 1),
        "academics": (0, 2),
        "officials": (2, 2),
    }
    assert second.overall.rate == pytest.approx(0.4)


def test_pending_people_follow_the_anonymity_model(session, study):
    pending = board(session, study).pending
    assert [(p.name, p.pseudonym) for p in pending] == [
        ("Flo Rida", "Fir"),
        ("Cy Young", "Cedar"),
        ("Eve Arden", "Elm"),
    ]
    study.anonymity = Anonymity.ANONYMOUS_TO_STAFF
    assert all(p.pseudonym is None and p.name for p in board(session, study).pending)
    assert all(p.name is None and p.pseudonym for p in board(session, study, False).pending)


def test_the_page_shows_response_pending_and_trends(client, session, study):
    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.text
    assert "4 of 5 (80%)" in text and "2 of 5 (40%)" in text
    assert "3 experts have not answered round 2" in text
    assert "Cy Young (Cedar)" in text
    assert text.count('<svg class="trend"') == 2
    assert "round 1: median 28%, middle half" in text
    assert "mean 31%" in text


def test_an_analyst_sees_pseudonyms_only(client, session, study):
    analyst = factories.user(session, email="ana@example.org", role=Role.ANALYST)
    share_study(session, study, analyst.email, StudyRole.ANALYST)
    login(client, "ana@example.org", factories.PASSWORD)
    text = client.get(PAGE).text
    assert "1 expert has not answered round 1" in text  # round 2 is open: not an analyst's
    assert "Fir" in text and "Flo Rida" not in text and "Analysts see pseudonyms only." in text


def test_an_analyst_sees_the_open_round_only_if_the_study_lets_them(client, session, study):
    """Round 2 is open: an analyst gets round 1's figures, not its live ones, unless allowed."""
    analyst = factories.user(session, email="ana@example.org", role=Role.ANALYST)
    share_study(session, study, analyst.email, StudyRole.ANALYST)
    login(client, "ana@example.org", factories.PASSWORD)
    text = client.get(PAGE).text
    assert "4 of 5 (80%)" in text and "2 of 5 (40%)" not in text
    assert "Round 2</th>" not in text and "round 2: median" not in text
    assert "round 1: median 28%, middle half" in text
    assert "Round 2 is open: analysts see its answers once it closes." in text
    study.analysts_see_live_pools = True
    session.commit()
    text = client.get(PAGE).text
    assert "2 of 5 (40%)" in text and "3 experts have not answered round 2" in text
    assert "Round 2</th>" in text
    assert "Round 2 is open" not in text
    assert "Cedar" in text and "Cy Young" not in text


def test_the_board_leaves_out_rounds_beyond_the_limit(session, study):
    limited = build_dashboard(
        session, study, list(study.questions), show_names=True, through_round=1
    )
    assert [r.round.number for r in limited.rounds] == [1]
    assert limited.current.number == 1
    assert [p.pseudonym for p in limited.pending] == ["Fir"]
    nothing = build_dashboard(
        session, study, list(study.questions), show_names=True, through_round=0
    )
    assert nothing.rounds == [] and nothing.current is None and nothing.pending == []


def test_strangers_get_404(client, session, study):
    factories.user(session, email="x@example.org")
    login(client, "x@example.org", factories.PASSWORD)
    assert client.get(PAGE).status_code == 404


def test_a_study_without_rounds_says_so(client, session):
    factories.study(session)
    login(client, "fac@example.org", factories.PASSWORD)
    assert "No round has opened yet" in client.get(PAGE).text


def test_a_large_study_renders_in_at_most_ten_queries(client, session):
    """500 experts x 40 questions x 3 rounds: the query count does not grow with the study."""
    factories.large_study(session)
    session.commit()
    login(client, "fac@example.org", factories.PASSWORD)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/facilitate/studies/large/dashboard")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert "500 of 500 (100%)" in response.text
    assert len(statements) <= 10, "\n".join(statements)


def test_a_study_of_probabilities_alone_has_its_figures(session):
    """No quantity question: the database reads each probability as it is."""
    found = factories.study(session)
    question = factories.question(session, found, key="p")
    experts = [factories.expert(session, found, pseudonym=p) for p in ("Alder", "Birch", "Cedar")]
    round_ = open_next_round(session, found)
    for expert, p in zip(experts, (0.2, 0.4, 0.9), strict=True):
        record_judgment(session, expert, question, round_, Answer(probability=p))
    figures = board(session, found).rounds[0].questions[question.id]
    assert (figures.answers, figures.median, figures.mean) == (
        3,
        pytest.approx(0.4),
        pytest.approx(0.5),
    )
