"""The facilitator's study page shows the questions and the panel's figures from the core."""

import re

import numpy as np
import sqlalchemy as sa

from elicit.analysis.round_statistics import panel_summary
from elicit.judgments.models import Judgment
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import create_round, open_round
from elicit.studies.models import QuestionKind
from tests import factories
from tests.conftest import login


def test_study_page_shows_sections_questions_and_panel_medians(client, session):
    study = factories.study(session)
    binary = factories.question(session, study, key="b", title="Will the ceasefire hold?")
    quantity = factories.question(
        session,
        study,
        key="q",
        kind=QuestionKind.QUANTITY,
        title="How many allies?",
        section="Spending",
    )
    probabilities = [0.1, 0.2, 0.35, 0.8]
    experts = [
        add_expert(session, study, pseudonym=f"E{i}", name="n", email=f"e{i}@example.org")
        for i in range(len(probabilities))
    ]
    round_ = create_round(session, study)
    open_round(session, round_)
    for i, (expert, p) in enumerate(zip(experts, probabilities, strict=True)):
        record_judgment(session, expert, binary, round_, Answer(probability=p))
        record_judgment(
            session, expert, quantity, round_, Answer(quantile_values=[10 + i, 20 + i, 30 + i])
        )
    summary = panel_summary(session, round_)
    assert summary[binary.id].answers == 4
    assert summary[binary.id].median == np.median(probabilities)
    assert (summary[binary.id].q25, summary[binary.id].q75) == tuple(
        np.quantile(probabilities, [0.25, 0.75])
    )
    assert summary[quantity.id].median == np.median([20, 21, 22, 23])

    login(client, "fac@example.org", factories.PASSWORD)
    page = client.get(f"/facilitate/studies/{study.slug}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "Will the ceasefire hold?" in text and "How many allies?" in text
    assert '<h2 id="section-2">Spending</h2>' in text
    assert "median 28%" in text and "middle half 18% to 46%" in text and "4 answers" in text
    assert "median 21.5 units" in text  # the page has a no-break space; \s+ made it one space
    assert "4 of 4 experts have answered" in text


def test_study_list_counts_experts_and_shows_round_states(client, session):
    study = factories.study(session)
    add_expert(session, study, pseudonym="A", name="n", email="a@example.org")
    open_round(session, create_round(session, study))
    login(client, "fac@example.org", factories.PASSWORD)
    text = re.sub(r"\s+", " ", client.get("/facilitate/").text)
    assert (
        'Study study</a></th> <td data-label="Questions">0</td> <td data-label="Experts">1</td>'
        in text
    )
    assert "Round 1: open" in text
    assert session.scalar(sa.select(sa.func.count()).select_from(Judgment)) == 0


def test_pages_need_a_login(client):
    response = client.get("/facilitate/studies/demo")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
