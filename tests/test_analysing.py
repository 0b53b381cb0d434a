"""The analyst's workspace: which studies each role sees, and a study's judgments as arrays."""

from __future__ import annotations

import numpy as np
import pytest

from elicit.accounts.models import Role, StudyRole
from elicit.analysis import longform, study_data
from elicit.judgments.rules import Answer
from elicit.judgments.submission import record_judgment
from elicit.panels.services import add_expert
from elicit.rounds.services import close_round, open_next_round
from elicit.studies.models import Outcome, QuestionKind, Resolution
from elicit.studies.sharing import share_study
from tests import factories
from tests.conftest import login


@pytest.fixture
def study(session):
    """Two rounds of three experts on a binary, a three-point and a quantity question."""
    owner = factories.user(session)
    found = factories.study(session, owner=owner)
    binary = factories.question(session, found, key="b")
    interval = factories.question(session, found, key="a", kind=QuestionKind.BINARY_INTERVAL)
    quantity = factories.question(session, found, key="c", kind=QuestionKind.QUANTITY)
    experts = [
        add_expert(session, found, pseudonym=p, name=f"Name {p}", email=f"{p}@x.test")
        for p in ("Cedar", "Alder", "Birch")
    ]
    for number in (1, 2):
        round_ = open_next_round(session, found)
        for i, expert in enumerate(experts):
            p = 0.1 * (i + number)
            record_judgment(session, expert, binary, round_, Answer(probability=p))
            record_judgment(
                session, expert, interval, round_, Answer(lower=p / 2, probability=p, upper=p * 2)
            )
            record_judgment(
                session, expert, quantity, round_, Answer(quantile_values=[i, i + 1.5, i + 3])
            )
        close_round(session, round_)
    session.add(
        Resolution(
            question=binary,
            outcome=Outcome.YES,
            source="s",
            resolved_on=binary.resolve_by,
            resolved_by=owner,
        )
    )
    session.flush()
    return found


def test_judgments_are_the_long_csvs_arrays(session, study):
    table = study_data.judgments(session, study)
    assert table.questions == ["a", "b", "c"]
    assert table.experts == ["Alder", "Birch", "Cedar"]
    assert table.value.size == 2 * 3 * (3 + 1 + 3)
    assert (np.diff(table.round) >= 0).all()
    levels, quantiles = longform.quantiles(table.select(1))
    assert levels.tolist() == [0.05, 0.5, 0.95]
    assert quantiles[1, 2].tolist() == [2.0, 3.5, 5.0]
    values, _, experts = longform.probabilities(table.select(2))
    assert dict(zip(experts.tolist(), values.tolist(), strict=True)) == pytest.approx(
        {0: 0.3, 1: 0.4, 2: 0.2}
    )
    points, _, _ = longform.three_points(table.select(1))
    assert points[:, 1].tolist() == pytest.approx([0.2, 0.3, 0.1])
    hour = study_data.TIME_RESOLUTION.total_seconds() * 1e6
    assert (table.time % hour == 0).all()


def test_outcomes_follow_the_resolutions(session, study):
    got = study_data.outcomes(session, study, ["a", "b", "c"])
    assert np.isnan(got.value[0]) and got.value[1] == 1.0 and np.isnan(got.value[2])
    assert not got.annulled.any()


@pytest.mark.parametrize(
    ("role", "shared", "status"),
    [
        (Role.ANALYST, StudyRole.ANALYST, 200),
        (Role.ANALYST, None, 404),
        (Role.FACILITATOR, StudyRole.CO_FACILITATOR, 200),
        (Role.FACILITATOR, None, 404),
        (Role.ADMIN, None, 200),
    ],
)
def test_only_shared_studies_are_listed_and_open(session, client, study, role, shared, status):
    viewer = factories.user(session, email="viewer@example.org", role=role, name="Vic Viewer")
    if shared is not None:
        share_study(session, study, viewer.email, shared, actor=study.owner)
    session.commit()
    login(client, "viewer@example.org", factories.PASSWORD)
    listing = client.get("/analyse/")
    assert listing.status_code == 200
    assert ("/analyse/studies/study" in listing.text) is (status == 200)
    page = client.get("/analyse/studies/study")
    assert page.status_code == status
    if status == 200:
        assert "Name Alder" not in page.text and "Round 2: 9 answers" in page.text


def test_experts_cannot_see_the_workspace(client):
    assert client.get("/analyse/").status_code in (302, 401, 403)
