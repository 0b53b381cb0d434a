"""One way to show a number: the expert's feedback and the facilitator's page read the same."""

from __future__ import annotations

import html
import re

import pytest

from elicit import formatting
from elicit.analysis.round_statistics import panel_summary
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert, issue_invitation, record_consent
from elicit.rounds.services import close_round, create_round, open_round
from elicit.studies.models import QuestionKind
from tests import factories
from tests.conftest import login

# Medians and quartiles that land on the rounding rule's edges: 27.5 %, 17.5 %, 1.375 %, ...
PROBABILITIES = [0.1, 0.2, 0.35, 0.8]
LOW_PROBABILITIES = [0.01, 0.0125, 0.015, 0.2]
QUANTITIES = [[1000, 1234.5, 1500], [1100, 2000.25, 2500], [900, 1500, 3000], [1200, 1800, 4000]]


def _text(page: str) -> str:
    """The page's text, entities decoded and runs of white space (no-break ones kept) as one."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(page))


@pytest.fixture
def closed_round(session):
    """A study whose round 1 (three question kinds, four experts) is closed and round 2 open."""
    owner = factories.user(session)
    study = factories.study(session, owner=owner)
    questions = [
        factories.question(session, study, key="b", title="Binary one?"),
        factories.question(session, study, key="l", title="Binary two?"),
        factories.question(
            session, study, key="q", kind=QuestionKind.QUANTITY, title="How many?", unit="people"
        ),
    ]
    experts = [
        add_expert(session, study, pseudonym=f"E{i}", name="n", email=f"e{i}@x.test")
        for i in range(4)
    ]
    first = create_round(session, study)
    open_round(session, first)
    for i, expert in enumerate(experts):
        answers = [
            Answer(probability=PROBABILITIES[i]),
            Answer(probability=LOW_PROBABILITIES[i]),
            Answer(quantile_values=QUANTITIES[i]),
        ]
        for question, answer in zip(questions, answers, strict=True):
            record_judgment(session, expert, question, first, answer)
        record_consent(session, expert)
    close_round(session, first)
    open_round(session, create_round(session, study))
    token = issue_invitation(session, experts[0])
    session.commit()
    return study, questions, first, token


@pytest.mark.parametrize("language", ["en", "pl"])
def test_feedback_and_study_page_show_the_same_figures(
    app, client, session, closed_round, language
):
    study, questions, first, token = closed_round
    header = {"Accept-Language": language}
    expert = client
    assert expert.get(f"/invite/{token}", headers=header).status_code == 302
    feedback = _text(expert.get("/expert/round", headers=header).text)
    staff = app.test_client()
    login(staff, "fac@example.org", factories.PASSWORD)
    study_page = _text(staff.get(f"/facilitate/studies/{study.slug}", headers=header).text)

    summaries = panel_summary(session, first)
    for question in questions:
        summary = summaries[question.id]
        median = formatting.figure(summary.median, question, locale=language)
        middle = formatting.interval(summary.q25, summary.q75, question, locale=language)
        for page in (feedback, study_page):
            assert median in page, (question.key, median)
            assert middle in page, (question.key, middle)
    # the edges really are edges: 27.5 % reads 28 %, 1.375 % reads 1.4 %
    assert formatting.probability(0.275, locale=language) in feedback
    assert formatting.probability(0.01375, locale=language) in feedback
    if language == "pl":
        assert "28%" in feedback and "1,4%" in feedback and "1\xa0650\xa0people" in feedback
        assert '<html lang="pl">' in feedback
